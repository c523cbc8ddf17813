#include "derived_ids.h"

#include <cstdint>

namespace dcr::internal {
namespace {

__extension__ typedef unsigned __int128 Uint128;

Uint128 Fnv1a128(std::string_view text) {
  const Uint128 kOffsetBasis =
      (Uint128{0x6c62272e07bb0142ULL} << 64) | Uint128{0x62b821756295c58dULL};
  const Uint128 kPrime = (Uint128{1} << 88) | Uint128{0x13b};
  Uint128 hash = kOffsetBasis;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kPrime;
  }
  return hash;
}

}  // namespace

std::string Fnv1a128Hex(std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  Uint128 hash = Fnv1a128(text);
  std::string out(32, '0');
  for (int i = 31; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[static_cast<unsigned>(hash & 0xf)];
    hash >>= 4;
  }
  return out;
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string DerivedDcrId(std::string_view text) { return "dcr-" + Fnv1a128Hex(text); }

std::string DerivedGuid(std::string_view text) {
  std::string hex = Fnv1a128Hex(text);
  hex[12] = '8';  // version 8: custom
  static constexpr char kVariant[] = "89ab";
  hex[16] = kVariant[(hex[16] >= 'a' ? hex[16] - 'a' + 10 : hex[16] - '0') & 0x3];
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

}  // namespace dcr::internal
