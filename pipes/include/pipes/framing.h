#ifndef AMAHOST_PIPES_FRAMING_H_
#define AMAHOST_PIPES_FRAMING_H_

namespace pipes {

// What the next item on a connection is, told by its first byte (docs/protocol.md §3): every socket
// takes config requests and Forward messages alike. Pure.
enum class ItemKind {
  kKeepAlive,       // msgpack nil
  kRawJsonRequest,  // '{': a config request as raw JSON
  kMsgpackRequest,  // msgpack str or bin: a config request wrapped as the Linux clients do
  kForwardMessage,  // msgpack array: a Fluent Forward message (or, in a handshake, PING)
  kUnknown,         // anything else: malformed
};

ItemKind ClassifyFirstByte(unsigned char first);

}  // namespace pipes

#endif  // AMAHOST_PIPES_FRAMING_H_
