#include "mockcloud/token_issuer.h"

#include <catch2/catch.hpp>

#include "base/base64.h"
#include "codec/json_parse.h"

namespace mockcloud {
namespace {

using Clock = TokenIssuer::Clock;
using Verdict = TokenIssuer::Verdict;

std::string Base64UrlDecode(std::string text) {
  for (char& c : text) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  std::string out;
  REQUIRE(base::Base64Decode(text, &out));
  return out;
}

TEST_CASE("TokenIssuer issues JWT-shaped tokens with the AMCS claims", "[tokens]") {
  TokenIssuer issuer(std::chrono::seconds(3600));
  Clock::time_point now = Clock::now();
  std::string token = issuer.Issue("dcr-0123", "ods-abc", now);

  std::size_t first = token.find('.');
  std::size_t second = token.find('.', first + 1);
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  CHECK(token.find('.', second + 1) == std::string::npos);
  CHECK(token.find_first_of("+/=") == std::string::npos);  // base64url without padding

  rapidjson::Document header, claims;
  std::string error;
  REQUIRE(codec::ParseJson(Base64UrlDecode(token.substr(0, first)), &header, &error));
  REQUIRE(codec::ParseJson(Base64UrlDecode(token.substr(first + 1, second - first - 1)), &claims,
                           &error));
  CHECK(std::string(header["typ"].GetString()) == "JWT");
  CHECK(std::string(claims["iss"].GetString()) == "AMCS");
  CHECK(std::string(claims["aud"].GetString()) == "Pipeline");
  CHECK(std::string(claims["cid"].GetString()) == "dcr-0123");
  std::int64_t iat =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  CHECK(claims["exp"].GetInt64() == iat + 3600);
  CHECK(Base64UrlDecode(token.substr(second + 1)).size() == 32);  // HMAC-SHA256
  CHECK(issuer.issued() == 1);
  CHECK(issuer.Issue("dcr-0123", "ods-abc", now) != token);
}

TEST_CASE("TokenIssuer checks Authorization headers", "[tokens]") {
  TokenIssuer issuer(std::chrono::seconds(60));
  Clock::time_point now = Clock::now();
  std::string token = issuer.Issue("dcr-1", "ods-1", now);
  std::string bearer = "Bearer " + token;
  std::string lower = "bearer " + token;
  std::string basic = "Basic " + token;
  std::string bare = token;
  std::string other = "Bearer " + token + "x";

  CHECK(issuer.Check(&bearer, now) == Verdict::kValid);
  CHECK(issuer.Check(&lower, now + std::chrono::seconds(59)) == Verdict::kValid);
  CHECK(issuer.Check(&bearer, now + std::chrono::seconds(60)) == Verdict::kExpired);
  CHECK(issuer.Check(nullptr, now) == Verdict::kMissing);
  CHECK(issuer.Check(&basic, now) == Verdict::kMalformed);
  CHECK(issuer.Check(&bare, now) == Verdict::kMalformed);
  CHECK(issuer.Check(&other, now) == Verdict::kUnknown);

  TokenIssuer restarted(std::chrono::seconds(60));
  CHECK(restarted.Check(&bearer, now) == Verdict::kUnknown);
}

TEST_CASE("TokenIssuer remembers a bounded number of tokens", "[tokens]") {
  TokenIssuer issuer(std::chrono::seconds(60), 3);
  Clock::time_point now = Clock::now();
  std::string oldest = "Bearer " + issuer.Issue("dcr-1", "ods-1", now);
  for (int i = 0; i < 3; ++i) issuer.Issue("dcr-1", "ods-1", now);
  CHECK(issuer.Check(&oldest, now) == Verdict::kUnknown);  // pushed out by newer ones
  CHECK(issuer.issued() == 4);
}

}  // namespace
}  // namespace mockcloud
