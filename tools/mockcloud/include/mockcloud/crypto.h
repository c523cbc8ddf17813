#ifndef AMAHOST_MOCKCLOUD_CRYPTO_H_
#define AMAHOST_MOCKCLOUD_CRYPTO_H_

#include <string>
#include <string_view>

namespace mockcloud {

// Small wrappers over OpenSSL's EVP API. Thread-safe. They throw std::runtime_error only if
// OpenSSL itself fails (out of memory, no entropy source).

// Lower-case hexadecimal SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);

// The 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);

// `count` bytes from OpenSSL's CSPRNG.
std::string RandomBytes(std::size_t count);

// Base64url without padding (RFC 4648 §5), as JWTs use it.
std::string Base64UrlEncode(std::string_view data);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_CRYPTO_H_
