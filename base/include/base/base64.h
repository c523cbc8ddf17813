#ifndef AMAHOST_BASE_BASE64_H_
#define AMAHOST_BASE_BASE64_H_

#include <string>
#include <string_view>

namespace base {

// Standard alphabet (RFC 4648 §4) with '=' padding.
std::string Base64Encode(std::string_view data);
// Accepts the standard alphabet with or without padding; returns false on any other byte.
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace base

#endif  // AMAHOST_BASE_BASE64_H_
