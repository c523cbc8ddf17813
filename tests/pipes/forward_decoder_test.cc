#include "pipes/forward_decoder.h"

#include <catch2/catch.hpp>

#include "codec/fluent_entries.h"
#include "codec/msgpack_writer.h"
#include "forward_vectors.h"
#include "pipes/forward_encoder.h"
#include "test_vectors.h"

using pipes::ForwardMode;
using testvectors::Bytes;
using testvectors::FromHex;
using testvectors::Gzip;

namespace {

// Two entries: [1, {"a":1}], [2, {"b":2}]
const std::string kTwoEntries = FromHex(forward_vectors::kTwoEntries);

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

TEST_CASE("Every valid vector decodes to its mode, count, entries and chunk", "[pipes][forward]") {
  for (const forward_vectors::Valid& vector : forward_vectors::kValid) {
    CAPTURE(vector.name);
    auto message = Decode(FromHex(vector.message));
    CHECK(message.mode == vector.mode);
    CHECK(message.tag == "tag");
    CHECK(message.count == vector.count);
    CHECK(message.entries == FromHex(vector.entries));
    if (vector.chunk == nullptr) {
      CHECK_FALSE(message.chunk.has_value());
    } else {
      CHECK(message.chunk == std::optional<std::string>(vector.chunk));
    }
  }
}

TEST_CASE("A message gives its entries' earliest and latest event time in every mode",
          "[pipes][forward]") {
  // Times out of order, as integers and EventTimes: 3.5 s, 1 s, -2 s, 2.25 s.
  std::string entries;
  codec::MsgpackWriter writer(&entries);
  auto entry = [&](auto write_time) {
    writer.Array(2);
    write_time();
    writer.Map(1);
    writer.Str("k");
    writer.Uint(1);
  };
  entry([&] { codec::WriteEventTime(writer, {3, 500000000}); });
  entry([&] { writer.Uint(1); });
  entry([&] { writer.Int(-2); });
  entry([&] { codec::WriteEventTime(writer, {2, 250000000}); });
  for (ForwardMode mode : {ForwardMode::kForward, ForwardMode::kPackedForward,
                           ForwardMode::kCompressedPackedForward}) {
    CAPTURE(pipes::ForwardModeName(mode));
    pipes::ForwardMessage message;
    std::string error;
    const std::string bytes = pipes::EncodeForwardMessage("tag", entries, 4, mode, "");
    REQUIRE(pipes::DecodeForwardMessage(bytes, {}, &message, &error));
    CHECK(message.count == 4);
    CHECK(message.min_event_unix_ns == -2000000000);
    CHECK(message.max_event_unix_ns == 3500000000);
  }
  std::string one;
  codec::MsgpackWriter one_writer(&one);
  one_writer.Array(2);
  codec::WriteEventTime(one_writer, {1700000000, 7});
  one_writer.Map(0);
  pipes::ForwardMessage message;
  std::string error;
  REQUIRE(pipes::DecodeForwardMessage(
      pipes::EncodeForwardMessage("tag", one, 1, ForwardMode::kMessage, ""), {}, &message, &error));
  CHECK(message.min_event_unix_ns == 1700000000000000007);
  CHECK(message.max_event_unix_ns == 1700000000000000007);
  // No entries, no times.
  REQUIRE(pipes::DecodeForwardMessage(
      pipes::EncodeForwardMessage("tag", "", 0, ForwardMode::kForward, ""), {}, &message, &error));
  CHECK(message.count == 0);
  CHECK(message.min_event_unix_ns == 0);
  CHECK(message.max_event_unix_ns == 0);
}

TEST_CASE("Options report the size the client sent", "[pipes][forward]") {
  auto message = Decode(FromHex(forward_vectors::kValid[4].message));
  CHECK(message.size == 2u);
}

TEST_CASE("CompressedPackedForward built with our own gzip decodes too", "[pipes][forward]") {
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
  for (const forward_vectors::Invalid& vector : forward_vectors::kInvalid) {
    CAPTURE(vector.message);
    CHECK_THAT(DecodeError(FromHex(vector.message)), Catch::Contains(vector.reason));
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
