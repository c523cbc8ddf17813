#include "codec/compression.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <new>

namespace codec {
namespace {

// Owns an inflating z_stream.
class Inflater {
 public:
  explicit Inflater(int window_bits) { ok_ = inflateInit2(&stream_, window_bits) == Z_OK; }
  ~Inflater() {
    if (ok_) inflateEnd(&stream_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  bool ok() const { return ok_; }
  z_stream* get() { return &stream_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

}  // namespace

std::string Compress(std::string_view data, Compression format) {
  z_stream stream{};
  // 15 = a 32 KiB window; +16 writes the gzip wrapper instead of zlib's.
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
                   format == Compression::kZlib ? 15 : 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::bad_alloc();
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  // deflateBound leaves room for everything, so one call finishes the stream.
  int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) throw std::bad_alloc();
  return out;
}

DecompressResult Decompress(std::string_view input, Compression format, std::size_t max_output,
                            std::string* out, std::string* error) {
  const char* name = format == Compression::kZlib ? "zlib (RFC 1950)" : "gzip";
  out->clear();
  // 15 = a 32 KiB window; +16 selects the gzip wrapper instead of zlib's.
  Inflater inflater(format == Compression::kZlib ? 15 : 15 + 16);
  if (!inflater.ok()) {
    *error = "cannot initialise zlib";
    return DecompressResult::kInvalid;
  }
  z_stream* stream = inflater.get();
  stream->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  char buffer[64 * 1024];
  std::size_t remaining_input = input.size();
  for (;;) {
    uInt chunk = static_cast<uInt>(std::min<std::size_t>(remaining_input, UINT_MAX));
    stream->avail_in = chunk;
    stream->next_out = reinterpret_cast<Bytef*>(buffer);
    stream->avail_out = sizeof(buffer);
    int rc = inflate(stream, Z_NO_FLUSH);
    remaining_input -= chunk - stream->avail_in;
    std::size_t produced = sizeof(buffer) - stream->avail_out;
    if (out->size() + produced > max_output) {
      *error = fmt::format("inflates to more than {} bytes", max_output);
      return DecompressResult::kTooLarge;
    }
    out->append(buffer, produced);
    if (rc == Z_STREAM_END) {
      if (remaining_input == 0) return DecompressResult::kOk;
      // gzip allows several members back to back; zlib does not.
      if (format == Compression::kGzip && inflateReset(stream) == Z_OK) continue;
      *error = fmt::format("{} bytes after the end of the {} stream", remaining_input, name);
      return DecompressResult::kInvalid;
    }
    if (rc == Z_BUF_ERROR && remaining_input == 0 && produced == 0) {
      *error = fmt::format("truncated {} stream", name);
      return DecompressResult::kInvalid;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      *error = fmt::format("not a valid {} stream: {}", name,
                           stream->msg != nullptr ? stream->msg : zError(rc));
      return DecompressResult::kInvalid;
    }
  }
}

}  // namespace codec
