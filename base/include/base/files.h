#ifndef AMAHOST_BASE_FILES_H_
#define AMAHOST_BASE_FILES_H_

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace base {

// Replaces `path` with `data` so that a crash at any moment leaves either the old file or the new
// one, never a mix: writes a temporary file in the same folder, fsyncs it, renames it over `path`
// and fsyncs the folder. The file gets `mode` (before umask).
std::error_code WriteFileAtomically(const std::filesystem::path& path, std::string_view data,
                                    mode_t mode = 0644);

// Reads the whole of `path` into `out`. Fails with EFBIG if the file is larger than `max_bytes`.
std::error_code ReadFile(const std::filesystem::path& path, std::size_t max_bytes,
                         std::string* out);

// fsyncs a folder so that renames and unlinks in it are durable.
std::error_code SyncDirectory(const std::filesystem::path& path);

// Removes `path` and fsyncs its folder; a missing file is not an error.
std::error_code RemoveFileDurably(const std::filesystem::path& path);

// Creates `path` and its parents with `mode` for the folders it creates.
std::error_code CreateDirectories(const std::filesystem::path& path, mode_t mode = 0755);

}  // namespace base

#endif  // AMAHOST_BASE_FILES_H_
