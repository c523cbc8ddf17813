#include "config_file.h"

#include <catch2/catch.hpp>

namespace {

using Args = std::vector<std::string>;

}  // namespace

TEST_CASE("A config file's keys become the flags of their names", "[ama][config]") {
  std::vector<ama::ConfigArgument> arguments;
  std::string error;
  REQUIRE(ama::ConfigFileArguments(R"({
    "state-dir": "/var/lib/amahost",
    "upload-window": 5,
    "retry-base": 0.25,
    "max-disk-quota-mb": 18446744073709551615,
    "offset": -3,
    "no-upload": true,
    "proxy-loopback": false,
    "allow-uid": [1000, "1001"],
    "allow-gid": []
  })",
                                   &arguments, &error));
  INFO(error);
  REQUIRE(arguments.size() == 9);
  CHECK(arguments[0].key == "state-dir");
  CHECK(arguments[0].args == Args{"--state-dir", "/var/lib/amahost"});
  CHECK(arguments[1].args == Args{"--upload-window", "5"});
  CHECK(arguments[2].args == Args{"--retry-base", "0.25"});
  CHECK(arguments[3].args == Args{"--max-disk-quota-mb", "18446744073709551615"});
  CHECK(arguments[4].args == Args{"--offset", "-3"});
  CHECK(arguments[5].args == Args{"--no-upload"});
  CHECK_FALSE(arguments[5].is_false);
  CHECK(arguments[6].args.empty());
  CHECK(arguments[6].is_false);
  CHECK(arguments[7].args == Args{"--allow-uid", "1000", "--allow-uid", "1001"});
  CHECK(arguments[8].args.empty());
  CHECK_FALSE(arguments[8].is_false);

  REQUIRE(ama::ConfigFileArguments("{}", &arguments, &error));
  CHECK(arguments.empty());
}

TEST_CASE("A config file that is not a flat JSON object says where and why", "[ama][config]") {
  struct Case {
    std::string text;
    const char* error;
  };
  const Case cases[] = {
      {"{\n  \"a\": 1,\n  \"b\" 2\n}", "line 3, column 7: invalid JSON at byte 18"},
      {"{\"a\": 1,}", "line 1, column 9"},
      {"", "line 1, column 1: invalid JSON at byte 0"},
      {"{\"a\": \"\xff\"}", "not valid UTF-8"},
      {"[\"--state-dir\", \"x\"]", "holds one JSON object"},
      {"\"state-dir\"", "not a string"},
      {"{\"a\": 1} {}", "line 1, column 10"},
      {"{\"state-dir\": null}", "\"state-dir\": takes a string, a number, true or false"},
      {"{\"state-dir\": null}", "not null (leave the key out instead)"},
      {"{\"instance\": {\"name\": \"x\"}}", "\"instance\": takes a string"},
      {"{\"allow-uid\": [[1]]}", "\"allow-uid\": an array holds strings or numbers, not an array"},
      {"{\"allow-uid\": [true]}", "not a boolean"},
      {"{\"instance\": \"a\", \"instance\": \"b\"}", "\"instance\" is given twice"},
      {"{\"a\": [[[[[[[[[1]]]]]]]]]}", "nested deeper than 8 levels"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    std::vector<ama::ConfigArgument> arguments;
    std::string error;
    CHECK_FALSE(ama::ConfigFileArguments(c.text, &arguments, &error));
    CHECK_THAT(error, Catch::Contains(c.error));
  }
}
