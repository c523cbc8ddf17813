#ifndef AMAHOST_CODEC_DEFLATER_H_
#define AMAHOST_CODEC_DEFLATER_H_

#include <string>
#include <string_view>

#include "codec/compression.h"

struct libdeflate_compressor;

namespace codec {

// Compresses whole buffers with libdeflate, several times faster than zlib for the same format
// (bench/upload_steps prints both): the upload bodies' compressor. Keeps its compressor (about
// 1 MiB at level 1) between calls. Thread-compatible: one per thread.
class Deflater {
 public:
  // `level` 1 (fastest, the uploader's choice) to 12; out-of-range values are clamped.
  explicit Deflater(int level = 1);
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // Replaces *out with `data` as one stream of `format` (zlib: RFC 1950; gzip: RFC 1952). *out's
  // capacity is reused. Throws std::bad_alloc when memory runs out.
  void Compress(std::string_view data, Compression format, std::string* out);

  int level() const { return level_; }

 private:
  int level_;
  libdeflate_compressor* compressor_ = nullptr;
};

}  // namespace codec

#endif  // AMAHOST_CODEC_DEFLATER_H_
