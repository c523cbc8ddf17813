#ifndef AMAHOST_DCR_URL_UTIL_H_
#define AMAHOST_DCR_URL_UTIL_H_

// The little URL handling dcr needs. Internal to dcr.

#include <cstddef>
#include <string>
#include <string_view>

namespace dcr::internal {

// Length of "scheme://authority" at the start of `url` when it is an absolute http(s) URL with a
// non-empty authority and no control characters or spaces anywhere; 0 otherwise.
std::size_t HttpOriginLength(std::string_view url);

inline bool IsHttpUrl(std::string_view url) { return HttpOriginLength(url) != 0; }

// `url` without trailing '/' characters.
std::string_view TrimTrailingSlashes(std::string_view url);

// Percent-encodes every byte outside [A-Za-z0-9._~-] (RFC 3986 unreserved).
std::string PercentEncode(std::string_view text);

}  // namespace dcr::internal

#endif  // AMAHOST_DCR_URL_UTIL_H_
