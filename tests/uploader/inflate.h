#ifndef AMAHOST_TESTS_UPLOADER_INFLATE_H_
#define AMAHOST_TESTS_UPLOADER_INFLATE_H_

#include <zlib.h>

#include <catch2/catch.hpp>
#include <string>
#include <string_view>

namespace uploader_test {

// zlib's inflate of one whole RFC 1950 stream (not a raw inflate, so the zlib header and the
// Adler-32 trailer are checked too), or with `window_bits` 31 of one whole gzip stream (Logs
// Ingestion's bodies). Fails the test on anything else.
inline std::string Inflate(std::string_view data, int window_bits = 15) {
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, window_bits) == Z_OK);
  struct End {
    z_stream* stream;
    ~End() { inflateEnd(stream); }
  } end{&stream};
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[16384];
  int result = Z_OK;
  while (result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
  }
  REQUIRE(result == Z_STREAM_END);
  CHECK(stream.avail_in == 0);
  return out;
}

}  // namespace uploader_test

#endif  // AMAHOST_TESTS_UPLOADER_INFLATE_H_
