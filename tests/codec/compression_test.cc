#include "codec/compression.h"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <random>

namespace codec {
namespace {

// Compresses with zlib itself, an oracle independent of codec::Compress: window_bits 15 = zlib
// wrapper, 31 = gzip, -15 = raw deflate.
std::string ZlibCompress(std::string_view data, int window_bits) {
  z_stream stream{};
  REQUIRE(deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) ==
          Z_OK);
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&stream, Z_FINISH) == Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string RandomText(std::size_t size) {
  std::mt19937 random(42);
  std::string text(size, ' ');
  for (char& c : text) c = static_cast<char>('a' + random() % 26);
  return text;
}

TEST_CASE("Decompress round-trips zlib and gzip", "[codec][compression]") {
  for (std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{300000}}) {
    std::string data = RandomText(size);
    std::string out, error;
    CAPTURE(size);
    REQUIRE(Decompress(ZlibCompress(data, 15), Compression::kZlib, 1 << 20, &out, &error) ==
            DecompressResult::kOk);
    CHECK(out == data);
    REQUIRE(Decompress(ZlibCompress(data, 31), Compression::kGzip, 1 << 20, &out, &error) ==
            DecompressResult::kOk);
    CHECK(out == data);
  }
}

TEST_CASE("Decompress accepts several gzip members in a row", "[codec][compression]") {
  std::string out, error;
  REQUIRE(Decompress(ZlibCompress("hello ", 31) + ZlibCompress("world", 31), Compression::kGzip,
                     100, &out, &error) == DecompressResult::kOk);
  CHECK(out == "hello world");
}

TEST_CASE("Decompress refuses what is not the announced format", "[codec][compression]") {
  std::string data = RandomText(5000);
  std::string zlib = ZlibCompress(data, 15);
  std::string corrupt = zlib;
  corrupt.back() = static_cast<char>(corrupt.back() ^ 0x01);  // the Adler-32 trailer
  struct Case {
    const char* name;
    std::string input;
    Compression format;
    const char* message_part;
  };
  const Case cases[] = {
      {"raw deflate as zlib", ZlibCompress(data, -15), Compression::kZlib, "not a valid zlib"},
      {"gzip as zlib", ZlibCompress(data, 31), Compression::kZlib, "not a valid zlib"},
      {"zlib as gzip", zlib, Compression::kGzip, "not a valid gzip"},
      {"plain text", "{\"DataType\":1}", Compression::kZlib, "not a valid zlib"},
      {"empty", "", Compression::kZlib, "truncated"},
      {"truncated", zlib.substr(0, zlib.size() / 2), Compression::kZlib, "truncated"},
      {"trailing bytes", zlib + "xx", Compression::kZlib, "2 bytes after the end"},
      {"corrupt checksum", corrupt, Compression::kZlib, "not a valid zlib"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      std::string out, error;
      CHECK(Decompress(c.input, c.format, 1 << 20, &out, &error) == DecompressResult::kInvalid);
      CHECK_THAT(error, Catch::Contains(c.message_part));
    }
  }
}

TEST_CASE("Decompress stops at the output limit", "[codec][compression]") {
  std::string bomb = ZlibCompress(std::string(10 * 1024 * 1024, '\0'), 15);  // ~10 KiB → 10 MiB
  std::string out, error;
  CHECK(Decompress(bomb, Compression::kZlib, 1024 * 1024, &out, &error) ==
        DecompressResult::kTooLarge);
  CHECK_THAT(error, Catch::Contains("more than 1048576 bytes"));
  CHECK(out.size() <= 1024 * 1024);
  CHECK(Decompress(bomb, Compression::kZlib, 10 * 1024 * 1024, &out, &error) ==
        DecompressResult::kOk);
  CHECK(out.size() == 10 * 1024 * 1024);
}

}  // namespace
}  // namespace codec

namespace codec {
namespace {

TEST_CASE("Compress writes zlib and gzip streams that zlib's own reader accepts",
          "[codec][compression]") {
  std::string text = RandomText(100000);
  std::string zlib = Compress(text, Compression::kZlib);
  std::string gzip = Compress(text, Compression::kGzip);
  // RFC 1950: CM 8 with a 32 KiB window; RFC 1952: the magic bytes 1f 8b.
  CHECK(static_cast<unsigned char>(zlib[0]) == 0x78);
  CHECK(static_cast<unsigned char>(gzip[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(gzip[1]) == 0x8b);
  for (auto [stream, window_bits] : {std::pair{zlib, 15}, std::pair{gzip, 31}}) {
    z_stream inflater{};
    REQUIRE(inflateInit2(&inflater, window_bits) == Z_OK);
    std::string out(text.size(), '\0');
    inflater.next_in = reinterpret_cast<Bytef*>(stream.data());
    inflater.avail_in = static_cast<uInt>(stream.size());
    inflater.next_out = reinterpret_cast<Bytef*>(out.data());
    inflater.avail_out = static_cast<uInt>(out.size());
    CHECK(inflate(&inflater, Z_FINISH) == Z_STREAM_END);
    inflateEnd(&inflater);
    CHECK(out == text);
  }
  CHECK(Compress("", Compression::kGzip).size() > 0);
}

}  // namespace
}  // namespace codec

namespace codec {
namespace {

TEST_CASE("Compress writes the RFC 1950 stream ODS calls deflate, for any input",
          "[codec][compression]") {
  std::string large;
  for (int i = 0; i < 100000; ++i) large += "{\"item\":" + std::to_string(i * 7919 % 1000) + "},";
  std::string binary;
  for (int i = 0; i < 70000; ++i) binary.push_back(static_cast<char>((i * 2654435761u) >> 24));
  for (const std::string& input : {std::string(), std::string("{}"), large, binary}) {
    std::string deflated = Compress(input, Compression::kZlib);
    REQUIRE(deflated.size() >= 2);
    // CM = 8 (deflate), and the check bits make CMF·256 + FLG divisible by 31.
    auto cmf = static_cast<unsigned char>(deflated[0]);
    auto flg = static_cast<unsigned char>(deflated[1]);
    CHECK((cmf & 0x0f) == 8);
    CHECK((cmf * 256 + flg) % 31 == 0);
    std::string out(input.size(), '\0');
    uLongf size = static_cast<uLongf>(out.size());
    REQUIRE(uncompress(reinterpret_cast<Bytef*>(out.data()), &size,
                       reinterpret_cast<const Bytef*>(deflated.data()),
                       static_cast<uLong>(deflated.size())) == Z_OK);
    CHECK(size == input.size());
    CHECK(out == input);
  }
  CHECK(Compress(large, Compression::kZlib).size() < large.size() / 4);
}

}  // namespace
}  // namespace codec
