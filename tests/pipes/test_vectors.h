#ifndef AMAHOST_TESTS_PIPES_TEST_VECTORS_H_
#define AMAHOST_TESTS_PIPES_TEST_VECTORS_H_

#include <initializer_list>
#include <string>
#include <string_view>

#include "support/bytes.h"

namespace testvectors {

using testing::Bytes;  // tests/support/bytes.h
// Bytes from hexadecimal text; spaces are ignored.
std::string FromHex(std::string_view hex);
// One or more gzip members, each holding one of `parts`.
std::string Gzip(std::initializer_list<std::string_view> parts);

}  // namespace testvectors

#endif  // AMAHOST_TESTS_PIPES_TEST_VECTORS_H_
