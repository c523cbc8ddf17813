#include "base/log_throttle.h"

#include <fmt/format.h>

namespace base {

std::optional<std::uint64_t> LogThrottle::Allow(std::string_view key, Clock::time_point now) {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    Entry& entry = it->second;
    if (now - entry.last_logged < interval_) {
      ++entry.suppressed;
      return std::nullopt;
    }
    const std::uint64_t suppressed = entry.suppressed;
    entry = Entry{.last_logged = now};
    return suppressed;
  }
  // A flood of distinct keys (a client inventing tags) must not grow the map without bound.
  if (entries_.size() >= kMaxKeys) entries_.clear();
  entries_.emplace(std::string(key), Entry{.last_logged = now});
  return 0;
}

std::string SuppressedNote(std::uint64_t suppressed) {
  if (suppressed == 0) return {};
  return fmt::format(" ({} more like this since the last one logged)", suppressed);
}

}  // namespace base
