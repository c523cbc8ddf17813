// libFuzzer target: the bytes a client sends on an extension socket, processed as
// pipes/src/connection.cc processes them (no handshake), without the sockets.
//
// Input: one control byte (see chunk_sizes.h) that splits the rest into socket reads, then the
// stream. Messages are classified by their first byte (nil keep-alive, raw JSON config request,
// msgpack str/bin config request, array = Forward message), delimited by the resumable scanners
// as the reads arrive, and handled; the first malformed message ends the stream as it closes
// the connection.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chunk_sizes.h"
#include "codec/msgpack_reader.h"
#include "invariants.h"
#include "pipes/config_request.h"
#include "pipes/framing.h"

namespace {

using codec::DecodeStatus;

enum class Kind { kNone, kRawJsonRequest, kMsgpackRequest, kForwardMessage };

// JsonObjectScanner counts brackets without pairing them (the parser refuses a mismatch), so an
// object may end at ']' as well as at '}'.
bool IsCloser(char last) { return last == '}' || last == ']'; }

// One pass of Connection::Process over what has been received: handles every complete message
// and returns true, or returns false once the connection would close.
class Connection {
 public:
  bool Process(std::string_view received) {
    while (begin_ < received.size()) {
      std::string_view data = received.substr(begin_);
      if (kind_ == Kind::kNone && !Classify(static_cast<unsigned char>(data[0]))) return false;
      if (kind_ == Kind::kNone) continue;  // a keep-alive was consumed
      std::size_t size = 0;
      if (kind_ == Kind::kRawJsonRequest) {
        auto status = json_scanner_.Scan(data);
        if (status == pipes::JsonObjectScanner::Status::kNeedMore) return true;
        if (status == pipes::JsonObjectScanner::Status::kInvalid) return false;
        size = json_scanner_.size();
        fuzz::Require(size >= 2 && size <= data.size() && IsCloser(data[size - 1]),
                      "JsonObjectScanner accepted an object it was not given");
        fuzz::CheckConfigExchange(data.substr(0, size));
      } else {
        DecodeStatus status = scanner_.Scan(data);
        if (status == DecodeStatus::kNeedMore) return true;
        if (status == DecodeStatus::kInvalid) {
          fuzz::Require(!scanner_.error().empty(), "MsgpackScanner refused without a reason");
          return false;
        }
        size = scanner_.size();
        fuzz::Require(size >= 1 && size <= data.size(),
                      "MsgpackScanner accepted a message larger than its input");
        std::string_view message = data.substr(0, size);
        if (kind_ == Kind::kMsgpackRequest) {
          codec::MsgpackCursor cursor(message);
          std::string_view json;
          fuzz::Require(cursor.ReadStrOrBin(&json) && cursor.AtEnd(),
                        "a scanned msgpack config request is not one str or bin");
          fuzz::CheckConfigExchange(json);
        } else {
          fuzz::CheckScannedMsgpack(message);
          fuzz::CheckForwardMessage(message);
        }
      }
      begin_ += size;
      kind_ = Kind::kNone;
    }
    return true;
  }

 private:
  // Starts the message whose first byte is `first`; false if no message starts so.
  bool Classify(unsigned char first) {
    pipes::ItemKind item = pipes::ClassifyFirstByte(first);
    if (item == pipes::ItemKind::kKeepAlive) {
      ++begin_;
    } else if (item == pipes::ItemKind::kRawJsonRequest) {
      kind_ = Kind::kRawJsonRequest;
      json_scanner_.Reset();
    } else if (item == pipes::ItemKind::kMsgpackRequest) {
      kind_ = Kind::kMsgpackRequest;
      scanner_ = codec::MsgpackScanner(codec::MsgpackLimits{
          .max_length = static_cast<std::uint32_t>(pipes::kMaxConfigRequestBytes), .max_depth = 1});
    } else if (item == pipes::ItemKind::kForwardMessage) {
      kind_ = Kind::kForwardMessage;
      scanner_ = codec::MsgpackScanner(codec::MsgpackLimits{});
    } else {
      return false;
    }
    return true;
  }

  std::size_t begin_ = 0;
  Kind kind_ = Kind::kNone;
  codec::MsgpackScanner scanner_;
  pipes::JsonObjectScanner json_scanner_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  fuzz::ChunkSizes chunks(data[0]);
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  Connection connection;
  std::size_t received = 0;
  while (received < stream.size()) {
    received += chunks.Next(stream.size() - received);
    if (!connection.Process(stream.substr(0, received))) break;
  }
  return 0;
}
