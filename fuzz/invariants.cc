#include "invariants.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "codec/fluent_entries.h"
#include "codec/json_parse.h"
#include "codec/msgpack_json.h"
#include "codec/msgpack_reader.h"
#include "pipes/config_request.h"
#include "pipes/forward_decoder.h"

namespace fuzz {
namespace {

constexpr std::size_t kMaxDecompressedBytes = 1024 * 1024;

// ParseJson's defaults are the ones the brief asks of every JSON we produce (depth at most 64).
bool ParsesAsObject(std::string_view json, rapidjson::Document* document) {
  std::string error;
  return codec::ParseJson(json, document, &error) && document->IsObject();
}

void CheckReply(std::string_view reply, const pipes::ConfigRequest& request) {
  rapidjson::Document document;
  Require(ParsesAsObject(reply, &document), "config reply is not a JSON object");
  Require(document.HasMember("RequestId") && document["RequestId"].IsString(),
          "config reply has no RequestId");
  const rapidjson::Value& id = document["RequestId"];
  Require(std::string_view(id.GetString(), id.GetStringLength()) == request.request_id,
          "config reply's RequestId is not the request's");
}

void CheckAck(std::string_view chunk) {
  std::string ack = pipes::EncodeAck(chunk);
  codec::MsgpackScanner scanner;
  Require(scanner.Scan(ack) == codec::DecodeStatus::kOk && scanner.size() == ack.size(),
          "ack is not one msgpack value");
  codec::MsgpackCursor cursor(ack);
  std::uint32_t pairs = 0;
  std::string_view key;
  std::string_view value;
  Require(cursor.ReadMapHead(&pairs) && pairs == 1 && cursor.ReadStr(&key) && key == "ack" &&
              cursor.ReadStr(&value) && value == chunk && cursor.AtEnd(),
          "ack does not decode to {\"ack\": chunk}");
}

}  // namespace

void Require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

void CheckConfigExchange(std::string_view json) {
  pipes::ConfigRequest request;
  std::string error;
  bool parsed = pipes::ParseConfigRequest(json, &request, &error);
  Require(parsed || !error.empty(), "config request refused without a reason");
  // The replies Connection::HandleConfigRequest sends, descriptions included (they quote the
  // request's own strings), with one extension known.
  if (!parsed) {
    CheckReply(pipes::BuildConfigReply(request, false, "malformed request: " + error, ""), request);
  } else if (request.request == pipes::kStatusRequest) {
    CheckReply(pipes::BuildStatusReply(request, "{\"connections\":[]}"), request);
  } else if (request.request != "AgentTaggedData") {
    CheckReply(pipes::BuildConfigReply(request, false,
                                       "unsupported request '" + request.request + "'", ""),
               request);
  } else if (request.tag != "ChangeTracking-Linux") {
    CheckReply(pipes::BuildConfigReply(request, false,
                                       "no configuration for extension '" + request.tag + "'", ""),
               request);
  } else {
    CheckReply(pipes::BuildConfigReply(request, true, "", "{\"k\":[1,\"v\"]}"), request);
  }
}

void CheckForwardMessage(std::string_view message) {
  pipes::ForwardLimits limits;
  limits.max_decompressed_bytes = kMaxDecompressedBytes;
  pipes::ForwardMessage decoded;
  std::string error;
  if (!pipes::DecodeForwardMessage(message, limits, &decoded, &error)) {
    Require(!error.empty(), "Forward message refused without a reason");
    return;
  }
  Require(!decoded.tag.empty(), "decoded Forward message has an empty tag");
  Require(decoded.entries.empty() == (decoded.count == 0),
          "decoded entries and count disagree on emptiness");
  std::uint32_t walked = 0;
  bool walked_all = codec::ForEachEntry(
      decoded.entries, [&walked](const codec::EventTime& time, std::string_view record) {
        ++walked;
        Require(!codec::FormatEventTime(time).empty(), "EventTime does not format");
        codec::MsgpackCursor cursor(record);
        std::string json;
        Require(codec::AppendMsgpackAsJson(cursor, &json), "decoded record does not convert");
        Require(cursor.AtEnd(), "record conversion left bytes over");
        rapidjson::Document document;
        Require(ParsesAsObject(json, &document), "converted record is not a JSON object");
        return true;
      });
  Require(walked_all, "decoded entries do not re-walk with ForEachEntry");
  Require(walked == decoded.count, "ForEachEntry walks a different number of entries than count");
  if (decoded.chunk) CheckAck(*decoded.chunk);
}

void CheckScannedMsgpack(std::string_view value) {
  codec::MsgpackCursor skip(value);
  Require(skip.Skip() && skip.offset() == value.size(),
          "Skip does not consume exactly what the scanner accepted");
  codec::MsgpackCursor take(value);
  std::string_view taken;
  Require(take.Take(&taken) && taken == value,
          "Take does not return exactly what the scanner accepted");
  // A value converts to JSON exactly when no map in it has a map or array as a key (the scanner's
  // depth limit keeps it within the converter's).
  codec::MsgpackCursor scalar_keys(value);
  std::string_view checked;
  bool convertible = scalar_keys.TakeWithScalarKeys(&checked);
  Require(!convertible || checked == value,
          "TakeWithScalarKeys does not return exactly what the scanner accepted");
  codec::MsgpackCursor convert(value);
  std::string json;
  bool converted = codec::AppendMsgpackAsJson(convert, &json) && convert.AtEnd();
  Require(converted == convertible,
          "AppendMsgpackAsJson and TakeWithScalarKeys disagree on a scanner-accepted value");
  if (!converted) return;
  rapidjson::Document document;
  std::string error;
  Require(codec::ParseJson(json, &document, &error), "converted value is not valid JSON");
}

}  // namespace fuzz
