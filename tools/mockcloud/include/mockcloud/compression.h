#ifndef AMAHOST_MOCKCLOUD_COMPRESSION_H_
#define AMAHOST_MOCKCLOUD_COMPRESSION_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace mockcloud {

// The two compressed body formats mockcloud receives.
enum class Compression {
  kZlib,  // "Content-Encoding: deflate" as ODS means it: a zlib stream (RFC 1950)
  kGzip,  // "Content-Encoding: gzip" (RFC 1952); several members in a row are accepted
};

enum class DecompressResult {
  kOk,
  kInvalid,   // corrupt or truncated stream, or bytes after its end
  kTooLarge,  // the output would pass max_output
};

// Decompresses all of `input` into `out`, stopping as soon as the output would pass `max_output`
// bytes (so a small "zip bomb" costs at most that much memory). On failure `error` says what is
// wrong. Pure; thread-safe.
DecompressResult Decompress(std::string_view input, Compression format, std::size_t max_output,
                            std::string* out, std::string* error);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_COMPRESSION_H_
