#ifndef AMAHOST_MOCKCLOUD_UPLOAD_PARSER_H_
#define AMAHOST_MOCKCLOUD_UPLOAD_PARSER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "mockcloud/http_message.h"

namespace mockcloud {

// Checks the headers and body of an upload (PROTOCOL.md §5) and extracts its items. Pure: no I/O;
// authorization and the api-version are checked by the caller. Thread-safe.
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
  std::size_t max_logs_body = 1024 * 1024;           // Logs Ingestion: 1 MB, compressed or not
  int max_json_depth = 64;
};

// An ODS PostJsonDataItems body: {"DataType":"…","IPName":"…","DataItems":[{…},…],…}.
struct OdsUpload {
  std::string data_type;
  std::string ip_name;
  std::vector<std::string> items;  // each DataItem as compact JSON
};

// Content-Type must be application/json (parameters allowed); Content-Encoding deflate (a zlib
// stream, RFC 1950) or none/identity; DataType and IPName non-empty strings of
// [A-Za-z0-9_.-] (a stream id with ':' is refused with a hint); DataItems an array of objects.
bool ParseOdsUpload(const Request& request, const UploadLimits& limits, OdsUpload* out,
                    UploadError* error);

// A Logs Ingestion body: a JSON array of objects, Content-Encoding gzip or none, at most
// max_logs_body bytes both as sent and decompressed (413 otherwise).
bool ParseLogsUpload(const Request& request, const UploadLimits& limits,
                     std::vector<std::string>* items, UploadError* error);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_UPLOAD_PARSER_H_
