#include "mockcloud/upload_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "codec/compression.h"
#include "codec/json_parse.h"
#include "codec/json_text.h"

namespace mockcloud {
namespace {

// The body's size is bounded by the HTTP layer and the inflater; only the nesting is limited here.
codec::JsonParseLimits JsonLimits(const UploadLimits& limits) {
  return {.max_bytes = std::numeric_limits<std::size_t>::max(), .max_depth = limits.max_json_depth};
}

bool Fail(UploadError* error, int status, std::string code, std::string message) {
  *error = UploadError{status, std::move(code), std::move(message)};
  return false;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool CheckContentType(const Request& request, UploadError* error) {
  const std::string* type = request.FindHeader("Content-Type");
  if (type == nullptr) {
    return Fail(error, 400, "MissingContentType", "no Content-Type header; send application/json");
  }
  std::string media = Lower(Trim(std::string_view(*type).substr(0, type->find(';'))));
  if (media != "application/json") {
    return Fail(error, 400, "UnsupportedContentType",
                fmt::format("Content-Type is {}; send application/json", codec::JsonString(*type)));
  }
  return true;
}

// The body after undoing Content-Encoding, which must be `allowed` or none.
bool DecodeBody(const Request& request, std::string_view allowed_name, codec::Compression allowed,
                std::size_t max_output, std::string* body, UploadError* error) {
  std::vector<std::string> encodings = request.FindHeaders("Content-Encoding");
  std::string encoding = encodings.size() == 1 ? Lower(Trim(encodings.front())) : "";
  if (encodings.size() > 1 ||
      (!encoding.empty() && encoding != "identity" && encoding != allowed_name)) {
    return Fail(error, 400, "UnsupportedContentEncoding",
                fmt::format("Content-Encoding {} is not accepted here; send {} or none",
                            codec::JsonString(encodings.size() == 1 ? encodings.front()
                                                                    : std::string("(several)")),
                            allowed_name));
  }
  if (encoding != allowed_name) {
    if (request.body.size() > max_output) {
      return Fail(error, 413, "PayloadTooLarge",
                  fmt::format("body of {} bytes is over the limit of {} bytes", request.body.size(),
                              max_output));
    }
    *body = request.body;
    return true;
  }
  std::string message;
  codec::DecompressResult result =
      codec::Decompress(request.body, allowed, max_output, body, &message);
  if (result == codec::DecompressResult::kTooLarge)
    return Fail(error, 413, "PayloadTooLarge", message);
  if (result != codec::DecompressResult::kOk) {
    return Fail(error, 400, "InvalidContentEncoding",
                fmt::format("Content-Encoding {}: {}", allowed_name, message));
  }
  return true;
}

// ODS names: what AMA sends (CONFIG_CHANGE_BLOB_V2, ChangeTracking, LogManagement).
std::optional<std::string> CheckName(const rapidjson::Value& root, const char* key) {
  auto member = root.FindMember(key);
  if (member == root.MemberEnd()) return fmt::format("\"{}\" is missing", key);
  if (!member->value.IsString()) return fmt::format("\"{}\" must be a string", key);
  std::string_view value(member->value.GetString(), member->value.GetStringLength());
  if (value.empty()) return fmt::format("\"{}\" is empty", key);
  if (value.size() > 256) return fmt::format("\"{}\" is longer than 256 characters", key);
  if (value.find(':') != std::string_view::npos) {
    return fmt::format(
        "\"{}\" {} contains ':'; send the bare name (a DATATYPE such as "
        "CONFIG_CHANGE_BLOB_V2), not a stream id",
        key, codec::JsonString(value));
  }
  for (char c : value) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) {
      return fmt::format("\"{}\" {} may only hold letters, digits, '_', '.' and '-'", key,
                         codec::JsonString(value));
    }
  }
  return std::nullopt;
}

// Each element of `array` as compact JSON; every one must be an object.
bool CollectObjects(const rapidjson::Value& array, std::string_view what,
                    std::vector<std::string>* items, UploadError* error) {
  items->clear();
  items->reserve(array.Size());
  for (rapidjson::SizeType i = 0; i < array.Size(); ++i) {
    if (!array[i].IsObject()) {
      return Fail(error, 400, "InvalidDataFormat",
                  fmt::format("{}[{}] is not a JSON object", what, i));
    }
    items->push_back(codec::CompactJson(array[i]));
  }
  return true;
}

}  // namespace

bool ParseOdsUpload(const Request& request, const UploadLimits& limits, OdsUpload* out,
                    UploadError* error) {
  std::string body;
  if (!CheckContentType(request, error) ||
      !DecodeBody(request, "deflate", codec::Compression::kZlib, limits.max_ods_inflated, &body,
                  error)) {
    return false;
  }
  rapidjson::Document document;
  std::string message;
  if (!codec::ParseJson(body, &document, &message, JsonLimits(limits))) {
    return Fail(error, 400, "InvalidDataFormat", "body: " + message);
  }
  if (!document.IsObject()) {
    return Fail(error, 400, "InvalidDataFormat",
                "body must be a JSON object with DataType, IPName and DataItems");
  }
  for (const char* key : {"DataType", "IPName"}) {
    if (std::optional<std::string> problem = CheckName(document, key)) {
      return Fail(error, 400,
                  key == std::string_view("DataType") ? "InvalidDataType" : "InvalidIPName",
                  *problem);
    }
  }
  auto items = document.FindMember("DataItems");
  if (items == document.MemberEnd()) {
    return Fail(error, 400, "InvalidDataFormat", "\"DataItems\" is missing");
  }
  if (!items->value.IsArray()) {
    return Fail(error, 400, "InvalidDataFormat", "\"DataItems\" must be an array of objects");
  }
  out->data_type = document["DataType"].GetString();
  out->ip_name = document["IPName"].GetString();
  return CollectObjects(items->value, "DataItems", &out->items, error);
}

bool ParseLogsUpload(const Request& request, const UploadLimits& limits,
                     std::vector<std::string>* items, UploadError* error) {
  if (request.body.size() > limits.max_logs_body) {
    return Fail(error, 413, "PayloadTooLarge",
                fmt::format("body of {} bytes is over the Logs Ingestion limit of {} bytes",
                            request.body.size(), limits.max_logs_body));
  }
  std::string body;
  if (!CheckContentType(request, error) ||
      !DecodeBody(request, "gzip", codec::Compression::kGzip, limits.max_logs_body, &body, error)) {
    return false;
  }
  rapidjson::Document document;
  std::string message;
  if (!codec::ParseJson(body, &document, &message, JsonLimits(limits))) {
    return Fail(error, 400, "InvalidDataFormat", "body: " + message);
  }
  if (!document.IsArray()) {
    return Fail(error, 400, "InvalidDataFormat", "body must be a JSON array of objects");
  }
  return CollectObjects(document, "body", items, error);
}

}  // namespace mockcloud
