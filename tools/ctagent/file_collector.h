#ifndef AMAHOST_TOOLS_CTAGENT_FILE_COLLECTOR_H_
#define AMAHOST_TOOLS_CTAGENT_FILE_COLLECTOR_H_

#include <filesystem>
#include <string>
#include <vector>

#include "collector.h"
#include "settings.h"

namespace ctagent {

// Regular files whose machine path matches a fileInfo entry's destinationPath (a regex matched
// against the whole path, as "/etc/.*.conf"), found by walking from the pattern's literal
// leading folder, into subfolders when `recurse`. Directory links are never walked into; file
// links are followed when the entry says "Follow" and, under a fixture root, only when they
// resolve inside it. Fields: FileSystemPath, Size, DateModified, Attributes (mode as ls shows
// it), Acls ("owner:group"), FileContentChecksum (SHA-256, hex; empty when unreadable). An
// entry stops adding files once its items pass maxOutputSize bytes (logged; contents do not
// count). When the entry's maxContentsReturnable > 0, the file's first bytes are kept too, as
// local fields (records.h, IsLocalField; never sent): FileContents, the first
// min(maxContentsReturnable, 1 MiB) bytes, as text when they are valid UTF-8, else base64;
// FileContentsEncoding "utf-8" or "base64"; FileContentsTruncated "true" when the file is
// longer. A collection keeps at most 64 MiB of contents in all; past that files get none
// (logged). Key: the path. Thread-compatible.
class FileCollector final : public Collector {
 public:
  FileCollector(std::filesystem::path root, std::vector<FileInfo> entries, base::Logger& logger)
      : root_(std::move(root)), entries_(std::move(entries)), logger_(logger) {}
  Kind kind() const override { return Kind::kFiles; }
  std::error_code Collect(Items* items) override;

 private:
  void CollectEntry(const FileInfo& entry, Items* items);

  std::size_t contents_left_ = 0;  // of the collection's contents budget
  std::filesystem::path root_;
  std::vector<FileInfo> entries_;
  base::Logger& logger_;
};

// The folder a walk for `pattern` starts from: its part before the first regex metacharacter,
// cut at the last '/' ("/etc/.*.conf" → "/etc"). Pure.
std::string PatternFolder(const std::string& pattern);

// SHA-256 of a regular file, lowercase hex; an error for anything else. Reads at most
// `max_bytes` (EFBIG past it). Given `head`, its first `head_bytes` bytes go there too (read
// once for both).
std::error_code FileSha256(const std::filesystem::path& path, std::int64_t max_bytes,
                           std::string* hex, std::size_t head_bytes = 0,
                           std::string* head = nullptr);

// A file's first bytes as FileCollector keeps them: FileContents, FileContentsEncoding and,
// when `truncated`, FileContentsTruncated, added to `fields`. Pure.
void AddContents(std::string_view head, bool truncated, std::map<std::string, std::string>* fields);

}  // namespace ctagent

#endif  // AMAHOST_TOOLS_CTAGENT_FILE_COLLECTOR_H_
