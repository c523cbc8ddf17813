#include "pipes/forward_decoder.h"

#include <catch2/catch.hpp>

#include "codec/msgpack_writer.h"
#include "test_vectors.h"

using pipes::ForwardMode;
using testvectors::Bytes;
using testvectors::FromHex;
using testvectors::Gzip;

namespace {

// Two entries: [1, {"a":1}], [2, {"b":2}]
const std::string kTwoEntries = FromHex("92 01 81 a1 61 01 92 02 81 a1 62 02");

// A decoded message with its views copied out, so it outlives the bytes it was decoded from.
struct Decoded {
  ForwardMode mode;
  std::string tag;
  std::string entries;
  std::uint32_t count;
  std::optional<std::string> chunk;
  std::optional<std::uint64_t> size;
};

Decoded Decode(const std::string& bytes, const pipes::ForwardLimits& limits = {}) {
  pipes::ForwardMessage message;
  std::string error;
  bool ok = pipes::DecodeForwardMessage(bytes, limits, &message, &error);
  CAPTURE(error);
  REQUIRE(ok);
  Decoded decoded{message.mode,
                  std::string(message.tag),
                  std::string(message.entries),
                  message.count,
                  std::nullopt,
                  message.size};
  if (message.chunk) decoded.chunk = std::string(*message.chunk);
  return decoded;
}

std::string DecodeError(const std::string& bytes, const pipes::ForwardLimits& limits = {}) {
  pipes::ForwardMessage message;
  std::string error;
  CHECK_FALSE(pipes::DecodeForwardMessage(bytes, limits, &message, &error));
  return error;
}

}  // namespace

TEST_CASE("Message mode with an integer time", "[pipes][forward]") {
  // ["tag", 1700000000, {"k":"v"}]
  auto message = Decode(FromHex("93 a3 746167 ce 6553f100 81 a16b a176"));
  CHECK(message.mode == ForwardMode::kMessage);
  CHECK(message.tag == "tag");
  CHECK(message.count == 1);
  CHECK(message.entries == FromHex("92 ce 6553f100 81 a16b a176"));
  CHECK_FALSE(message.chunk.has_value());
}

TEST_CASE("Message mode with an EventTime and a chunk option", "[pipes][forward]") {
  // ["tag", EventTime(1700000000, 1), {"k":"v"}, {"chunk":"YWJj"}]
  auto message = Decode(
      FromHex("94 a3 746167 d7 00 6553f100 00000001 81 a16b a176 81 a5 6368756e6b a4 59574a6a"));
  CHECK(message.mode == ForwardMode::kMessage);
  CHECK(message.entries == FromHex("92 d7 00 6553f100 00000001 81 a16b a176"));
  REQUIRE(message.chunk.has_value());
  CHECK(*message.chunk == "YWJj");
}

TEST_CASE("Message mode with an EventTime in ext 8 form", "[pipes][forward]") {
  auto message = Decode(FromHex("93 a3 746167 c7 08 00 6553f100 00000002 80"));
  CHECK(message.entries == FromHex("92 c7 08 00 6553f100 00000002 80"));
}

TEST_CASE("Forward mode, as Docker-Provider's extension client sends it", "[pipes][forward]") {
  // ["tag", [[1, {"a":1}], [2, {"b":2}]]]: no option element.
  auto message = Decode(FromHex("92 a3 746167 92") + kTwoEntries);
  CHECK(message.mode == ForwardMode::kForward);
  CHECK(message.count == 2);
  CHECK(message.entries == kTwoEntries);
}

TEST_CASE("Forward mode with size and chunk options, as fluent-bit sends with acks",
          "[pipes][forward]") {
  std::string bytes = FromHex("93 a3 746167 92") + kTwoEntries +
                      FromHex("82 a4 73697a65 02 a5 6368756e6b a4 59574a6a");
  auto message = Decode(bytes);
  CHECK(message.count == 2);
  CHECK(message.size == 2u);
  CHECK(*message.chunk == "YWJj");
}

TEST_CASE("Forward mode with an empty entry array", "[pipes][forward]") {
  auto message = Decode(FromHex("92 a3 746167 90"));
  CHECK(message.count == 0);
  CHECK(message.entries.empty());
}

TEST_CASE("PackedForward with a bin payload", "[pipes][forward]") {
  auto message = Decode(FromHex("93 a3 746167 c4 0c") + kTwoEntries + FromHex("81 a4 73697a65 02"));
  CHECK(message.mode == ForwardMode::kPackedForward);
  CHECK(message.count == 2);
  CHECK(message.entries == kTwoEntries);
}

