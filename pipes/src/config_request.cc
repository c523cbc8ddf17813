#include "pipes/config_request.h"

#include <fmt/format.h>

#include "codec/json_parse.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace pipes {
namespace {

bool Fail(std::string* error, std::string message) {
  *error = std::move(message);
  return false;
}

// Reads a string member; absent is fine when not required, another type is an error.
bool ReadStringMember(const rapidjson::Value& object, const char* name, bool required,
                      std::string* out, std::string* error) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) {
    if (required) return Fail(error, fmt::format("the request has no \"{}\"", name));
    return true;
  }
  if (!it->value.IsString()) return Fail(error, fmt::format("\"{}\" must be a string", name));
  out->assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

}  // namespace

bool ParseConfigRequest(std::string_view json, ConfigRequest* out, std::string* error) {
  *out = ConfigRequest{};
  if (json.size() > kMaxConfigRequestBytes) {
    return Fail(error, fmt::format("the request is larger than {} bytes", kMaxConfigRequestBytes));
  }
  // Validated as UTF-8 throughout, strings included: the reply echoes RequestId and Tag.
  rapidjson::Document document;
  std::string why;
  if (!codec::ParseJson(json, &document, &why,
                        {.max_bytes = kMaxConfigRequestBytes, .max_depth = 32})) {
    return Fail(error, "the request is not valid JSON: " + why);
  }
  if (!document.IsObject()) return Fail(error, "the request must be a JSON object");
  // RequestId first, so that even a reply to a bad request can echo it.
  if (!ReadStringMember(document, "RequestId", false, &out->request_id, error)) return false;
  if (!ReadStringMember(document, "Request", true, &out->request, error)) return false;
  // Only AgentTaggedData names an extension; the status request has no Tag.
  if (!ReadStringMember(document, "Tag", out->request == "AgentTaggedData", &out->tag, error)) {
    return false;
  }
  if (!ReadStringMember(document, "Version", false, &out->version, error)) return false;
  return true;
}

std::string NoConfigurationYetMessage(std::string_view waiting_for) {
  return fmt::format(
      "no configuration loaded yet: the host is waiting for {}; ask again in a few seconds",
      waiting_for);
}

std::string UnknownExtensionMessage(std::string_view tag, const std::vector<std::string>& known) {
  constexpr std::size_t kMaxNames = 20;
  std::string names;
  for (std::size_t i = 0; i < known.size() && i < kMaxNames; ++i) {
    names += (i == 0 ? "" : ", ") + known[i];
  }
  if (known.size() > kMaxNames) names += ", …";
  return fmt::format("no DCR names extension '{}' (known extensions: {})", tag,
                     names.empty() ? "none" : names);
}

std::string BuildConfigReply(const ConfigRequest& request, bool success,
                             std::string_view description, std::string_view tagged_data) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto string = [&](std::string_view text) {
    writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  };
  writer.StartObject();
  writer.Key("Request");
  string(request.request.empty() ? "AgentTaggedData" : request.request);
  writer.Key("RequestId");
  string(request.request_id);
  writer.Key("Version");
  string("1");
  writer.Key("Success");
  writer.Bool(success);
  writer.Key("Description");
  string(description);
  writer.Key("TaggedData");
  string(tagged_data);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string BuildStatusReply(const ConfigRequest& request, std::string_view status_json) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("Request");
  writer.String(kStatusRequest);
  writer.Key("RequestId");
  writer.String(request.request_id.data(),
                static_cast<rapidjson::SizeType>(request.request_id.size()));
  writer.Key("Version");
  writer.String("1");
  writer.Key("Success");
  writer.Bool(true);
  writer.Key("Description");
  writer.String("");
  writer.Key("Status");
  writer.RawValue(status_json.data(), status_json.size(), rapidjson::kObjectType);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

JsonObjectScanner::Status JsonObjectScanner::Scan(std::string_view data) {
  constexpr int kMaxDepth = 32;
  while (pos_ < data.size()) {
    if (pos_ >= max_bytes_) return Status::kInvalid;
    char c = data[pos_++];
    if (in_string_) {
      if (escape_) {
        escape_ = false;
      } else if (c == '\\') {
        escape_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string_ = true;
        break;
      case '{':
      case '[':
        if (++depth_ > kMaxDepth) return Status::kInvalid;
        break;
      case '}':
      case ']':
        if (--depth_ < 0) return Status::kInvalid;
        if (depth_ == 0) return Status::kComplete;
        break;
      default:
        if (depth_ == 0) return Status::kInvalid;  // must start with '{'
        break;
    }
  }
  return pos_ >= max_bytes_ ? Status::kInvalid : Status::kNeedMore;
}

}  // namespace pipes
