#ifndef AMAHOST_PIPES_HANDSHAKE_H_
#define AMAHOST_PIPES_HANDSHAKE_H_

#include <string>
#include <string_view>

namespace pipes {

// The Forward protocol's optional shared-key handshake (HELO / PING / PONG), as fluentd's
// in_forward serves it and fluentd's and fluent-bit's out_forward speak it (notes and sources in
// docs/forward.md). User authentication (username/password) is not supported: HELO offers an
// empty auth salt, and a PING's username and password are ignored. Pure; thread-safe.

// sha512 of salt ‖ hostname ‖ nonce ‖ shared_key, as 128 lower-case hex characters: the digest in
// PING (with the client's hostname) and in PONG (with the server's).
std::string SharedKeyDigest(std::string_view salt, std::string_view hostname,
                            std::string_view nonce, std::string_view shared_key);

// ["HELO", {"nonce": bin(nonce), "auth": "", "keepalive": keepalive}]
std::string EncodeHelo(std::string_view nonce, bool keepalive);

// What a client sent in PING. `salt` may hold any bytes (fluent-bit sends 16 random bytes in a
// msgpack str); `digest` is the hex text.
struct Ping {
  std::string hostname;
  std::string salt;
  std::string digest;
  std::string username;
  std::string password;
};

// Reads ["PING", hostname, salt, digest, username, password] (salt and strings may be str or
// bin). Returns false with a reason of at most 31 characters (fluent-bit copies it into 32 bytes)
// for anything else.
bool DecodePing(std::string_view message, Ping* ping, std::string* reason);

// Whether `ping` proves knowledge of `shared_key` for `nonce` (constant-time comparison).
bool VerifyPing(const Ping& ping, std::string_view nonce, std::string_view shared_key);

// ["PONG", true, "", server_hostname, SharedKeyDigest(ping.salt, server_hostname, nonce, key)]
std::string EncodePongSuccess(const Ping& ping, std::string_view server_hostname,
                              std::string_view nonce, std::string_view shared_key);
// ["PONG", false, reason, "", ""]; the server closes the connection after it.
std::string EncodePongFailure(std::string_view reason);

// The client side, for tools and tests.
struct Helo {
  std::string nonce;
  std::string auth;
  bool keepalive = false;
};
bool DecodeHelo(std::string_view message, Helo* helo);
// ["PING", hostname, salt, digest, "", ""]
std::string EncodePing(std::string_view hostname, std::string_view salt, std::string_view nonce,
                       std::string_view shared_key);
struct Pong {
  bool ok = false;
  std::string reason;
  std::string server_hostname;
  std::string digest;
};
bool DecodePong(std::string_view message, Pong* pong);

}  // namespace pipes

#endif  // AMAHOST_PIPES_HANDSHAKE_H_
