#ifndef AMAHOST_BASE_JSON_TEXT_H_
#define AMAHOST_BASE_JSON_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace base {

// JSON string literals, for every module that writes JSON text (codec re-exports them) and for
// the JSON log lines, which base writes itself. Pure; thread-safe.

// Appends `text` as a JSON string literal, quotes included. Control characters, '"' and '\' are
// escaped; valid UTF-8 passes through unchanged; each byte of an invalid UTF-8 sequence becomes
// U+FFFD, so the output is always valid JSON in valid UTF-8.
void AppendJsonString(std::string* out, std::string_view text);

// Same, as a new string.
std::string JsonString(std::string_view text);

// True if `text` is valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF).
bool IsValidUtf8(std::string_view text);

// The length of the UTF-8 sequence that starts at text[i] (1 for ASCII), or 0 when the bytes
// there are not a valid one (by IsValidUtf8's rules). `i` < text.size().
std::size_t Utf8SequenceAt(std::string_view text, std::size_t i);

}  // namespace base

#endif  // AMAHOST_BASE_JSON_TEXT_H_
