#ifndef AMAHOST_CODEC_JSON_PARSE_H_
#define AMAHOST_CODEC_JSON_PARSE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "codec/msgpack_writer.h"
#include "rapidjson/document.h"

// The RapidJSON side of codec: parsing outside JSON into a rapidjson::Document with bounds, and
// what is done with such documents. Only the modules that read JSON documents include it (dcr,
// mockcloud, amactl, the config request's parser); codec's other headers do not expose RapidJSON.

namespace codec {

// Bounds for JSON that comes from outside (files, the network, clients).
struct JsonParseLimits {
  std::size_t max_bytes = 16 * 1024 * 1024;
  int max_depth = 64;
};

// Parses `text` into `document`: valid UTF-8 only, no NUL byte, nothing after the value, at most
// `limits.max_bytes` long and nested at most `limits.max_depth` deep. Parsing is iterative, so
// deep input cannot exhaust the stack. On failure `document` is null and `error` says why:
// "document is larger than N bytes", "JSON nested deeper than N levels (at byte K)" or
// "invalid JSON at byte K: <reason>"; `error_offset`, when given, is set to K (0 for a document
// too large), so that a caller can name the line (TextPosition). Pure; thread-safe.
bool ParseJson(std::string_view text, rapidjson::Document* document, std::string* error,
               const JsonParseLimits& limits = {}, std::size_t* error_offset = nullptr);

// "line 3, column 7": where byte `offset` of `text` is, both counted from 1 (columns in bytes).
std::string TextPosition(std::string_view text, std::size_t offset);

// What kind of value `value` is, for messages: "null", "a boolean", "a number", "a string",
// "an array" or "an object".
const char* JsonTypeName(const rapidjson::Value& value);

// `value` as compact JSON text.
std::string CompactJson(const rapidjson::Value& value);

// Converts a JSON value to msgpack: null, bool, integers (as int/uint), other numbers (float
// 64), strings, arrays and objects. Returns false for nesting deeper than `max_depth`.
// (Defined in msgpack_json.cc, beside the msgpack → JSON direction.)
bool AppendJsonAsMsgpack(const rapidjson::Value& value, MsgpackWriter& writer, int max_depth = 64);

}  // namespace codec

#endif  // AMAHOST_CODEC_JSON_PARSE_H_
