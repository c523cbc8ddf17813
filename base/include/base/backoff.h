#ifndef AMAHOST_BASE_BACKOFF_H_
#define AMAHOST_BASE_BACKOFF_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string_view>

namespace base {

// Returns a number uniformly distributed in [0, upper]. Tests inject fixed ones.
using RandomSource = std::function<std::uint64_t(std::uint64_t upper)>;

// Exponential backoff with full jitter: the delay before retry number `attempt` (0 for the first
// retry) is uniform in [0, Ceiling(attempt)], Ceiling(attempt) = min(cap, base·2^attempt), with
// no overflow for any attempt. Negative durations count as zero.
//
// Thread-compatible (the default random source has state); each retry loop (the uploader's, the
// control plane's) owns one.
class Backoff {
 public:
  // An empty `random` uses a std::mt19937_64 seeded from std::random_device.
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, RandomSource random = {});
  // The default random source refers to this object's engine.
  Backoff(const Backoff&) = delete;
  Backoff& operator=(const Backoff&) = delete;

  std::chrono::milliseconds Ceiling(std::uint32_t attempt) const;
  // A value from the random source above `upper` is clamped to `upper`.
  std::chrono::milliseconds Delay(std::uint32_t attempt);

 private:
  std::uint64_t base_ms_;
  std::uint64_t cap_ms_;
  RandomSource random_;
  std::mt19937_64 engine_;
};

// The longest wait a Retry-After header can impose (ours): a receiver asking for more is
// answered sooner rather than letting one header park a stream for days.
inline constexpr std::chrono::milliseconds kMaxRetryAfter = std::chrono::hours(1);

// Parses a Retry-After value (RFC 9110 §10.2.3), surrounding spaces and tabs allowed:
//   delta-seconds ("120"), or an HTTP-date in any of the three forms recipients must accept:
//   IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT";
//   a two-digit year more than 50 years ahead of `now` is taken from the previous century) and
//   asctime ("Sun Nov  6 08:49:37 1994").
// Returns the wait from `now`: a date in the past gives 0, anything longer than kMaxRetryAfter
// gives kMaxRetryAfter. nullopt for anything else (empty, negative, fractions, impossible dates
// such as Feb 30). Pure.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

}  // namespace base

#endif  // AMAHOST_BASE_BACKOFF_H_
