#include "base/backoff.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

using std::chrono::milliseconds;

TEST_CASE("Backoff's ceiling doubles from base up to cap, without overflow", "[base][backoff]") {
  struct Case {
    std::int64_t base;
    std::int64_t cap;
    std::uint32_t attempt;
    std::int64_t ceiling;
  };
  const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::vector<Case> cases = {
      {1000, 300000, 0, 1000},
      {1000, 300000, 1, 2000},
      {1000, 300000, 2, 4000},
      {1000, 300000, 8, 256000},
      {1000, 300000, 9, 300000},
      {1000, 300000, 63, 300000},
      {1000, 300000, 64, 300000},
      {1000, 300000, 1000, 300000},
      {1000, 300000, std::numeric_limits<std::uint32_t>::max(), 300000},
      {1, kMax, 62, std::int64_t{1} << 62},
      {1, kMax, 63, kMax},
      {kMax, kMax, 0, kMax},
      {kMax, kMax, 1, kMax},
      {3, 10, 1, 6},
      {3, 10, 2, 10},
      {500, 100, 0, 100},  // a cap below the base wins
      {0, 300000, 5, 0},
      {-5, 300000, 3, 0},  // negative durations count as zero
      {1000, -1, 0, 0},
  };
  for (const Case& c : cases) {
    INFO("base " << c.base << " cap " << c.cap << " attempt " << c.attempt);
    base::Backoff backoff(milliseconds(c.base), milliseconds(c.cap),
                          [](std::uint64_t upper) { return upper; });
    CHECK(backoff.Ceiling(c.attempt) == milliseconds(c.ceiling));
  }
}

TEST_CASE("Backoff's delay is the random source's draw in [0, ceiling]", "[base][backoff]") {
  struct Case {
    std::string name;
    std::function<std::uint64_t(std::uint64_t)> draw;
    std::int64_t expected_at_attempt_3;  // ceiling 8000
  };
  std::vector<Case> cases = {
      {"top", [](std::uint64_t upper) { return upper; }, 8000},
      {"bottom", [](std::uint64_t) { return std::uint64_t{0}; }, 0},
      {"middle", [](std::uint64_t upper) { return upper / 2; }, 4000},
      {"over the range is clamped",
       [](std::uint64_t) { return std::numeric_limits<std::uint64_t>::max(); }, 8000},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      std::vector<std::uint64_t> uppers;
      base::Backoff backoff(milliseconds(1000), milliseconds(300000), [&](std::uint64_t upper) {
        uppers.push_back(upper);
        return c.draw(upper);
      });
      CHECK(backoff.Delay(3) == milliseconds(c.expected_at_attempt_3));
      CHECK(uppers == std::vector<std::uint64_t>{8000});
    }
  }
}

TEST_CASE("Backoff's default random source stays within bounds and varies", "[base][backoff]") {
  base::Backoff backoff(milliseconds(100), milliseconds(1000));
  std::set<std::int64_t> seen;
  for (std::uint32_t attempt = 0; attempt < 8; ++attempt) {
    for (int i = 0; i < 200; ++i) {
      milliseconds delay = backoff.Delay(attempt);
      REQUIRE(delay >= milliseconds(0));
      REQUIRE(delay <= backoff.Ceiling(attempt));
      seen.insert(delay.count());
    }
  }
  // 1600 draws over ranges of 101 to 1001 values: a constant source would give one value.
  CHECK(seen.size() > 100);
}

