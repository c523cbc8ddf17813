#include "mockcloud/url.h"

#include <catch2/catch.hpp>

namespace mockcloud {
namespace {

TEST_CASE("PercentDecode decodes escapes and refuses broken ones", "[url]") {
  struct Case {
    const char* input;
    bool plus_is_space;
    std::optional<std::string> expected;
  };
  const Case cases[] = {
      {"plain", false, "plain"},     {"a%20b", false, "a b"},
      {"%2f%2F", false, "//"},       {"a+b", false, "a+b"},
      {"a+b", true, "a b"},          {"%e2%82%ac", false, "\xe2\x82\xac"},
      {"%", false, std::nullopt},    {"%4", false, std::nullopt},
      {"abc%", false, std::nullopt}, {"%zz", false, std::nullopt},
      {"%00", false, std::nullopt},
  };
  for (const Case& c : cases) {
    CAPTURE(c.input, c.plus_is_space);
    CHECK(PercentDecode(c.input, c.plus_is_space) == c.expected);
  }
}

TEST_CASE("ParseQuery splits, decodes and keeps order", "[url]") {
  std::optional<QueryParams> params = ParseQuery("a=1&b=x%20y&&c&d=&a=2&e=p+q");
  REQUIRE(params);
  QueryParams expected = {{"a", "1"}, {"b", "x y"}, {"c", ""}, {"d", ""}, {"a", "2"}, {"e", "p q"}};
  CHECK(*params == expected);
  CHECK(*FindParam(*params, "a") == "1");
  CHECK(FindParam(*params, "missing") == nullptr);
  CHECK_FALSE(ParseQuery("a=%G1"));
  CHECK(ParseQuery("")->empty());
}

TEST_CASE("SplitPath decodes each segment on its own", "[url]") {
  CHECK(*SplitPath("/") == std::vector<std::string>{""});
  CHECK(*SplitPath("/a/b%2Fc/") == std::vector<std::string>{"a", "b/c", ""});
  CHECK(*SplitPath("/_mock/items") == std::vector<std::string>{"_mock", "items"});
  CHECK_FALSE(SplitPath("relative"));
  CHECK_FALSE(SplitPath(""));
  CHECK_FALSE(SplitPath("/a/%"));
}

}  // namespace
}  // namespace mockcloud
