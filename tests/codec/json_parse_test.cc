#include "codec/json_parse.h"

#include <catch2/catch.hpp>

TEST_CASE("ParseJson reads documents within its limits", "[codec][json]") {
  rapidjson::Document document;
  std::string error;
  REQUIRE(codec::ParseJson(R"({"a":[1,"caf\u00e9",{"b":null}],"c":"\ud83d\ude00"})", &document,
                           &error));
  CHECK(codec::CompactJson(document) ==
        "{\"a\":[1,\"caf\xc3\xa9\",{\"b\":null}],\"c\":\"\xf0\x9f\x98\x80\"}");
}

TEST_CASE("ParseJson refuses what is too big, too deep, not UTF-8 or not JSON", "[codec][json]") {
  struct Case {
    std::string text;
    codec::JsonParseLimits limits;
    const char* error;
  };
  const Case cases[] = {
      {"[1,2,3]", {.max_bytes = 6}, "document is larger than 6 bytes"},
      {"[[[1]]]", {.max_depth = 2}, "JSON nested deeper than 2 levels"},
      {std::string("[\"a\0b\"]", 7), {}, "NUL byte"},
      {"[\"\xc0\xaf\"]", {}, "invalid JSON at byte"},
      {"[\"\\udddd\"]", {}, "not valid UTF-8"},
      {"{\"\\ud800\":1}", {}, "not valid UTF-8"},
      {"[1] x", {}, "invalid JSON at byte 4"},
      {"", {}, "invalid JSON at byte 0"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    rapidjson::Document document;
    std::string error;
    CHECK_FALSE(codec::ParseJson(c.text, &document, &error, c.limits));
    CHECK_THAT(error, Catch::Contains(c.error));
    CHECK(document.IsNull());
  }
}

TEST_CASE("A JSON error's offset names its line and column", "[codec][json]") {
  const std::string text = "{\n  \"a\": 1,\n  \"b\" 2\n}";
  rapidjson::Document document;
  std::string error;
  std::size_t offset = 99;
  REQUIRE_FALSE(codec::ParseJson(text, &document, &error, {}, &offset));
  CHECK(offset == 18);  // the 2 after "b"
  CHECK(codec::TextPosition(text, offset) == "line 3, column 7");
  CHECK(codec::TextPosition(text, 0) == "line 1, column 1");
  CHECK(codec::TextPosition(text, 2) == "line 2, column 1");
  CHECK(codec::TextPosition(text, 1000) == "line 4, column 2");
  CHECK(codec::TextPosition("", 0) == "line 1, column 1");
}

TEST_CASE("JsonTypeName names each kind of value for messages", "[codec][json]") {
  rapidjson::Document document;
  document.Parse(R"([null, true, false, 1, 2.5, "s", [], {}])");
  std::vector<std::string> names;
  for (const auto& value : document.GetArray()) names.push_back(codec::JsonTypeName(value));
  CHECK(names == std::vector<std::string>{"null", "a boolean", "a boolean", "a number", "a number",
                                          "a string", "an array", "an object"});
}
