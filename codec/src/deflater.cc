#include "codec/deflater.h"

#include <libdeflate.h>

#include <algorithm>
#include <new>

namespace codec {

Deflater::Deflater(int level) : level_(std::clamp(level, 1, 12)) {
  compressor_ = libdeflate_alloc_compressor(level_);
  if (compressor_ == nullptr) throw std::bad_alloc();
}

Deflater::~Deflater() { libdeflate_free_compressor(compressor_); }

void Deflater::Compress(std::string_view data, Compression format, std::string* out) {
  const bool zlib = format == Compression::kZlib;
  const std::size_t bound = zlib ? libdeflate_zlib_compress_bound(compressor_, data.size())
                                 : libdeflate_gzip_compress_bound(compressor_, data.size());
  // resize() of a string that already had this capacity writes the new bytes only once.
  out->resize(bound);
  const std::size_t size =
      zlib ? libdeflate_zlib_compress(compressor_, data.data(), data.size(), out->data(), bound)
           : libdeflate_gzip_compress(compressor_, data.data(), data.size(), out->data(), bound);
  // The bound leaves room for any input; 0 would mean libdeflate could not.
  if (size == 0) throw std::bad_alloc();
  out->resize(size);
}

}  // namespace codec
