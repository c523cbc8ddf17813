#ifndef AMAHOST_MOCKCLOUD_TOKEN_ISSUER_H_
#define AMAHOST_MOCKCLOUD_TOKEN_ISSUER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mockcloud {

// Issues the ingestion tokens of the token endpoint and checks them on upload.
//
// A token is JWT-shaped: base64url(header).base64url(claims).base64url(HMAC-SHA256) with
// claims {"iss":"AMCS","aud":"Pipeline","role":"Publisher","cid":<configurationId>,
// "chid":<channelId>,"iat","nbf","exp","jti"}, under a key made at construction. Tokens are
// remembered in memory only: after a restart of mockcloud every old token is unknown (→ 401), as
// after a key rotation, which makes a client refresh.
//
// Bounded: at most `max_tokens` are remembered, the oldest forgotten first; a token is also
// forgotten a day after it expired.
// Thread-compatible (MockCloud holds its lock around every call).
class TokenIssuer {
 public:
  using Clock = std::chrono::system_clock;

  enum class Verdict { kValid, kMissing, kMalformed, kUnknown, kExpired };

  explicit TokenIssuer(std::chrono::seconds lifetime, std::size_t max_tokens = 100000);

  // A new token for `configuration_id` and `channel_id`, valid from `now` for lifetime().
  std::string Issue(std::string_view configuration_id, std::string_view channel_id,
                    Clock::time_point now);

  // Checks an Authorization header value ("Bearer <token>"; null = no header) at `now`.
  Verdict Check(const std::string* authorization, Clock::time_point now) const;

  std::chrono::seconds lifetime() const { return lifetime_; }
  std::size_t issued() const { return issued_; }
  void ResetCounter() { issued_ = 0; }

  // A sentence for a 401 body.
  static std::string_view Describe(Verdict verdict);

 private:
  void Forget(Clock::time_point now);

  std::chrono::seconds lifetime_;
  std::size_t max_tokens_;
  std::string key_;
  std::uint64_t serial_ = 0;
  std::size_t issued_ = 0;
  std::unordered_map<std::string, Clock::time_point> expiry_;  // token → exp
  std::deque<std::string> order_;                              // tokens, oldest first
};

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_TOKEN_ISSUER_H_
