#ifndef AMAHOST_PIPES_INPUT_FRAMER_H_
#define AMAHOST_PIPES_INPUT_FRAMER_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "codec/msgpack_reader.h"
#include "pipes/config_request.h"

namespace pipes {

// What a client sends on an extension socket, cut into frames as its bytes arrive
// (docs/protocol.md §3): config requests (raw JSON, or a msgpack str/bin holding JSON), Fluent
// Forward messages, nil keep-alives, and, on a socket with the shared-key handshake, the PING
// that must come first. Pure: no I/O, no buffer of its own, no knowledge of what a frame means
// beyond its bounds. Thread-compatible.
//
// The caller keeps the bytes received and not yet consumed, and passes all of them (from the
// first unconsumed byte) to Next() after every read:
//
//   Frame frame = framer.Next(unconsumed);
//   ... handle frame.bytes, or keep it for later and call Next() again: it returns the same
//   frame until Consume() ...
//   framer.Consume();  // then drop frame.size bytes from the front
//
// Scans resume where the previous call stopped, so a message arriving over many reads is read
// once. After an error the framer refuses everything: the connection must close.
class InputFramer {
 public:
  enum class Type {
    kNeedMore,        // no complete frame yet
    kKeepAlive,       // a msgpack nil between frames
    kConfigRequest,   // `json` is the request's JSON text
    kForwardMessage,  // `bytes` is one whole msgpack array (not yet decoded)
    kPing,            // `bytes` is the handshake's PING array
    kMalformed,       // `error` says what is wrong; close the connection
    kBadPing,         // in the handshake, not a PING: `error` says why; refuse the handshake
  };

  struct Frame {
    Type type = Type::kNeedMore;
    std::size_t size = 0;    // bytes the frame takes at the front of the input
    std::string_view bytes;  // the whole frame, within the input
    std::string_view json;   // kConfigRequest only
    std::string error;       // kMalformed and kBadPing only
  };

  struct Limits {
    codec::MsgpackLimits msgpack;  // for Forward messages
    // A frame not complete within this many bytes is malformed. Config requests stop at
    // kMaxConfigRequestBytes, a PING at 4096 bytes.
    std::size_t max_message_bytes = 16 * 1024 * 1024;
  };

  // `expect_ping`: the first frame must be the handshake's PING (a msgpack array).
  InputFramer(Limits limits, bool expect_ping);

  // The frame at the front of `input`, the unconsumed bytes (which must begin with the bytes
  // given to the previous call, unless Consume() came between).
  Frame Next(std::string_view input);
  // The frame Next() returned has been handled: the next call starts a new one.
  void Consume();
  // The PING was accepted: from now on the framer reads requests and messages.
  void HandshakePassed() { expect_ping_ = false; }
  bool expecting_ping() const { return expect_ping_; }

 private:
  enum class Kind { kNone, kRawJson, kMsgpackRequest, kForward, kPing };

  Frame Fail(Type type, std::string error);

  Limits limits_;
  bool expect_ping_;
  bool failed_ = false;
  Kind kind_ = Kind::kNone;
  // One scanner per kind, reset between frames, so that a frame costs no allocation.
  codec::MsgpackScanner forward_scanner_;
  codec::MsgpackScanner request_scanner_;
  codec::MsgpackScanner ping_scanner_;
  JsonObjectScanner json_scanner_;
  // Set once the frame in progress is complete: Next() returns it again until Consume().
  std::size_t complete_size_ = 0;
};

}  // namespace pipes

#endif  // AMAHOST_PIPES_INPUT_FRAMER_H_
