#include "uploader/token_cache.h"

#include <catch2/catch.hpp>
#include <future>
#include <string>
#include <vector>

#include "base/logger.h"
#include "base/uuid.h"
#include "support/fake_http_client.h"
#include "support/wait.h"
#include "uploader/errors.h"

namespace {

using std::chrono::seconds;
using testing::FakeHttpClient;

const std::string kUri =
    "https://handler.test/subscriptions/s/agentConfigurations/dcr-1/channels/ods-ws/"
    "issueIngestionToken?operatingLocation=eastus&platform=linux&api-version=2022-06-02";

FakeHttpClient::Answer TokenAnswer(const std::string& token,
                                   std::vector<base::HttpHeader> headers = {}) {
  return FakeHttpClient::Status(
      200, R"({"configurationId":"dcr-1","ingestionAuthToken":")" + token + "\"}",
      std::move(headers));
}

// A steady clock the test moves by hand.
struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  uploader::TokenCache::Clock Function() {
    return [this] { return now; };
  }
};

struct Fixture {
  FakeHttpClient http;
  base::MemoryLogger logger;
  FakeClock clock;
  uploader::TokenCache cache{
      http,
      {.user_agent = "amahost/test", .request_timeout = seconds(7), .logger = &logger},
      clock.Function()};

  std::string Get(const std::string& uri = kUri) {
    std::string token;
    std::string detail;
    std::error_code error = cache.Get(uri, &token, &detail);
    INFO(detail);
    REQUIRE_FALSE(error);
    return token;
  }
};

}  // namespace

TEST_CASE("TokenCache fetches with a GET carrying User-Agent and a request id",
          "[uploader][token]") {
  Fixture f;
  f.http.Script(kUri, {TokenAnswer("tok-1")});
  CHECK(f.Get() == "tok-1");
  auto sent = f.http.Requests();
  REQUIRE(sent.size() == 1);
  const base::HttpRequest& request = sent[0].request;
  CHECK(request.method == "GET");
  CHECK(request.url == kUri);
  CHECK(request.timeout == seconds(7));
  REQUIRE(request.headers.size() == 2);
  CHECK(request.headers[0].name == "User-Agent");
  CHECK(request.headers[0].value == "amahost/test");
  CHECK(request.headers[1].name == "x-ms-client-request-id");
  CHECK(base::IsUuid(request.headers[1].value));
}

TEST_CASE("TokenCache keeps a token for its max-age (an hour without one) less a safety margin",
          "[uploader][token]") {
  // The margin is a fifth of the lifetime, at most five minutes, or for short-lived tokens half
  // of it, at most two seconds: a token is never sent that would expire in flight.
  struct Case {
    std::string name;
    std::vector<base::HttpHeader> headers;
    seconds refresh_after;
  };
  std::vector<Case> cases = {
      {"max-age", {{"Cache-Control", "public, max-age=60"}}, seconds(48)},
      {"a short max-age", {{"Cache-Control", "max-age=4"}}, seconds(2)},
      {"max-age in a second Cache-Control header",
       {{"Cache-Control", "no-transform"}, {"cache-control", "max-age=90"}},
       seconds(72)},
      {"no Cache-Control", {}, seconds(3300)},
      {"Cache-Control without max-age", {{"Cache-Control", "no-cache"}}, seconds(3300)},
      {"malformed max-age", {{"Cache-Control", "max-age=soon"}}, seconds(3300)},
      {"max-age over a day", {{"Cache-Control", "max-age=999999999"}}, seconds(86100)},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      Fixture f;
      f.http.Script(kUri, {TokenAnswer("tok-1", c.headers), TokenAnswer("tok-2", c.headers)});
      CHECK(f.Get() == "tok-1");
      f.clock.now += c.refresh_after - seconds(1);
      CHECK(f.Get() == "tok-1");
      CHECK(f.http.Count() == 1);
      f.clock.now += seconds(1);
      CHECK(f.Get() == "tok-2");
      CHECK(f.http.Count() == 2);
    }
  }
}

TEST_CASE("TokenCache fetches on every use when max-age is 0", "[uploader][token]") {
  Fixture f;
  f.http.Script(kUri, {TokenAnswer("tok-1", {{"Cache-Control", "max-age=0"}}),
                       TokenAnswer("tok-2", {{"Cache-Control", "max-age=0"}})});
  CHECK(f.Get() == "tok-1");
  CHECK(f.Get() == "tok-2");
  CHECK(f.http.Count() == 2);
}

