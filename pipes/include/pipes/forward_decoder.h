#ifndef AMAHOST_PIPES_FORWARD_DECODER_H_
#define AMAHOST_PIPES_FORWARD_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codec/msgpack_reader.h"

namespace pipes {

// Decoding of Fluent Forward protocol v1 messages (docs/protocol.md §3). Pure; thread-compatible.

enum class ForwardMode { kMessage, kForward, kPackedForward, kCompressedPackedForward };

std::string_view ForwardModeName(ForwardMode mode);

struct ForwardLimits {
  codec::MsgpackLimits msgpack;
  // Largest decompressed payload of a CompressedPackedForward message.
  std::size_t max_decompressed_bytes = 64 * 1024 * 1024;
};

// One decoded message. `tag`, `chunk` and `entries` may point into the message bytes passed to
// DecodeForwardMessage (or into `owned_entries`): they live as long as both.
struct ForwardMessage {
  ForwardMode mode = ForwardMode::kForward;
  std::string_view tag;
  // The records as packed entries `[time, record]…`, each validated (time int or EventTime,
  // record a map, msgpack limits respected).
  std::string_view entries;
  std::uint32_t count = 0;
  // The earliest and latest event time of the entries, in nanoseconds since the Unix epoch
  // (codec::EventTimeToUnixNs); both 0 when there are none.
  std::int64_t min_event_unix_ns = 0;
  std::int64_t max_event_unix_ns = 0;
  std::optional<std::string_view> chunk;  // option "chunk": the client wants an ack
  std::optional<std::uint64_t> size;      // option "size", as sent
  // Backing store for `entries` when they could not be a view (Message mode, decompressed).
  std::string owned_entries;
};

// Decodes one whole message, as delimited by codec::MsgpackScanner: `[tag, time, record, opt?]`
// (Message), `[tag, [[time, record]…], opt?]` (Forward), `[tag, bin|str, opt?]` (PackedForward),
// or PackedForward with option compressed "gzip" (several gzip members allowed). Returns false
// with `error` saying what is wrong; the caller counts it as malformed. `out` may be reused from
// message to message: everything in it is replaced, and its owned_entries keep their capacity.
bool DecodeForwardMessage(std::string_view message, const ForwardLimits& limits,
                          ForwardMessage* out, std::string* error);

// The ack for `chunk`: msgpack {"ack": chunk}.
std::string EncodeAck(std::string_view chunk);

}  // namespace pipes

#endif  // AMAHOST_PIPES_FORWARD_DECODER_H_
