#include "base/log_throttle.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>

using namespace std::chrono_literals;
using Clock = base::LogThrottle::Clock;

TEST_CASE("LogThrottle: the first per key, then one a minute that counts what was left out",
          "[base][log_throttle]") {
  base::LogThrottle throttle;
  const Clock::time_point t0 = Clock::now();
  // Times step forward; each row: key, seconds since t0, the answer.
  struct Step {
    const char* key;
    int seconds;
    std::optional<std::uint64_t> logged;
  };
  const Step steps[] = {
      {"a", 0, 0},              // the first occurrence: logged
      {"a", 1, std::nullopt},   // within the minute: counted, not logged
      {"b", 1, 0},              // another key has its own minute
      {"a", 30, std::nullopt},  //
      {"a", 59, std::nullopt},  //
      {"a", 60, 3},             // a minute after the last line: logged, with the 3 left out
      {"a", 61, std::nullopt},  //
      {"a", 200, 1},            // long after: logged with the one left out
      {"a", 400, 0},            // nothing left out since: no count
      {"b", 400, 0},
  };
  for (const Step& step : steps) {
    INFO(step.key << " at " << step.seconds << " s");
    CHECK(throttle.Allow(step.key, t0 + std::chrono::seconds(step.seconds)) == step.logged);
  }
}

TEST_CASE("LogThrottle: a flood of keys is bounded, and the note reads as a sentence",
          "[base][log_throttle]") {
  base::LogThrottle throttle(10s);
  const Clock::time_point t0 = Clock::now();
  for (std::size_t i = 0; i < base::LogThrottle::kMaxKeys; ++i) {
    CHECK(throttle.Allow("tag" + std::to_string(i), t0).has_value());
  }
  CHECK_FALSE(throttle.Allow("tag0", t0).has_value());
  // One key past the bound forgets the others: each may log once more, never more.
  CHECK(throttle.Allow("one too many", t0).has_value());
  CHECK(throttle.Allow("tag0", t0).has_value());
  CHECK_FALSE(throttle.Allow("tag0", t0).has_value());

  CHECK(base::SuppressedNote(0).empty());
  CHECK(base::SuppressedNote(56) == " (56 more like this since the last one logged)");
}
