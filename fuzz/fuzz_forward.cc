// libFuzzer target: the bytes a client sends on an extension socket, cut into frames by the
// framer pipes::Connection runs (pipes::InputFramer), without the sockets.
//
// Input: one control byte (see chunk_sizes.h) that splits the rest into socket reads, then the
// stream. Control bytes 0xf0 and above also put the framer in handshake mode (a PING first), as
// on a socket with a shared key. After each read every complete frame is taken, checked and
// consumed, as the connection does; the first malformed frame ends the stream as it closes the
// connection.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chunk_sizes.h"
#include "codec/msgpack_reader.h"
#include "invariants.h"
#include "pipes/handshake.h"
#include "pipes/input_framer.h"

namespace {

using pipes::InputFramer;

// Takes every complete frame in `unconsumed`; returns the bytes consumed, or false in `open`
// once the connection would close.
std::size_t TakeFrames(InputFramer& framer, std::string_view unconsumed, bool* open) {
  std::size_t consumed = 0;
  while (consumed < unconsumed.size()) {
    const std::string_view rest = unconsumed.substr(consumed);
    const InputFramer::Frame frame = framer.Next(rest);
    if (frame.type == InputFramer::Type::kNeedMore) break;
    if (frame.type == InputFramer::Type::kMalformed || frame.type == InputFramer::Type::kBadPing) {
      fuzz::Require(!frame.error.empty(), "the framer refused input without a reason");
      *open = false;
      return consumed;
    }
    fuzz::Require(
        frame.size >= 1 && frame.size <= rest.size() && frame.bytes == rest.substr(0, frame.size),
        "a frame is not a prefix of the unconsumed bytes");
    // A connection over its budget asks again later: the same frame must come back.
    const InputFramer::Frame again = framer.Next(rest);
    fuzz::Require(again.type == frame.type && again.size == frame.size,
                  "the framer did not return the same frame before Consume()");
    switch (frame.type) {
      case InputFramer::Type::kKeepAlive:
        fuzz::Require(frame.size == 1 && frame.bytes[0] == '\xc0', "a keep-alive is not a nil");
        break;
      case InputFramer::Type::kConfigRequest:
        fuzz::Require(frame.json.data() >= frame.bytes.data() &&
                          frame.json.data() + frame.json.size() <= frame.bytes.data() + frame.size,
                      "a config request's JSON lies outside its frame");
        fuzz::CheckConfigExchange(frame.json);
        break;
      case InputFramer::Type::kForwardMessage:
        fuzz::CheckScannedMsgpack(frame.bytes);
        fuzz::CheckForwardMessage(frame.bytes);
        break;
      case InputFramer::Type::kPing: {
        fuzz::CheckScannedMsgpack(frame.bytes);
        pipes::Ping ping;
        std::string reason;
        if (!pipes::DecodePing(frame.bytes, &ping, &reason)) {
          *open = false;  // refused by the handshake
          return consumed;
        }
        framer.HandshakePassed();
        break;
      }
      default:
        fuzz::Require(false, "an unknown frame type");
    }
    framer.Consume();
    consumed += frame.size;
  }
  return consumed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  fuzz::ChunkSizes chunks(data[0]);
  InputFramer framer(InputFramer::Limits{.msgpack = {}, .max_message_bytes = 1024 * 1024},
                     /*expect_ping=*/data[0] >= 0xf0);
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t begin = 0, received = 0;
  bool open = true;
  while (open && received < stream.size()) {
    received += chunks.Next(stream.size() - received);
    begin += TakeFrames(framer, stream.substr(begin, received - begin), &open);
  }
  return 0;
}
