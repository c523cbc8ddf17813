#ifndef AMAHOST_MOCKCLOUD_URL_H_
#define AMAHOST_MOCKCLOUD_URL_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mockcloud {

// Pure helpers for the path and query of a request-target. Thread-safe.

// Decodes %XX escapes (and '+' as a space when `plus_is_space`). Returns nullopt on a truncated
// or non-hexadecimal escape and on a decoded NUL.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space = false);

// "a=1&b=x%20y&c" → {{"a","1"},{"b","x y"},{"c",""}}, in order. Returns nullopt if any name or
// value is badly escaped.
using QueryParams = std::vector<std::pair<std::string, std::string>>;
std::optional<QueryParams> ParseQuery(std::string_view query);

// The first value of `name` (exact match), or nullptr.
const std::string* FindParam(const QueryParams& params, std::string_view name);

// "/a/b%2Fc/" → {"a","b/c",""}: the segments after the leading '/', each percent-decoded.
// Returns nullopt if the path does not start with '/' or a segment is badly escaped.
std::optional<std::vector<std::string>> SplitPath(std::string_view path);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_URL_H_