TEST_CASE("TokenCache refreshes after Invalidate, per endpoint", "[uploader][token]") {
  Fixture f;
  const std::string other = "https://handler.test/other/issueIngestionToken";
  f.http.Script(kUri, {TokenAnswer("tok-1"), TokenAnswer("tok-2")});
  f.http.Script(other, {TokenAnswer("other-1"), TokenAnswer("other-2")});
  CHECK(f.Get() == "tok-1");
  CHECK(f.Get(other) == "other-1");
  f.cache.Invalidate(kUri);
  CHECK(f.Get() == "tok-2");
  CHECK(f.Get(other) == "other-1");
  CHECK(f.http.Count(kUri) == 2);
  CHECK(f.http.Count(other) == 1);
}

TEST_CASE("TokenCache forgets a refused token only if it is still the one cached",
          "[uploader][token]") {
  Fixture f;
  f.http.Script(kUri, {TokenAnswer("tok-1"), TokenAnswer("tok-2"), TokenAnswer("tok-3")});
  CHECK(f.Get() == "tok-1");
  f.cache.Invalidate(kUri, "tok-1");
  CHECK(f.Get() == "tok-2");
  // Another request sent with tok-1 is refused after tok-2 came: tok-2 stays.
  f.cache.Invalidate(kUri, "tok-1");
  CHECK(f.Get() == "tok-2");
  CHECK(f.http.Count(kUri) == 2);
}

TEST_CASE("TokenCache serves fresh tokens and Invalidate while a fetch waits on its endpoint",
          "[uploader][token]") {
  Fixture f;
  const std::string other = "https://handler.test/other/issueIngestionToken";
  f.http.Script(kUri, {TokenAnswer("tok-1")});
  f.http.Script(other, {TokenAnswer("other-1")});
  CHECK(f.Get(other) == "other-1");
  f.http.Hold(kUri, true);
  auto get = [&](const std::string& uri) {
    std::string token;
    std::string detail;
    return f.cache.Get(uri, &token, &detail) ? std::string() : token;
  };
  auto slow = std::async(std::launch::async, get, kUri);
  REQUIRE(testing::WaitUntil([&] { return f.http.Held() == 1; }));
  // Neither waits for that fetch: another channel's uploads go on, and the HTTP client's thread,
  // which calls Invalidate after a 401, keeps answering the requests in flight.
  auto cached = std::async(std::launch::async, get, other);
  auto invalidated = std::async(std::launch::async, [&] { f.cache.Invalidate(kUri); });
  CHECK(cached.wait_for(seconds(5)) == std::future_status::ready);
  CHECK(invalidated.wait_for(seconds(5)) == std::future_status::ready);
  CHECK(f.http.Held() == 1);
  f.http.Hold(kUri, false);
  CHECK(slow.get() == "tok-1");
  CHECK(cached.get() == "other-1");
  CHECK(f.http.Count(other) == 1);
}

