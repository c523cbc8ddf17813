#ifndef AMAHOST_MOCKCLOUD_UPLOAD_PARSER_H_
#define AMAHOST_MOCKCLOUD_UPLOAD_PARSER_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "mockcloud/data_items.h"
#include "mockcloud/http_message.h"
#include "mockcloud/schema_check.h"
#include "mockcloud/table_schema.h"

namespace mockcloud {

// Checks the headers and body of an upload (docs/protocol.md §5) and extracts its items. Pure: no
// I/O; authorization and the api-version are checked by the caller. Thread-safe (each call with its
// own `scratch`).
//
// Every refusal says exactly what is wrong, in a form a client author can act on; `code` follows
// the error codes of Azure's HTTP Data Collector API where one fits.
struct UploadError {
  int status = 400;
  std::string code;  // "UnsupportedContentType", "InvalidDataFormat", ...
  std::string message;
};

struct UploadLimits {
  std::size_t max_ods_inflated = 256 * 1024 * 1024;  // ODS: decompressed body
  std::size_t max_logs_body = 1024 * 1024;           // Logs Ingestion: 1 MiB, compressed or not
  int max_json_depth = 64;
};

// What to keep of the items. The checks and their verdicts are the same either way: counting
// still reads every byte of the JSON and refuses exactly what keeping would refuse.
enum class ItemCapture {
  kTexts,      // each item as compact JSON (DataItems::Text)
  kCountOnly,  // only how many (--discard): no item is copied
};

// An ODS PostJsonDataItems body: {"DataType":"…","IPName":"…","DataItems":[{…},…],…}.
struct OdsUpload {
  std::string data_type;
  std::string ip_name;
  DataItems items;
  std::size_t json_bytes = 0;  // the body once its Content-Encoding is undone
  SchemaResult schema;         // the items against the DataType's table, if it has one
};

// A Logs Ingestion body: [{…},…].
struct LogsUpload {
  DataItems items;
  std::size_t json_bytes = 0;
  SchemaResult schema;  // the items against the stream's table, if it has one
};

// Content-Type must be application/json (parameters allowed); Content-Encoding deflate (a zlib
// stream, RFC 1950) or none/identity, inflating to at most max_ods_inflated bytes (413); the
// body JSON (nesting ≤ max_json_depth) and an object; DataType and IPName non-empty strings of
// [A-Za-z0-9_.-] (a stream id with ':' is refused with a hint); DataItems an array of objects.
// When a key appears twice, its first value counts.
//
// `scratch` (may be null) is a buffer the caller reuses from call to call so that a stream of
// large uploads does not allocate a body-sized buffer for each; its contents afterwards are
// unspecified. The body is decoded into it and the JSON read in place, without a DOM.
//
// With `schemas`, the items of an accepted body whose DataType has a table there are checked
// against it as they are read (out->schema; the check never refuses anything). When DataType
// comes after DataItems in the body, the kept texts are read again for it; with kCountOnly
// there are none, and the result says why the items were not checked.
bool ParseOdsUpload(const Request& request, const UploadLimits& limits, OdsUpload* out,
                    UploadError* error, ItemCapture capture = ItemCapture::kTexts,
                    std::string* scratch = nullptr, const SchemaSet* schemas = nullptr);

// A Logs Ingestion body: a JSON array of objects, Content-Encoding gzip or none, at most
// max_logs_body bytes both as sent and decompressed (413 otherwise). `scratch` as above; the
// items are checked against the table of `stream` in `schemas`, if it has one.
bool ParseLogsUpload(const Request& request, const UploadLimits& limits, LogsUpload* out,
                     UploadError* error, ItemCapture capture = ItemCapture::kTexts,
                     std::string* scratch = nullptr, const SchemaSet* schemas = nullptr,
                     std::string_view stream = {});

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_UPLOAD_PARSER_H_
