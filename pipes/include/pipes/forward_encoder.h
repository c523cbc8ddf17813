#ifndef AMAHOST_PIPES_FORWARD_ENCODER_H_
#define AMAHOST_PIPES_FORWARD_ENCODER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "pipes/forward_decoder.h"

namespace pipes {

// Writing Fluent Forward messages, as a client does: for amactl, the load generator and tests.
// Pure; thread-compatible.

// Encodes `count` packed entries (`[time, record]…`) for `tag` in `mode`, with options
// {"chunk": chunk, "size": count} when `chunk` is not empty, and {"compressed": "gzip"} for
// CompressedPackedForward. Message mode takes exactly one entry.
std::string EncodeForwardMessage(std::string_view tag, std::string_view entries,
                                 std::uint32_t count, ForwardMode mode, std::string_view chunk);

// A new chunk id: base64 of 16 random bytes, as the Forward protocol suggests.
std::string NewChunkId();

}  // namespace pipes

#endif  // AMAHOST_PIPES_FORWARD_ENCODER_H_
