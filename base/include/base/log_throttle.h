#ifndef AMAHOST_BASE_LOG_THROTTLE_H_
#define AMAHOST_BASE_LOG_THROTTLE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace base {

// The one policy for a warning something outside the host can repeat (a client's unknown tag or
// extension, its malformed input, refused connections; docs/design.md, "Repeated warnings"):
// per key, the first occurrence is logged; after that at most one line per `interval` (a
// minute), and that line says how many occurrences were left out since the last line logged
// (SuppressedNote). Occurrences that no later line reports are in the counters
// (`amactl status`, /metrics), which count every one.
//
// At most kMaxKeys keys are remembered; past that every key is forgotten at once (each may then
// log one line early). Thread-compatible: each owner (the io thread's sockets) keeps its own.
class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxKeys = 1024;
  static constexpr std::chrono::seconds kDefaultInterval{60};

  explicit LogThrottle(std::chrono::seconds interval = kDefaultInterval) : interval_(interval) {}

  // Whether to log this occurrence of `key` at `now`: nothing when it is left out, else the
  // number of occurrences left out since the last line logged for the key (0 the first time).
  std::optional<std::uint64_t> Allow(std::string_view key, Clock::time_point now = Clock::now());

 private:
  struct Entry {
    Clock::time_point last_logged;
    std::uint64_t suppressed = 0;
  };
  std::chrono::seconds interval_;
  std::map<std::string, Entry, std::less<>> entries_;
};

// The end of a line that LogThrottle::Allow let through: "" when nothing was left out, else
// " (N more like this since the last one logged)".
std::string SuppressedNote(std::uint64_t suppressed);

}  // namespace base

#endif  // AMAHOST_BASE_LOG_THROTTLE_H_
