#ifndef AMAHOST_BASE_UUID_H_
#define AMAHOST_BASE_UUID_H_

#include <string>
#include <string_view>

namespace base {

// A random (version 4) UUID in lower-case 8-4-4-4-12 form, from getrandom(2).
std::string NewUuid();

// True for the 8-4-4-4-12 hexadecimal form (either case).
bool IsUuid(std::string_view text);

}  // namespace base

#endif  // AMAHOST_BASE_UUID_H_
