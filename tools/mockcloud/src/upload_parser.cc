#include "mockcloud/upload_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "codec/compression.h"
#include "codec/json_text.h"
#include "upload_scanner.h"

namespace mockcloud {
namespace {

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

// The body after undoing Content-Encoding, which must be `allowed` or none, into `body`.
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
    // A copy even so: the JSON is read in place, which writes into the buffer.
    body->assign(request.body);
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

SchemaResult Checked(SchemaReport report) {
  SchemaResult result;
  result.checked = true;
  result.report = std::move(report);
  return result;
}

// ODS names: what AMA sends (CONFIG_CHANGE_BLOB_V2, ChangeTracking, LogManagement).
std::optional<std::string> CheckName(const UploadShape::Name& name, const char* key) {
  if (name.state == UploadShape::Name::State::kMissing)
    return fmt::format("\"{}\" is missing", key);
  if (name.state == UploadShape::Name::State::kNotString) {
    return fmt::format("\"{}\" must be a string", key);
  }
  std::string_view value = name.value;
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

// Reads the body and judges its shape in the order a DOM would have been checked, so that the
// first problem is the one named.
bool CheckOds(std::string* body, const UploadLimits& limits, ItemCapture capture,
              const SchemaSet* schemas, OdsUpload* out, UploadError* error) {
  UploadShape shape;
  std::string message;
  SchemaScan schema;
  schema.schemas = schemas;
  if (!ScanUpload(UploadKind::kOds, body, limits.max_json_depth, capture, &out->items, &shape,
                  &message, schemas != nullptr ? &schema : nullptr)) {
    return Fail(error, 400, "InvalidDataFormat", "body: " + message);
  }
  if (shape.root != UploadShape::Root::kObject) {
    return Fail(error, 400, "InvalidDataFormat",
                "body must be a JSON object with DataType, IPName and DataItems");
  }
  if (std::optional<std::string> problem = CheckName(shape.data_type, "DataType")) {
    return Fail(error, 400, "InvalidDataType", *problem);
  }
  if (std::optional<std::string> problem = CheckName(shape.ip_name, "IPName")) {
    return Fail(error, 400, "InvalidIPName", *problem);
  }
  if (shape.items == UploadShape::Items::kMissing) {
    return Fail(error, 400, "InvalidDataFormat", "\"DataItems\" is missing");
  }
  if (shape.items == UploadShape::Items::kNotArray) {
    return Fail(error, 400, "InvalidDataFormat", "\"DataItems\" must be an array of objects");
  }
  if (shape.first_non_object) {
    return Fail(error, 400, "InvalidDataFormat",
                fmt::format("DataItems[{}] is not a JSON object", *shape.first_non_object));
  }
  out->data_type = std::move(shape.data_type.value);
  out->ip_name = std::move(shape.ip_name.value);
  const TableSchema* table = schemas != nullptr ? schemas->Find(out->data_type) : nullptr;
  if (schema.checker) {
    out->schema = Checked(schema.checker->TakeReport());
  } else if (table == nullptr) {
    out->schema.reason =
        fmt::format("no schema for DataType {}", codec::JsonString(out->data_type));
  } else if (out->items.has_texts) {
    // DataType came after DataItems: the table was not known while the items were read.
    SchemaChecker checker(*table);
    CheckItemTexts(out->items, &checker);
    out->schema = Checked(checker.TakeReport());
  } else {
    out->schema.reason =
        "DataType comes after DataItems in the body, and with --discard the items are not kept "
        "to be read again";
  }
  return true;
}

bool CheckLogs(std::string* body, const UploadLimits& limits, ItemCapture capture,
               const TableSchema* table, LogsUpload* out, UploadError* error) {
  UploadShape shape;
  std::string message;
  SchemaScan schema;
  schema.table = table;
  if (!ScanUpload(UploadKind::kLogs, body, limits.max_json_depth, capture, &out->items, &shape,
                  &message, table != nullptr ? &schema : nullptr)) {
    return Fail(error, 400, "InvalidDataFormat", "body: " + message);
  }
  if (shape.root != UploadShape::Root::kArray) {
    return Fail(error, 400, "InvalidDataFormat", "body must be a JSON array of objects");
  }
  if (shape.first_non_object) {
    return Fail(error, 400, "InvalidDataFormat",
                fmt::format("body[{}] is not a JSON object", *shape.first_non_object));
  }
  if (schema.checker) out->schema = Checked(schema.checker->TakeReport());
  return true;
}

}  // namespace

bool ParseOdsUpload(const Request& request, const UploadLimits& limits, OdsUpload* out,
                    UploadError* error, ItemCapture capture, std::string* scratch,
                    const SchemaSet* schemas) {
  std::string local;
  std::string* body = scratch != nullptr ? scratch : &local;
  out->items.Clear(capture == ItemCapture::kTexts);
  if (!CheckContentType(request, error) ||
      !DecodeBody(request, "deflate", codec::Compression::kZlib, limits.max_ods_inflated, body,
                  error)) {
    return false;
  }
  out->json_bytes = body->size();
  return CheckOds(body, limits, capture, schemas, out, error);
}

bool ParseLogsUpload(const Request& request, const UploadLimits& limits, LogsUpload* out,
                     UploadError* error, ItemCapture capture, std::string* scratch,
                     const SchemaSet* schemas, std::string_view stream) {
  std::string local;
  std::string* body = scratch != nullptr ? scratch : &local;
  out->items.Clear(capture == ItemCapture::kTexts);
  if (request.body.size() > limits.max_logs_body) {
    return Fail(error, 413, "PayloadTooLarge",
                fmt::format("body of {} bytes is over the Logs Ingestion limit of {} bytes",
                            request.body.size(), limits.max_logs_body));
  }
  if (!CheckContentType(request, error) ||
      !DecodeBody(request, "gzip", codec::Compression::kGzip, limits.max_logs_body, body, error)) {
    return false;
  }
  out->json_bytes = body->size();
  const TableSchema* table = schemas != nullptr ? schemas->Find(stream) : nullptr;
  if (table == nullptr) {
    out->schema.reason = fmt::format("no schema for stream {}", codec::JsonString(stream));
  }
  return CheckLogs(body, limits, capture, table, out, error);
}

}  // namespace mockcloud
