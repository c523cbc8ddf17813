#ifndef AMAHOST_BASE_UUID_H_
#define AMAHOST_BASE_UUID_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace base {

// `count` bytes from getrandom(2) (the kernel's CSPRNG): nonces, salts, chunk ids.
std::string RandomBytes(std::size_t count);

// A random (version 4) UUID in lower-case 8-4-4-4-12 form, from getrandom(2).
std::string NewUuid();

// True for the 8-4-4-4-12 hexadecimal form (either case).
bool IsUuid(std::string_view text);

}  // namespace base

#endif  // AMAHOST_BASE_UUID_H_