TEST_CASE("TokenCache reports a failed fetch and tries again on the next call",
          "[uploader][token]") {
  const std::string secret = "c2VjcmV0LXRva2Vu.secret-token-value";
  struct Case {
    std::string name;
    FakeHttpClient::Answer answer;
    std::error_code error;
  };
  std::vector<Case> cases = {
      {"transport error", FakeHttpClient::Failure(std::errc::connection_refused),
       std::make_error_code(std::errc::connection_refused)},
      {"HTTP 500", FakeHttpClient::Status(500, "oops"), uploader::Errc::kTokenHttpStatus},
      {"HTTP 404", FakeHttpClient::Status(404), uploader::Errc::kTokenHttpStatus},
      {"HTTP 304", FakeHttpClient::Status(304), uploader::Errc::kTokenHttpStatus},
      {"empty body", FakeHttpClient::Status(200, ""), uploader::Errc::kTokenMalformed},
      {"not JSON", FakeHttpClient::Status(200, "token=" + secret), uploader::Errc::kTokenMalformed},
      {"truncated JSON", FakeHttpClient::Status(200, R"({"ingestionAuthToken":")" + secret),
       uploader::Errc::kTokenMalformed},
      {"an array", FakeHttpClient::Status(200, "[\"" + secret + "\"]"),
       uploader::Errc::kTokenMalformed},
      {"no token member", FakeHttpClient::Status(200, R"({"configurationId":"dcr-1"})"),
       uploader::Errc::kTokenMalformed},
      {"a number as token", FakeHttpClient::Status(200, R"({"ingestionAuthToken":5})"),
       uploader::Errc::kTokenMalformed},
      {"an empty token", FakeHttpClient::Status(200, R"({"ingestionAuthToken":""})"),
       uploader::Errc::kTokenMalformed},
      {"a token that would inject a header",
       FakeHttpClient::Status(200, R"({"ingestionAuthToken":")" + secret + R"(\r\nX-Evil: 1"})"),
       uploader::Errc::kTokenMalformed},
      {"a token too long",
       FakeHttpClient::Status(200, R"({"ingestionAuthToken":")" +
                                       std::string(uploader::kMaxTokenLength + 1, 'a') + "\"}"),
       uploader::Errc::kTokenMalformed},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      Fixture f;
      f.http.Script(kUri, {c.answer, TokenAnswer("tok-ok")});
      std::string token;
      std::string detail;
      CHECK(f.cache.Get(kUri, &token, &detail) == c.error);
      CHECK_FALSE(detail.empty());
      CHECK(detail.find(secret) == std::string::npos);
      CHECK(f.logger.Count(secret) == 0);
      CHECK(f.Get() == "tok-ok");
      CHECK(f.http.Count() == 2);
    }
  }
}

TEST_CASE("TokenCache never logs a token", "[uploader][token]") {
  Fixture f;
  f.http.Script(kUri, {TokenAnswer("c2VjcmV0LXRva2Vu.secret-token-value")});
  CHECK(f.Get() == "c2VjcmV0LXRva2Vu.secret-token-value");
  CHECK(f.logger.Contains("dcr-1"));  // it does log the fetch
  CHECK(f.logger.Count("secret-token-value") == 0);
}

TEST_CASE("TokenCache refuses an empty endpoint without a request", "[uploader][token]") {
  Fixture f;
  std::string token;
  std::string detail;
  CHECK(f.cache.Get("", &token, &detail) == uploader::Errc::kNoTokenEndpoint);
  CHECK(f.http.Count() == 0);
}

TEST_CASE("ParseMaxAge reads Cache-Control's max-age", "[uploader][token]") {
  struct Case {
    std::string value;
    std::optional<seconds> max_age;
  };
  std::vector<Case> cases = {
      {"max-age=3600", seconds(3600)},
      {"public, max-age=60", seconds(60)},
      {"max-age=60, public", seconds(60)},
      {"MAX-AGE=5", seconds(5)},
      {"max-age=\"7\"", seconds(7)},
      {"  max-age=9  ", seconds(9)},
      {"max-age=0", seconds(0)},
      {"max-age=10, max-age=20", seconds(10)},
      {"max-age=99999999999999999999999", seconds(86400)},
      {"max-age=86401", seconds(86400)},
      {"", std::nullopt},
      {"no-cache", std::nullopt},
      {"max-age", std::nullopt},
      {"max-age=", std::nullopt},
      {"max-age=abc", std::nullopt},
      {"max-age=-1", std::nullopt},
      {"max-age=1.5", std::nullopt},
      {"max-age=\"", std::nullopt},
      {"s-maxage=10", std::nullopt},
      {"xmax-age=10", std::nullopt},
  };
  for (const Case& c : cases) {
    INFO("Cache-Control: " << c.value);
    CHECK(uploader::ParseMaxAge(c.value) == c.max_age);
  }
}

TEST_CASE("IsBearerToken accepts exactly RFC 6750 b64tokens", "[uploader][token]") {
  struct Case {
    std::string token;
    bool valid;
  };
  std::vector<Case> cases = {
      {"abc", true},        {"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJBTUNTIn0.c2lnbmF0dXJl", true},
      {"A-Z._~+/09", true}, {"abc==", true},
      {"a=", true},         {"", false},
      {"=", false},         {"==abc", false},
      {"ab=c", false},      {"a b", false},
      {"a\r\nX: 1", false}, {"a\"b", false},
      {"a,b", false},       {std::string("a\0b", 3), false},
      {"\xc3\xa9", false},
  };
  for (const Case& c : cases) {
    INFO("token: " << c.token);
    CHECK(uploader::IsBearerToken(c.token) == c.valid);
  }
}
