#ifndef AMAHOST_DCR_DERIVED_IDS_H_
#define AMAHOST_DCR_DERIVED_IDS_H_

// Stable ids derived from text, for ARM DCRs that lack an immutableId or a workspaceId.
// Internal to dcr; docs/dcr.md documents the derivations.

#include <string>
#include <string_view>

namespace dcr::internal {

// FNV-1a (128-bit variant) of the bytes of `text`, as 32 lower-case hex digits
// (offset basis 0x6c62272e07bb014262b821756295c58d, prime 2^88 + 0x13b).
std::string Fnv1a128Hex(std::string_view text);

// ASCII lower-case copy (Azure resource ids compare case-insensitively).
std::string AsciiLower(std::string_view text);

// "dcr-" + Fnv1a128Hex(text).
std::string DerivedDcrId(std::string_view text);

// Fnv1a128Hex(text) as an 8-4-4-4-12 GUID with the version nibble set to 8 (RFC 9562 "custom")
// and the RFC 4122 variant bits.
std::string DerivedGuid(std::string_view text);

}  // namespace dcr::internal

#endif  // AMAHOST_DCR_DERIVED_IDS_H_
