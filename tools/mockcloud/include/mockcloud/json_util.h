#ifndef AMAHOST_MOCKCLOUD_JSON_UTIL_H_
#define AMAHOST_MOCKCLOUD_JSON_UTIL_H_

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace mockcloud {

// Parses untrusted JSON text into `out` without recursion in the parser and refusing nesting
// deeper than `max_depth` (so that neither parsing nor destroying the document can exhaust the
// stack). Returns false with a message naming the byte offset in `error`. Thread-safe.
bool ParseJson(std::string_view text, rapidjson::Document* out, std::string* error,
               int max_depth = 64);

// Compact JSON text of `value`.
std::string ToJson(const rapidjson::Value& value);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_JSON_UTIL_H_