TEST_CASE("PackedForward with a str payload, as fluentd's out_forward writes it (str 32)",
          "[pipes][forward]") {
  // fluentd writes 0x93, the tag, then 0xdb and a 4-byte length whatever the chunk size.
  auto message =
      Decode(FromHex("93 a3 746167 db 0000000c") + kTwoEntries + FromHex("81 a4 73697a65 02"));
  CHECK(message.mode == ForwardMode::kPackedForward);
  CHECK(message.count == 2);
  CHECK(message.entries == kTwoEntries);
}

TEST_CASE("CompressedPackedForward with one and with several gzip members", "[pipes][forward]") {
  std::string option = FromHex("81 aa 636f6d70726573736564 a4 677a6970");  // {"compressed":"gzip"}
  for (const std::string& gzipped :
       {Gzip({kTwoEntries}), Gzip({kTwoEntries.substr(0, 6), kTwoEntries.substr(6)})}) {
    std::string bytes;
    codec::MsgpackWriter writer(&bytes);
    writer.Array(3);
    writer.Str("tag");
    writer.Bin(gzipped);
    writer.Raw(option);
    auto message = Decode(bytes);
    CHECK(message.mode == ForwardMode::kCompressedPackedForward);
    CHECK(message.count == 2);
    CHECK(message.entries == kTwoEntries);
  }
}

TEST_CASE("A gzip payload that inflates past the limit is refused", "[pipes][forward]") {
  std::string entries;
  codec::MsgpackWriter entry_writer(&entries);
  entry_writer.Array(2);
  entry_writer.Uint(1);
  entry_writer.Map(1);
  entry_writer.Str("k");
  entry_writer.Str(std::string(100000, 'x'));
  std::string bytes;
  codec::MsgpackWriter writer(&bytes);
  writer.Array(3);
  writer.Str("tag");
  writer.Bin(Gzip({entries}));
  writer.Map(1);
  writer.Str("compressed");
  writer.Str("gzip");
  pipes::ForwardLimits limits;
  limits.max_decompressed_bytes = 50000;
  CHECK_THAT(DecodeError(bytes, limits), Catch::Contains("inflates to more than 50000"));
}

TEST_CASE("Malformed messages are refused with a reason", "[pipes][forward]") {
  struct Case {
    std::string bytes;
    const char* reason;
  };
  const Case cases[] = {
      {FromHex("a3 746167"), "must be an array"},
      {FromHex("91 a3 746167"), "2 to 4 elements"},
      {FromHex("95 a3 746167 01 80 80 80"), "2 to 4 elements"},
      {FromHex("92 01 90"), "tag"},
      {FromHex("92 a0 90"), "tag is empty"},
      {FromHex("92 a3 746167 c0"), "element 1"},
      {FromHex("92 a3 746167 01"), "needs a record"},
      {FromHex("93 a3 746167 01 90"), "record must be a map"},
      {FromHex("93 a3 746167 d7 05 0000000000000000 80"), "neither an integer time"},
      {FromHex("92 a3 746167 91 93 01 80 80"), "entry 0"},
      {FromHex("92 a3 746167 91 92 a1 78 80"), "entry 0"},
      {FromHex("94 a3 746167 90 80 80"), "at most 3"},
      {FromHex("93 a3 746167 90 01"), "option element is not a map"},
      {FromHex("93 a3 746167 90 81 a5 6368756e6b 01"), "chunk is not a string"},
      {FromHex("92 a3 746167 c4 02 9201"), "truncated"},
      {FromHex("92 a3 746167 c4 02 0101"), "packed entry 0"},
      {FromHex("93 a3 746167 c4 02 0102 81 aa 636f6d70726573736564 a4 677a6970"), "gzip"},
      {FromHex("93 a3 746167 c4 00 81 aa 636f6d70726573736564 a4 7a737464"), "unsupported"},
      {FromHex("93 a3 746167 90 81 aa 636f6d70726573736564 a4 677a6970"), "packed payload"},
      {FromHex("92 a3 746167 90 c0"), "bytes follow"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.reason);
    CHECK_THAT(DecodeError(c.bytes), Catch::Contains(c.reason));
  }
}

TEST_CASE("Packed entries are held to the msgpack limits", "[pipes][forward]") {
  pipes::ForwardLimits limits;
  limits.msgpack.max_depth = 3;
  // One entry whose record nests a map in a map: depth 4 inside the payload.
  std::string deep = FromHex("92 01 81 a1 61 81 a1 62 81 a1 63 01");
  std::string bytes;
  codec::MsgpackWriter writer(&bytes);
  writer.Array(2);
  writer.Str("tag");
  writer.Bin(deep);
  CHECK_THAT(DecodeError(bytes, limits), Catch::Contains("nesting"));
}

TEST_CASE("EncodeAck writes {\"ack\": chunk}", "[pipes][forward]") {
  CHECK(pipes::EncodeAck("YWJj") == FromHex("81 a3 61636b a4 59574a6a"));
}