TEST_CASE("ParseRetryAfter reads delta-seconds and the three HTTP-date forms", "[base][backoff]") {
  using namespace std::chrono;
  // Friday 2026-11-06 10:15:42.000 UTC.
  const system_clock::time_point now =
      sys_days(year(2026) / 11 / 6) + hours(10) + minutes(15) + seconds(42);
  const milliseconds kCap = base::kMaxRetryAfter;
  struct Case {
    std::string value;
    std::optional<milliseconds> wait;
  };
  std::vector<Case> cases = {
      {"120", milliseconds(120000)},
      {"0", milliseconds(0)},
      {"  7\t", milliseconds(7000)},
      {"0001", milliseconds(1000)},
      {"3600", milliseconds(3600000)},
      {"3601", kCap},
      {"99999999999999999999999999999", kCap},
      {"Fri, 06 Nov 2026 10:16:42 GMT", milliseconds(60000)},
      {"Fri, 06 Nov 2026 10:15:42 GMT", milliseconds(0)},
      {"Sun, 06 Nov 1994 08:49:37 GMT", milliseconds(0)},
      {"Sat, 07 Nov 2026 10:15:42 GMT", kCap},
      {"Thu, 31 Dec 2026 23:59:60 GMT", kCap},  // a leap second is a valid time
      {"Friday, 06-Nov-26 10:17:42 GMT", milliseconds(120000)},
      {"Sunday, 06-Nov-94 08:49:37 GMT", milliseconds(0)},
      {"Sunday, 06-Nov-77 08:49:37 GMT", milliseconds(0)},  // 1977: 2077 is > 50 years ahead
      {"Sunday, 06-Nov-76 10:15:42 GMT", kCap},             // 2076: exactly 50 years ahead
      {"Fri Nov  6 10:15:52 2026", milliseconds(10000)},
      {"Fri Nov 16 10:15:52 2026", kCap},
      {"Sun Nov  6 08:49:37 1994", milliseconds(0)},
      {"", std::nullopt},
      {"   ", std::nullopt},
      {"-5", std::nullopt},
      {"+5", std::nullopt},
      {"1.5", std::nullopt},
      {"0x10", std::nullopt},
      {"12 34", std::nullopt},
      {"soon", std::nullopt},
      {"Fri, 06 Nov 2026 10:16:42 UTC", std::nullopt},
      {"fri, 06 Nov 2026 10:16:42 GMT", std::nullopt},
      {"Fri, 06 nov 2026 10:16:42 GMT", std::nullopt},
      {"Fri, 6 Nov 2026 10:16:42 GMT", std::nullopt},
      {"Fri, 06 Nov 2026 10:16:42 GMT extra", std::nullopt},
      {"Fri, 31 Feb 2026 10:16:42 GMT", std::nullopt},
      {"Fri, 00 Nov 2026 10:16:42 GMT", std::nullopt},
      {"Fri, 06 Nov 2026 24:00:00 GMT", std::nullopt},
      {"Fri, 06 Nov 2026 10:60:00 GMT", std::nullopt},
      {"Fri, 06 Nov 2026 10:16:61 GMT", std::nullopt},
      {"Fri, 06 Nov 2026 10-16-42 GMT", std::nullopt},
      {"Xyz, 06 Nov 2026 10:16:42 GMT", std::nullopt},
      {"Fri 06 Nov 2026 10:16:42 GMT", std::nullopt},
      {"Friday, 06-Nov-2026 10:16:42 GMT", std::nullopt},
      {"Fri, 06-Nov-26 10:16:42 GMT", std::nullopt},
      {"Fri Nov 6 10:15:52 2026", std::nullopt},
      {"Fri Nov  6 10:15:52 26", std::nullopt},
      {std::string("12\0", 3), std::nullopt},
  };
  for (const Case& c : cases) {
    INFO("Retry-After: [" << c.value << "]");
    CHECK(base::ParseRetryAfter(c.value, now) == c.wait);
  }
}

TEST_CASE("ParseRetryAfter counts an HTTP-date from the exact current time", "[base][backoff]") {
  using namespace std::chrono;
  const system_clock::time_point now =
      sys_days(year(2026) / 11 / 6) + hours(10) + minutes(15) + seconds(42) + milliseconds(250);
  CHECK(base::ParseRetryAfter("Fri, 06 Nov 2026 10:16:42 GMT", now) == milliseconds(59750));
  CHECK(base::ParseRetryAfter("60", now) == milliseconds(60000));
}
