#ifndef AMAHOST_TESTS_SUPPORT_BYTES_H_
#define AMAHOST_TESTS_SUPPORT_BYTES_H_

#include <initializer_list>
#include <string>

namespace testing {

// Bytes from a list of byte values (0 to 255), for wire-format test vectors.
inline std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

}  // namespace testing

#endif  // AMAHOST_TESTS_SUPPORT_BYTES_H_
