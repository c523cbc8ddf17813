#include "base/duration.h"

#include <catch2/catch.hpp>
#include <string>

#include "base/args.h"

using std::chrono::milliseconds;

TEST_CASE("ParseDuration reads a number with a unit, or bare seconds", "[base][duration]") {
  struct Case {
    const char* text;
    std::int64_t ms;
  };
  const Case good[] = {
      {"90s", 90'000},  {"30m", 1'800'000}, {"12h", 43'200'000}, {"7d", 604'800'000},
      {"1500ms", 1500}, {"90", 90'000},     {"0.2", 200},        {"1.5h", 5'400'000},
      {"0", 0},         {"0s", 0},          {".5s", 500},        {"3650d", 315'360'000'000},
      {"0.0004s", 0},
  };
  for (const Case& c : good) {
    INFO(c.text);
    milliseconds value{-1};
    REQUIRE(base::ParseDuration(c.text, &value));
    CHECK(value.count() == c.ms);
  }
  const char* bad[] = {"",   "s",   "-1s", "+1s",    "1 s", " 1s",   "1x", "1sec",
                       "1S", "nan", "inf", "1e300d", "7d ", "1..2s", "h1", "1hh"};
  for (const char* text : bad) {
    INFO(text);
    milliseconds value{123};
    CHECK_FALSE(base::ParseDuration(text, &value));
    CHECK(value.count() == 123);
  }
}

TEST_CASE("FormatDuration writes the largest exact unit and reads back", "[base][duration]") {
  struct Case {
    std::int64_t ms;
    const char* text;
  };
  const Case cases[] = {
      {0, "0s"},           {1, "1ms"},          {1500, "1500ms"},
      {90'000, "90s"},     {1'800'000, "30m"},  {5'400'000, "90m"},
      {43'200'000, "12h"}, {604'800'000, "7d"}, {86'401'000, "86401s"},
  };
  for (const Case& c : cases) {
    INFO(c.ms);
    CHECK(base::FormatDuration(milliseconds(c.ms)) == c.text);
    milliseconds back{};
    REQUIRE(base::ParseDuration(base::FormatDuration(milliseconds(c.ms)), &back));
    CHECK(back.count() == c.ms);
  }
}

TEST_CASE("ArgReader takes durations with units, within bounds", "[base][duration]") {
  auto take = [](std::vector<std::string> argv, milliseconds* value) {
    base::ArgReader args(std::move(argv));
    while (!args.Done()) {
      if (args.TakeDuration("--max-age", std::chrono::seconds(1), std::chrono::hours(24 * 3650),
                            value)) {
        continue;
      }
      args.RejectCurrent();
    }
    return args.error();
  };
  milliseconds value{};
  CHECK(take({"--max-age", "7d"}, &value).empty());
  CHECK(value == std::chrono::hours(24 * 7));
  CHECK(take({"--max-age=90"}, &value).empty());
  CHECK(value == std::chrono::seconds(90));
  CHECK(take({"--max-age", "500ms"}, &value) ==
        "option --max-age needs a duration such as 90s, 30m, 12h or 7d, from 1s to 3650d, not "
        "'500ms'");
  CHECK_THAT(take({"--max-age", "7 days"}, &value), Catch::Contains("not '7 days'"));

  // The seconds flags read the same forms.
  base::ArgReader args({"--refresh", "5m"});
  milliseconds refresh{};
  REQUIRE(args.TakeSeconds("--refresh", 0.05, 86400, &refresh));
  CHECK(args.error().empty());
  CHECK(refresh == std::chrono::minutes(5));
}
