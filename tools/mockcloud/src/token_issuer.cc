#include "mockcloud/token_issuer.h"

#include <fmt/format.h>

#include "codec/json_text.h"
#include "mockcloud/crypto.h"

namespace mockcloud {
namespace {

// Expired tokens are remembered for a while so that a late upload is told "expired", not
// "unknown".
constexpr std::chrono::hours kRememberExpired{24};

std::int64_t UnixSeconds(TokenIssuer::Clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

}  // namespace

TokenIssuer::TokenIssuer(std::chrono::seconds lifetime, std::size_t max_tokens)
    : lifetime_(lifetime), max_tokens_(max_tokens == 0 ? 1 : max_tokens), key_(RandomBytes(32)) {}

std::string TokenIssuer::Issue(std::string_view configuration_id, std::string_view channel_id,
                               Clock::time_point now) {
  Forget(now);
  std::int64_t iat = UnixSeconds(now);
  std::string header = Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})");
  std::string claims = fmt::format(
      R"({{"iss":"AMCS","aud":"Pipeline","role":"Publisher","cid":{},"chid":{},"iat":{},"nbf":{},"exp":{},"jti":"{}-{}"}})",
      codec::JsonString(configuration_id), codec::JsonString(channel_id), iat, iat,
      iat + lifetime_.count(), iat, ++serial_);
  std::string signing_input = header + "." + Base64UrlEncode(claims);
  std::string token = signing_input + "." + Base64UrlEncode(HmacSha256(key_, signing_input));
  expiry_[token] = now + lifetime_;
  order_.push_back(token);
  ++issued_;
  return token;
}

void TokenIssuer::Forget(Clock::time_point now) {
  while (!order_.empty()) {
    auto found = expiry_.find(order_.front());
    bool stale = found == expiry_.end() || found->second + kRememberExpired <= now;
    if (!stale && order_.size() < max_tokens_) break;
    if (found != expiry_.end()) expiry_.erase(found);
    order_.pop_front();
  }
}

TokenIssuer::Verdict TokenIssuer::Check(const std::string* authorization,
                                        Clock::time_point now) const {
  if (authorization == nullptr) return Verdict::kMissing;
  std::string_view value(*authorization);
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return Verdict::kMalformed;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    char c = value[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return Verdict::kMalformed;
  }
  value.remove_prefix(kScheme.size());
  auto found = expiry_.find(std::string(value));
  if (found == expiry_.end()) return Verdict::kUnknown;
  return found->second > now ? Verdict::kValid : Verdict::kExpired;
}

std::string_view TokenIssuer::Describe(Verdict verdict) {
  switch (verdict) {
    case Verdict::kValid:
      return "the token is valid";
    case Verdict::kMissing:
      return "no Authorization header; send \"Authorization: Bearer <ingestionAuthToken>\"";
    case Verdict::kMalformed:
      return "the Authorization header is not \"Bearer <token>\"";
    case Verdict::kUnknown:
      return "the bearer token was not issued by this mockcloud (or it restarted since); get a new "
             "one from issueIngestionToken";
    case Verdict::kExpired:
      return "the bearer token has expired; get a new one from issueIngestionToken";
  }
  return "";
}

}  // namespace mockcloud
