#include "base/json_text.h"

#include <catch2/catch.hpp>

TEST_CASE("AppendJsonString escapes what JSON requires and keeps valid UTF-8", "[base][json]") {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"", "\"\""},
      {"plain", "\"plain\""},
      {"a\"b\\c", "\"a\\\"b\\\\c\""},
      {"\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\""},
      {std::string("\x01\x1f", 2), "\"\\u0001\\u001f\""},
      {std::string("nul\0here", 8), "\"nul\\u0000here\""},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
      {"\xff", "\"\xef\xbf\xbd\""},                                  // invalid byte
      {"\xc3", "\"\xef\xbf\xbd\""},                                  // truncated sequence
      {"\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""},                  // overlong
      {"\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},  // surrogate
      {"\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},  // > U+10FFFF
  };
  for (const Case& c : cases) {
    CAPTURE(c.in);
    CHECK(base::JsonString(c.in) == c.out);
  }
}

TEST_CASE("AppendJsonString finds a byte to escape at every position of the 8-byte scan",
          "[base][json]") {
  // The plain-ASCII scan looks at eight bytes at a time: every special byte, at every offset of
  // a string longer than two words, must end the run exactly there.
  struct Special {
    std::string byte;
    std::string escaped;
  };
  const Special specials[] = {
      {"\"", "\\\""},
      {"\\", "\\\\"},
      {"\n", "\\n"},
      {std::string(1, '\0'), "\\u0000"},
      {"\x1f", "\\u001f"},
      {"\xc3\xa9", "\xc3\xa9"},
      {"\xff", "\xef\xbf\xbd"},
  };
  for (const Special& special : specials) {
    for (std::size_t at = 0; at < 20; ++at) {
      std::string in = std::string(at, 'a') + special.byte + std::string(19 - at, '~');
      std::string expected =
          "\"" + std::string(at, 'a') + special.escaped + std::string(19 - at, '~') + "\"";
      CAPTURE(special.escaped, at);
      CHECK(base::JsonString(in) == expected);
    }
  }
  // Bytes just beside the special ones pass as they are: space, '!', '#', '[', ']', DEL.
  const std::string neighbours = " !#[]\x7f ~ !#[]\x7f ~ !#[]\x7f";
  CHECK(base::JsonString(neighbours) == "\"" + neighbours + "\"");
}
