#include "httpserver/request_parser.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace httpserver {
namespace {

using State = RequestParser::State;

struct Outcome {
  State state = State::kNeedMore;
  int status = 0;
  std::string message;
  std::size_t consumed = 0;
  Request request;
};

// Feeds `input` cut at `cuts` (ascending positions), as a connection would, and stops at the first
// piece that completes or breaks the request.
Outcome Feed(std::string_view input, const std::vector<std::size_t>& cuts,
             RequestLimits limits = {}) {
  RequestParser parser(limits);
  Outcome outcome;
  std::size_t start = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(input.size());
  for (std::size_t end : ends) {
    std::string_view piece = input.substr(start, end - start);
    std::size_t used = parser.Feed(piece);
    outcome.consumed += used;
    if (parser.state() != State::kNeedMore) break;
    REQUIRE(used == piece.size());  // a parser that needs more must have taken everything
    start = end;
  }
  outcome.state = parser.state();
  outcome.status = parser.error_status();
  outcome.message = parser.error_message();
  outcome.request = parser.request();
  return outcome;
}

void RequireSame(const Outcome& a, const Outcome& b) {
  REQUIRE(a.state == b.state);
  REQUIRE(a.status == b.status);
  REQUIRE(a.message == b.message);
  // After an error the connection is closed, so how much was taken does not matter.
  if (a.state != State::kError) REQUIRE(a.consumed == b.consumed);
  REQUIRE(a.request.method == b.request.method);
  REQUIRE(a.request.target == b.request.target);
  REQUIRE(a.request.version_minor == b.request.version_minor);
  REQUIRE(a.request.headers.size() == b.request.headers.size());
  for (std::size_t i = 0; i < a.request.headers.size(); ++i) {
    REQUIRE(a.request.headers[i].name == b.request.headers[i].name);
    REQUIRE(a.request.headers[i].value == b.request.headers[i].value);
  }
  REQUIRE(a.request.body == b.request.body);
  REQUIRE(a.request.keep_alive == b.request.keep_alive);
  REQUIRE(a.request.expects_continue == b.request.expects_continue);
}

// The outcome of `input` whole, after checking that every way of cutting it gives the same one:
// at each single position (every 97th for long inputs) and at every byte.
Outcome FeedEverySplit(std::string_view input, RequestLimits limits = {}) {
  Outcome whole = Feed(input, {}, limits);
  std::size_t step = input.size() > 4096 ? 97 : 1;
  for (std::size_t cut = 1; cut < input.size(); cut += step) {
    CAPTURE(cut);
    RequireSame(Feed(input, {cut}, limits), whole);
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t cut = 1; cut < input.size(); ++cut) every_byte.push_back(cut);
  RequireSame(Feed(input, every_byte, limits), whole);
  return whole;
}

std::string Repeat(std::string_view text, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += text;
  return out;
}

struct ValidCase {
  const char* name;
  std::string input;
  std::string method, path, query, body;
  int version_minor;
  bool keep_alive;
  bool expects_continue;
};

TEST_CASE("RequestParser accepts well-formed requests however they are split", "[parser]") {
  const std::vector<ValidCase> cases = {
      {"simple GET", "GET /ping HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/ping", "", "", 1, true,
       false},
      {"query", "GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/a/b", "x=1&y=%20", "", 1,
       true, false},
      {"body", "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", "POST", "/u", "",
       "hello", 1, true, false},
      {"HTTP/1.0 closes", "GET / HTTP/1.0\r\n\r\n", "GET", "/", "", "", 0, false, false},
      {"HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "GET", "/", "",
       "", 0, true, false},
      {"close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n", "GET", "/",
       "", "", 1, false, false},
      {"leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET", "/", "", "", 1,
       true, false},
      {"100-continue",
       "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok", "PUT",
       "/x", "", "ok", 1, true, true},
      {"repeated equal Content-Length",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\ncontent-length: 3, 3\r\n\r\nabc", "POST",
       "/", "", "abc", 1, true, false},
      {"zero length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", "POST", "/", "",
       "", 1, true, false},
      {"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS", "*", "", "", 1, true,
       false},
      {"obs-text in a value", "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3\xa9\t!\r\n\r\n", "GET",
       "/", "", "", 1, true, false},
      {"8 KiB request line", "GET /" + std::string(8192 - 14, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n",
       "GET", "/" + std::string(8192 - 14, 'a'), "", "", 1, true, false},
  };
  for (const ValidCase& c : cases) {
    SECTION(c.name) {
      Outcome outcome = FeedEverySplit(c.input);
      INFO(outcome.message);
      REQUIRE(outcome.state == State::kComplete);
      CHECK(outcome.consumed == c.input.size());
      CHECK(outcome.request.method == c.method);
      CHECK(outcome.request.path == c.path);
      CHECK(outcome.request.query == c.query);
      CHECK(outcome.request.body == c.body);
      CHECK(outcome.request.version_minor == c.version_minor);
      CHECK(outcome.request.keep_alive == c.keep_alive);
      CHECK(outcome.request.expects_continue == c.expects_continue);
    }
  }
}

TEST_CASE("RequestParser trims header values and keeps names as sent", "[parser]") {
  Outcome outcome = FeedEverySplit("GET / HTTP/1.1\r\nHost: a\r\nX-Thing: \t two words \t\r\n\r\n");
  REQUIRE(outcome.state == State::kComplete);
  REQUIRE(outcome.request.headers.size() == 2);
  CHECK(outcome.request.headers[1].name == "X-Thing");
  CHECK(outcome.request.headers[1].value == "two words");
  CHECK(*outcome.request.FindHeader("x-thing") == "two words");
}

struct BadCase {
  const char* name;
  std::string input;
  int status;
  const char* message_part;
};

TEST_CASE("RequestParser refuses malformed requests with the right status", "[parser]") {
  const std::string host = "Host: a\r\n";
  const std::vector<BadCase> cases = {
      {"garbage", "GARBAGE\r\n\r\n", 400, "malformed request line"},
      {"binary", std::string("\x16\x03\x01\x02\x00\r\n", 7), 400, "malformed"},
      {"two spaces", "GET  / HTTP/1.1\r\n" + host + "\r\n", 400, "request-target"},
      {"space in target", "GET /a b HTTP/1.1\r\n" + host + "\r\n", 400, "request-target"},
      {"bad method", "G(T / HTTP/1.1\r\n" + host + "\r\n", 400, "method"},
      {"bad version", "GET / HTTP/1.1x\r\n" + host + "\r\n", 400, "version"},
      {"lower-case version", "GET / http/1.1\r\n" + host + "\r\n", 400, "version"},
      {"HTTP/2", "GET / HTTP/2.0\r\n" + host + "\r\n", 505, "not supported"},
      {"absolute-form", "GET http://x/ HTTP/1.1\r\n" + host + "\r\n", 400, "origin-form"},
      {"fragment", "GET /a#b HTTP/1.1\r\n" + host + "\r\n", 400, "fragment"},
      {"bare LF", "GET / HTTP/1.1\nHost: a\n\n", 400, "bare LF"},
      {"bare CR", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400, "bare CR"},
      {"folding", "GET / HTTP/1.1\r\n" + host + "X-A: b\r\n  c\r\n\r\n", 400, "folding"},
      {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "whitespace before"},
      {"no colon", "GET / HTTP/1.1\r\n" + host + "NoColon\r\n\r\n", 400, "without a colon"},
      {"empty name", "GET / HTTP/1.1\r\n" + host + ": v\r\n\r\n", 400, "header name"},
      {"control character",
       "GET / HTTP/1.1\r\n" + host +
           "X: a\x01"
           "b\r\n\r\n",
       400, "control character"},
      {"DEL", "GET / HTTP/1.1\r\n" + host + "X: a\x7f\r\n\r\n", 400, "control character"},
      {"no Host", "GET / HTTP/1.1\r\n\r\n", 400, "Host"},
      {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host"},
      {"conflicting lengths",
       "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400,
       "conflicting"},
      {"conflicting list", "POST / HTTP/1.1\r\n" + host + "Content-Length: 5, 6\r\n\r\n", 400,
       "conflicting"},
      {"non-numeric length", "POST / HTTP/1.1\r\n" + host + "Content-Length: 5x\r\n\r\n", 400,
       "malformed Content-Length"},
      {"negative length", "POST / HTTP/1.1\r\n" + host + "Content-Length: -1\r\n\r\n", 400,
       "malformed Content-Length"},
      {"empty length", "POST / HTTP/1.1\r\n" + host + "Content-Length:\r\n\r\n", 400,
       "malformed Content-Length"},
      {"huge length", "POST / HTTP/1.1\r\n" + host + "Content-Length: 99999999999999999999\r\n\r\n",
       400, "malformed Content-Length"},
      {"chunked", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n", 411,
       "chunked"},
      {"chunked with length",
       "POST / HTTP/1.1\r\n" + host +
           "Content-Length: 3\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       411, "chunked"},
      {"other transfer coding", "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: gzip\r\n\r\n",
       501, "not supported"},
      {"expectation", "POST / HTTP/1.1\r\n" + host + "Expect: 200-ok\r\n\r\n", 417, "expectation"},
      {"body over the limit", "POST / HTTP/1.1\r\n" + host + "Content-Length: 67108865\r\n\r\n",
       413, "larger than the limit"},
      {"request line over 8 KiB",
       "GET /" + std::string(8192 - 13, 'a') + " HTTP/1.1\r\n" + host + "\r\n", 414, "longer"},
      {"endless request line", "GET /" + std::string(20000, 'a'), 414, "longer"},
      {"header section over 64 KiB",
       "GET / HTTP/1.1\r\n" + host + Repeat("X-Fill: " + std::string(1000, 'f') + "\r\n", 66) +
           "\r\n",
       431, "header section"},
      {"101 headers", "GET / HTTP/1.1\r\n" + host + Repeat("X: y\r\n", 100) + "\r\n", 431,
       "more than 100"},
      {"too many empty lines", Repeat("\r\n", 9) + "GET / HTTP/1.1\r\n" + host + "\r\n", 400,
       "empty lines"},
  };
  for (const BadCase& c : cases) {
    SECTION(c.name) {
      Outcome outcome = FeedEverySplit(c.input);
      INFO(outcome.message);
      REQUIRE(outcome.state == State::kError);
      CHECK(outcome.status == c.status);
      CHECK_THAT(outcome.message, Catch::Contains(c.message_part));
    }
  }
}

TEST_CASE("RequestParser accepts exactly 100 headers", "[parser]") {
  Outcome outcome =
      FeedEverySplit("GET / HTTP/1.1\r\nHost: a\r\n" + Repeat("X: y\r\n", 99) + "\r\n");
  REQUIRE(outcome.state == State::kComplete);
  CHECK(outcome.request.headers.size() == 100);
}

TEST_CASE("RequestParser limits are configurable", "[parser]") {
  RequestLimits limits;
  limits.max_body = 4;
  Outcome fits =
      FeedEverySplit("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd", limits);
  CHECK(fits.state == State::kComplete);
  Outcome over =
      FeedEverySplit("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabcde", limits);
  CHECK(over.state == State::kError);
  CHECK(over.status == 413);
}

TEST_CASE("RequestParser leaves pipelined bytes to the caller", "[parser]") {
  std::string first = "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
  std::string second = "GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string input = first + second;
  RequestParser parser;
  std::size_t used = parser.Feed(input);
  REQUIRE(parser.state() == State::kComplete);
  REQUIRE(used == first.size());
  CHECK(parser.request().body == "abc");
  CHECK(parser.Feed(std::string_view(input).substr(used)) == 0);  // nothing until Reset

  parser.Reset();
  CHECK(parser.Feed(std::string_view(input).substr(used)) == second.size());
  REQUIRE(parser.state() == State::kComplete);
  CHECK(parser.request().path == "/b");
}

TEST_CASE("RequestParser reports complete headers before the body arrives", "[parser]") {
  RequestParser parser;
  parser.Feed("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n");
  CHECK_FALSE(parser.headers_complete());
  parser.Feed("\r\n");
  CHECK(parser.headers_complete());
  CHECK(parser.state() == State::kNeedMore);
  CHECK(parser.request().expects_continue);
  parser.Feed("body");
  CHECK(parser.state() == State::kComplete);
}

}  // namespace
}  // namespace httpserver
