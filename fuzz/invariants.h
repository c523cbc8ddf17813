#ifndef AMAHOST_FUZZ_INVARIANTS_H_
#define AMAHOST_FUZZ_INVARIANTS_H_

#include <string_view>

namespace fuzz {

// The properties the fuzz targets assert, beyond "no sanitizer report". A broken one prints what
// failed to stderr and aborts, which libFuzzer records as a crash with its input. Pure;
// thread-compatible.

// Aborts with `what` unless `condition` holds.
void Require(bool condition, const char* what);

// One config request as the connection handles it: ParseConfigRequest on `json`, then the reply
// the host would send (BuildConfigReply, or BuildStatusReply for the status request). The reply
// must parse as a JSON object (codec::ParseJson) whose RequestId is the parsed one.
void CheckConfigExchange(std::string_view json);

// One whole Forward message, as a codec::MsgpackScanner with the default limits delimited it:
// DecodeForwardMessage (default ForwardLimits, but at most 1 MiB decompressed so that gzip bombs
// stay cheap), then what the store and the uploader do with a decoded message. When decoding
// succeeds: ForEachEntry walks exactly `count` entries, each record converts with
// AppendMsgpackAsJson to JSON that codec::ParseJson accepts as an object, and the ack for the
// chunk decodes back to {"ack": chunk}.
void CheckForwardMessage(std::string_view message);

// One msgpack value that a MsgpackScanner with the default limits accepted as exactly `value`:
// MsgpackCursor::Skip and Take consume all of it, and AppendMsgpackAsJson converts it whole.
void CheckScannedMsgpack(std::string_view value);

}  // namespace fuzz

#endif  // AMAHOST_FUZZ_INVARIANTS_H_
