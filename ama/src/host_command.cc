#include "host_command.h"

#include <fmt/format.h>

#include <vector>

#include "codec/json_parse.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace ama {
namespace {

struct Outcome {
  bool success = false;
  std::string description;
  std::uint64_t letters = 0;
  std::uint64_t records = 0;
};

std::string Reply(std::string_view request, std::string_view request_id, const Outcome& outcome) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto string = [&](std::string_view text) {
    writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  };
  writer.StartObject();
  writer.Key("Request");
  string(request);
  writer.Key("RequestId");
  string(request_id);
  writer.Key("Version");
  string("1");
  writer.Key("Success");
  writer.Bool(outcome.success);
  writer.Key("Description");
  string(outcome.description);
  writer.Key("Letters");
  writer.Uint64(outcome.letters);
  writer.Key("Records");
  writer.Uint64(outcome.records);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string StringMember(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

Outcome DeadLetter(const rapidjson::Value& request, localstore::Store& store,
                   uploader::Uploader& uploader, base::Logger& logger) {
  Outcome outcome;
  const std::string action = StringMember(request, "Action");
  const std::string stream = StringMember(request, "Stream");
  if (action != "resend" && action != "drop") {
    outcome.description = "\"Action\" must be \"resend\" or \"drop\"";
    return outcome;
  }
  if (stream.empty()) {
    outcome.description = "\"Stream\" must name the stream id of the dead letters";
    return outcome;
  }
  std::vector<std::int64_t> ids;
  auto id = request.FindMember("Id");
  auto all = request.FindMember("All");
  if (id != request.MemberEnd() && id->value.IsInt64() && id->value.GetInt64() > 0) {
    ids.push_back(id->value.GetInt64());
  } else if (all != request.MemberEnd() && all->value.IsBool() && all->value.GetBool()) {
    std::vector<localstore::DeadLetter> letters;
    if (std::error_code ec = store.DeadLetters(stream, &letters)) {
      outcome.description =
          fmt::format("cannot list the dead letters of {}: {}", stream, ec.message());
      return outcome;
    }
    for (const localstore::DeadLetter& letter : letters) ids.push_back(letter.id);
  } else {
    outcome.description = "give \"Id\" (a positive integer) or \"All\":true";
    return outcome;
  }
  for (std::int64_t letter_id : ids) {
    localstore::DeadLetter letter;
    std::error_code ec = action == "resend" ? store.ResendDeadLetter(stream, letter_id, &letter)
                                            : store.DropDeadLetter(stream, letter_id, &letter);
    if (ec) {
      outcome.description =
          fmt::format("dead letter {} of {}: {}", letter_id, stream, ec.message());
      return outcome;
    }
    ++outcome.letters;
    outcome.records += letter.count;
    logger.Info("ama", "dead letter {} of stream {} ({} records, HTTP {}) {}", letter_id, stream,
                letter.count, letter.status,
                action == "resend" ? "put back in the stream to be sent again" : "dropped");
  }
  if (action == "resend" && outcome.letters > 0) uploader.Notify(stream);
  outcome.success = true;
  return outcome;
}

}  // namespace

std::string HandleHostCommand(std::string_view json, bool privileged, localstore::Store& store,
                              uploader::Uploader& uploader, base::Logger& logger) {
  rapidjson::Document document;
  std::string why;
  if (!codec::ParseJson(json, &document, &why, {.max_bytes = 64 * 1024, .max_depth = 8}) ||
      !document.IsObject()) {
    return Reply("", "", {.description = "the request is not a JSON object"});
  }
  const std::string request = StringMember(document, "Request");
  const std::string request_id = StringMember(document, "RequestId");
  if (request != kDeadLetterRequest) {
    return Reply(request, request_id,
                 {.description = fmt::format("unsupported request '{}': AgentTaggedData, "
                                             "AmahostStatus and {} are served",
                                             request, kDeadLetterRequest)});
  }
  if (!privileged) {
    return Reply(request, request_id,
                 {.description = "only root or the host's own user may change its dead letters"});
  }
  return Reply(request, request_id, DeadLetter(document, store, uploader, logger));
}

}  // namespace ama
