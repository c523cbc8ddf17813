#ifndef AMAHOST_TESTS_SUPPORT_TEMP_DIR_H_
#define AMAHOST_TESTS_SUPPORT_TEMP_DIR_H_

#include <filesystem>
#include <string_view>

namespace testing {

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it on destruction. Its path
// is short, so that filesystem sockets inside it fit sun_path.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace testing

#endif  // AMAHOST_TESTS_SUPPORT_TEMP_DIR_H_
