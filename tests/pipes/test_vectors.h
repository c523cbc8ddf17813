#ifndef AMAHOST_TESTS_PIPES_TEST_VECTORS_H_
#define AMAHOST_TESTS_PIPES_TEST_VECTORS_H_

#include <initializer_list>
#include <string>
#include <string_view>

namespace testvectors {

// Bytes from a list of byte values.
std::string Bytes(std::initializer_list<int> values);
// Bytes from hexadecimal text; spaces are ignored.
std::string FromHex(std::string_view hex);
// One or more gzip members, each holding one of `parts`.
std::string Gzip(std::initializer_list<std::string_view> parts);

}  // namespace testvectors

#endif  // AMAHOST_TESTS_PIPES_TEST_VECTORS_H_
