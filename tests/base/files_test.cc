#include "base/files.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "support/temp_dir.h"

TEST_CASE("WriteFileAtomically replaces the file and leaves no temporary behind", "[base]") {
  testing::TempDir dir;
  auto path = dir / "chunk.json";
  REQUIRE_FALSE(base::WriteFileAtomically(path, "first"));
  REQUIRE_FALSE(base::WriteFileAtomically(path, "second, longer"));
  std::string text;
  REQUIRE_FALSE(base::ReadFile(path, 1024, &text));
  CHECK(text == "second, longer");
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
  }
  CHECK(files == 1);
}

TEST_CASE("ReadFile enforces its size limit", "[base]") {
  testing::TempDir dir;
  auto path = dir / "big";
  REQUIRE_FALSE(base::WriteFileAtomically(path, std::string(100, 'x')));
  std::string text;
  CHECK(base::ReadFile(path, 99, &text) == std::errc::file_too_large);
  CHECK_FALSE(base::ReadFile(path, 100, &text));
  CHECK(base::ReadFile(dir / "missing", 100, &text) == std::errc::no_such_file_or_directory);
}

TEST_CASE("CreateDirectories makes nested folders and RemoveFileDurably tolerates absence",
          "[base]") {
  testing::TempDir dir;
  auto nested = dir / "a/b/c";
  REQUIRE_FALSE(base::CreateDirectories(nested));
  CHECK(std::filesystem::is_directory(nested));
  CHECK_FALSE(base::CreateDirectories(nested));
  CHECK_FALSE(base::RemoveFileDurably(nested / "nothing"));
}
