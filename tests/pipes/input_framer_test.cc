#include "pipes/input_framer.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "codec/msgpack_writer.h"
#include "pipes/client.h"
#include "pipes/handshake.h"
#include "test_vectors.h"

using pipes::InputFramer;
using Type = InputFramer::Type;

namespace {

// A Forward-mode message of one record tagged `tag`.
std::string Message(std::string_view tag, int n) {
  std::string out;
  codec::MsgpackWriter writer(&out);
  writer.Array(2);
  writer.Str(tag);
  writer.Array(1);
  writer.Array(2);
  writer.Int(1700000000);
  writer.Map(1);
  writer.Str("n");
  writer.Int(n);
  return out;
}

std::string MsgpackStr(std::string_view text) {
  std::string out;
  codec::MsgpackWriter(&out).Str(text);
  return out;
}

struct Seen {
  Type type;
  std::string bytes;
  std::string json;
  std::string error;
};

// Feeds `stream` to a framer `step` bytes at a time, as reads would deliver it, consuming every
// frame; stops at the first error.
std::vector<Seen> Frames(const std::string& stream, std::size_t step, bool ping = false,
                         InputFramer::Limits limits = {}) {
  InputFramer framer(limits, ping);
  std::vector<Seen> seen;
  std::size_t begin = 0, received = 0;
  while (received < stream.size()) {
    received = std::min(stream.size(), received + step);
    while (begin < received) {
      InputFramer::Frame frame =
          framer.Next(std::string_view(stream).substr(begin, received - begin));
      if (frame.type == Type::kNeedMore) break;
      seen.push_back({frame.type, std::string(frame.bytes), std::string(frame.json), frame.error});
      if (frame.type == Type::kMalformed || frame.type == Type::kBadPing) return seen;
      if (frame.type == Type::kPing) framer.HandshakePassed();
      framer.Consume();
      begin += frame.size;
    }
  }
  return seen;
}

}  // namespace

TEST_CASE("The framer cuts requests, messages and keep-alives however the bytes arrive",
          "[pipes][framer]") {
  const std::string json = pipes::MakeConfigRequestJson("ChangeTracking-Linux");
  const std::string first = Message("a", 1), second = Message("b", 2);
  const std::string stream = first + "\xc0" + json + second + MsgpackStr(json) + "\xc0";
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{7}, stream.size()}) {
    CAPTURE(step);
    std::vector<Seen> seen = Frames(stream, step);
    REQUIRE(seen.size() == 6);
    CHECK(seen[0].type == Type::kForwardMessage);
    CHECK(seen[0].bytes == first);
    CHECK(seen[1].type == Type::kKeepAlive);
    CHECK(seen[2].type == Type::kConfigRequest);
    CHECK(seen[2].json == json);
    CHECK(seen[3].type == Type::kForwardMessage);
    CHECK(seen[3].bytes == second);
    CHECK(seen[4].type == Type::kConfigRequest);
    CHECK(seen[4].json == json);  // the str's payload, not its msgpack head
    CHECK(seen[5].type == Type::kKeepAlive);
  }
}

TEST_CASE("The framer returns a complete frame again until it is consumed", "[pipes][framer]") {
  // As a connection over its budget does: it leaves the message in its buffer and asks later,
  // with more bytes received behind it.
  InputFramer framer({}, false);
  const std::string message = Message("tag", 7);
  std::string input = message.substr(0, 5);
  CHECK(framer.Next(input).type == Type::kNeedMore);
  input = message;
  InputFramer::Frame frame = framer.Next(input);
  REQUIRE(frame.type == Type::kForwardMessage);
  CHECK(frame.size == message.size());
  input += Message("tag", 8);
  frame = framer.Next(input);
  REQUIRE(frame.type == Type::kForwardMessage);
  CHECK(frame.bytes == message);
  framer.Consume();
  frame = framer.Next(std::string_view(input).substr(message.size()));
  REQUIRE(frame.type == Type::kForwardMessage);
  CHECK(frame.bytes == Message("tag", 8));
}

TEST_CASE("The framer refuses bad input with a reason and nothing after it", "[pipes][framer]") {
  struct Case {
    std::string input;
    std::string error;
  };
  const Case cases[] = {
      {testvectors::Bytes({0x01}), "unexpected first byte 0x01"},
      {"{\"a\":" + std::string(40, '[') + "1" + std::string(40, ']') + "}",
       "config request is not a JSON object"},
      {std::string(11, '\x91') + "\x01", "nesting"},
      {testvectors::FromHex("92 a3 746167 c1"), "0xc1"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.input);
    std::vector<Seen> seen = Frames(c.input + Message("after", 1), 1);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].type == Type::kMalformed);
    CHECK_THAT(seen[0].error, Catch::Contains(c.error));
  }
  // A message still incomplete past the limit.
  InputFramer::Limits limits;
  limits.max_message_bytes = 100;
  const std::string big = testvectors::FromHex("92 a1 78 c5 01 00") + std::string(256, 'b');
  std::vector<Seen> seen = Frames(big, 64, false, limits);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].type == Type::kMalformed);
  CHECK(seen[0].error == "message larger than 100 bytes");
}

TEST_CASE("With a handshake the first frame must be a PING", "[pipes][framer]") {
  const std::string ping = pipes::EncodePing("client", "salt", "nonce", "key");
  const std::string json = pipes::MakeConfigRequestJson("ChangeTracking-Linux");
  std::vector<Seen> seen = Frames(ping + json, 2, /*ping=*/true);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].type == Type::kPing);
  CHECK(seen[0].bytes == ping);
  CHECK(seen[1].type == Type::kConfigRequest);

  seen = Frames(json, 2, /*ping=*/true);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].type == Type::kBadPing);
  CHECK(seen[0].error == "sent data before PING");

  seen = Frames(testvectors::FromHex("91 c1"), 1, /*ping=*/true);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].type == Type::kBadPing);
}
