#include "pipes/input_framer.h"

#include <fmt/format.h>

#include "pipes/framing.h"

namespace pipes {
namespace {

// A PING is ["PING", hostname, salt, digest, user, password]: short strings.
constexpr codec::MsgpackLimits kPingLimits{.max_length = 4096, .max_depth = 1};
// A config request wrapped as msgpack: one str or bin.
constexpr codec::MsgpackLimits kRequestLimits{
    .max_length = static_cast<std::uint32_t>(kMaxConfigRequestBytes), .max_depth = 1};

}  // namespace

InputFramer::InputFramer(Limits limits, bool expect_ping)
    : limits_(limits),
      expect_ping_(expect_ping),
      forward_scanner_(limits.msgpack),
      request_scanner_(kRequestLimits),
      ping_scanner_(kPingLimits) {}

InputFramer::Frame InputFramer::Fail(Type type, std::string error) {
  failed_ = true;
  Frame frame;
  frame.type = type;
  frame.error = std::move(error);
  return frame;
}

InputFramer::Frame InputFramer::Next(std::string_view input) {
  if (failed_) return Fail(Type::kMalformed, "input after an error");
  if (input.empty()) return Frame{};
  if (kind_ == Kind::kNone) {
    const auto first = static_cast<unsigned char>(input[0]);
    const ItemKind item = ClassifyFirstByte(first);
    if (expect_ping_) {
      if (item != ItemKind::kForwardMessage) return Fail(Type::kBadPing, "sent data before PING");
      kind_ = Kind::kPing;
      ping_scanner_.Reset();
    } else {
      switch (item) {
        case ItemKind::kKeepAlive: {
          // One byte, and nothing to keep between calls.
          Frame frame;
          frame.type = Type::kKeepAlive;
          frame.size = 1;
          frame.bytes = input.substr(0, 1);
          return frame;
        }
        case ItemKind::kRawJsonRequest:
          kind_ = Kind::kRawJson;
          json_scanner_.Reset();
          break;
        case ItemKind::kMsgpackRequest:
          kind_ = Kind::kMsgpackRequest;
          request_scanner_.Reset();
          break;
        case ItemKind::kForwardMessage:
          kind_ = Kind::kForward;
          forward_scanner_.Reset();
          break;
        case ItemKind::kUnknown:
          return Fail(Type::kMalformed,
                      fmt::format("unexpected first byte 0x{:02x}: neither a Forward message "
                                  "(array) nor a config request (JSON object, msgpack str or bin)",
                                  first));
      }
    }
  }

  std::size_t size = complete_size_;
  if (size == 0 && kind_ == Kind::kRawJson) {
    const JsonObjectScanner::Status status = json_scanner_.Scan(input);
    if (status == JsonObjectScanner::Status::kNeedMore) return Frame{};
    if (status == JsonObjectScanner::Status::kInvalid) {
      return Fail(Type::kMalformed,
                  "config request is not a JSON object within the size and nesting limits");
    }
    size = json_scanner_.size();
  } else if (size == 0) {
    codec::MsgpackScanner& scanner = kind_ == Kind::kForward          ? forward_scanner_
                                     : kind_ == Kind::kMsgpackRequest ? request_scanner_
                                                                      : ping_scanner_;
    const codec::DecodeStatus status = scanner.Scan(input);
    if (status == codec::DecodeStatus::kNeedMore) {
      if (input.size() > limits_.max_message_bytes) {
        return Fail(Type::kMalformed,
                    fmt::format("message larger than {} bytes", limits_.max_message_bytes));
      }
      return Frame{};
    }
    if (status == codec::DecodeStatus::kInvalid) {
      return Fail(kind_ == Kind::kPing ? Type::kBadPing : Type::kMalformed, scanner.error());
    }
    size = scanner.size();
  }
  complete_size_ = size;

  Frame frame;
  frame.size = size;
  frame.bytes = input.substr(0, size);
  switch (kind_) {
    case Kind::kRawJson:
      frame.type = Type::kConfigRequest;
      frame.json = frame.bytes;
      break;
    case Kind::kMsgpackRequest: {
      // The scanner accepted one str or bin (its first byte said so, depth 1): its payload is
      // the request's JSON text.
      frame.type = Type::kConfigRequest;
      codec::MsgpackCursor cursor(frame.bytes);
      cursor.ReadStrOrBin(&frame.json);
      break;
    }
    case Kind::kForward:
      frame.type = Type::kForwardMessage;
      break;
    case Kind::kPing:
      frame.type = Type::kPing;
      break;
    case Kind::kNone:
      break;
  }
  return frame;
}

void InputFramer::Consume() {
  kind_ = Kind::kNone;
  complete_size_ = 0;
}

}  // namespace pipes
