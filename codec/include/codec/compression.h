#ifndef AMAHOST_CODEC_COMPRESSION_H_
#define AMAHOST_CODEC_COMPRESSION_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace codec {

// The compressed formats on amahost's wires, through zlib. Pure; thread-safe.
enum class Compression {
  kZlib,  // a zlib stream (RFC 1950): what ODS calls "Content-Encoding: deflate"
  kGzip,  // gzip (RFC 1952): Forward's CompressedPackedForward, Logs Ingestion; when
          // decompressing, several members back to back are accepted
};

// Compresses `data` as one stream of `format` at zlib's default level. Throws std::bad_alloc
// when zlib cannot get memory (its only failure for well-formed arguments).
std::string Compress(std::string_view data, Compression format);

enum class DecompressResult {
  kOk,
  kInvalid,   // corrupt or truncated stream, or bytes after its end
  kTooLarge,  // the output would pass max_output
};

// Decompresses all of `input` into `out`, stopping as soon as the output would pass
// `max_output` bytes, so a small "zip bomb" costs at most that much memory. On failure `error`
// says what is wrong ("inflates to more than N bytes", "truncated gzip stream", …).
DecompressResult Decompress(std::string_view input, Compression format, std::size_t max_output,
                            std::string* out, std::string* error);

}  // namespace codec

#endif  // AMAHOST_CODEC_COMPRESSION_H_
