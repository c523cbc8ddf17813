#ifndef AMAHOST_DCR_JSON_UTIL_H_
#define AMAHOST_DCR_JSON_UTIL_H_

// RapidJSON helpers shared by the parsers and serialisers of dcr: bounded parsing, JSON paths,
// diagnostics, typed member access and a small compact writer. Internal to dcr.

#include <rapidjson/document.h>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/json_parse.h"
#include "dcr/diagnostics.h"

namespace dcr::internal {

// Parses `text` (UTF-8 validated, at most kMaxDocumentBytes, no NUL byte, nesting at most
// kMaxJsonDepth, nothing but whitespace after the value). On failure returns false and sets
// `error` to a message that names the byte offset.
bool ParseJson(std::string_view text, rapidjson::Document* document, std::string* error);

// The value as compact JSON text.
std::string CompactJson(const rapidjson::Value& value);

// `text` re-written as compact JSON, or nullopt if it is not valid JSON within the limits.
std::optional<std::string> NormalizeJson(std::string_view text);

// "$.a" + "b" → "$.a.b"; keys that are not plain identifiers use brackets: $.a["b-c"].
std::string MemberPath(std::string_view path, std::string_view key);
// "$.a" + 2 → "$.a[2]".
std::string IndexPath(std::string_view path, std::size_t index);

// Collects diagnostics for one source. `diagnostics` may be null (then problems are only counted).
// Control bytes in the source, path or message are written as \xNN, so that each diagnostic stays
// one line.
class Reporter {
 public:
  Reporter(std::string source, Diagnostics* diagnostics)
      : source_(std::move(source)), diagnostics_(diagnostics) {}

  void Error(std::string path, std::string message);
  void Warning(std::string path, std::string message);

  std::size_t error_count() const { return error_count_; }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  Diagnostics* diagnostics_;
  std::size_t error_count_ = 0;
};

// Counts the errors reported from its construction on: ok() is false once one was reported.
class ErrorScope {
 public:
  explicit ErrorScope(const Reporter& reporter)
      : reporter_(reporter), start_(reporter.error_count()) {}
  bool ok() const { return reporter_.error_count() == start_; }
  std::size_t start() const { return start_; }

 private:
  const Reporter& reporter_;
  std::size_t start_;
};

// "an object", "a string", … for messages (codec::JsonTypeName).
inline const char* TypeName(const rapidjson::Value& value) { return codec::JsonTypeName(value); }

// The first member named `key`, or null.
const rapidjson::Value* FindMember(const rapidjson::Value& object, std::string_view key);

// Warns about every member of `object` whose name is not in `known`.
void WarnUnknownMembers(const rapidjson::Value& object, const std::string& path,
                        std::initializer_list<std::string_view> known, Reporter* reporter);

// Reads a required, non-empty string member. Reports an error and returns false otherwise.
bool RequireString(const rapidjson::Value& object, std::string_view key, const std::string& path,
                   Reporter* reporter, std::string* out);

// Reads an optional string member: absent (or null) leaves `out` alone and returns true; any other
// non-string is an error.
bool OptionalString(const rapidjson::Value& object, std::string_view key, const std::string& path,
                    Reporter* reporter, std::string* out);

// Reads an optional array of strings; absent leaves `out` empty. Elements that are not strings are
// errors.
bool OptionalStringArray(const rapidjson::Value& object, std::string_view key,
                         const std::string& path, Reporter* reporter,
                         std::vector<std::string>* out);

// True for 1-`max_length` characters of [A-Za-z0-9._-].
bool IsSafeName(std::string_view text, std::size_t max_length);

// True if `text` contains a byte below 0x20 or 0x7f.
bool HasControlCharacter(std::string_view text);

// Appends compact JSON. Keeps track of commas; the caller keeps keys and values in order.
class JsonOut {
 public:
  JsonOut& BeginObject();
  JsonOut& EndObject();
  JsonOut& BeginArray();
  JsonOut& EndArray();
  JsonOut& Key(std::string_view key);
  JsonOut& String(std::string_view text);
  JsonOut& Int(long long value);
  // `json` must be valid JSON; text that is not is written as {} (see model.h).
  JsonOut& Json(std::string_view json);
  // `json` written as is: only for text this module produced itself.
  JsonOut& TrustedJson(std::string_view json);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void BeforeValue();

  std::string out_;
  std::vector<bool> has_members_;  // one per open object/array
  bool after_key_ = false;
};

}  // namespace dcr::internal

#endif  // AMAHOST_DCR_JSON_UTIL_H_
