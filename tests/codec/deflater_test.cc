#include "codec/deflater.h"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>

namespace codec {
namespace {

// Inflates with zlib itself, an oracle independent of libdeflate: window_bits 15 = a zlib
// stream, 31 = gzip. Fails the test if the stream is not whole and exactly one stream.
std::string ZlibInflate(std::string_view data, int window_bits, std::size_t expected_size) {
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, window_bits) == Z_OK);
  std::string out(expected_size + 16, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  CHECK(inflate(&stream, Z_FINISH) == Z_STREAM_END);
  CHECK(stream.avail_in == 0);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return out;
}

// JSON-like text: repeated keys and random hex, as upload bodies are.
std::string Body(std::size_t records) {
  std::mt19937_64 random(7);
  std::string text = "[";
  for (std::size_t i = 0; i < records; ++i) {
    if (i > 0) text += ',';
    text += R"({"Computer":"vm1","FileSystemPath":"/etc/hosts","FileContentChecksum":")";
    for (int k = 0; k < 64; ++k) text += "0123456789abcdef"[random() % 16];
    text += "\"}";
  }
  return text + "]";
}

TEST_CASE("Deflater writes whole zlib and gzip streams that zlib inflates back",
          "[codec][compression]") {
  Deflater deflater;
  std::string out;
  for (std::size_t records : {std::size_t{0}, std::size_t{1}, std::size_t{3000}}) {
    const std::string body = Body(records);
    CAPTURE(records);
    deflater.Compress(body, Compression::kZlib, &out);
    CHECK(ZlibInflate(out, 15, body.size()) == body);
    deflater.Compress(body, Compression::kGzip, &out);
    CHECK(ZlibInflate(out, 31, body.size()) == body);
    // Our own decompressor agrees.
    std::string back, error;
    REQUIRE(Decompress(out, Compression::kGzip, body.size(), &back, &error) ==
            DecompressResult::kOk);
    CHECK(back == body);
  }
}

TEST_CASE("Deflater compresses repetitive bodies and survives incompressible ones",
          "[codec][compression]") {
  Deflater deflater(1);
  std::string out;
  const std::string body = Body(1000);
  deflater.Compress(body, Compression::kZlib, &out);
  CHECK(out.size() * 3 < body.size());
  std::mt19937 random(1);
  std::string noise(100000, '\0');
  for (char& c : noise) c = static_cast<char>(random());
  deflater.Compress(noise, Compression::kZlib, &out);
  CHECK(ZlibInflate(out, 15, noise.size()) == noise);
}

TEST_CASE("Deflater clamps its level into libdeflate's range", "[codec][compression]") {
  CHECK(Deflater(0).level() == 1);
  CHECK(Deflater(99).level() == 12);
  CHECK(Deflater(6).level() == 6);
}

}  // namespace
}  // namespace codec
