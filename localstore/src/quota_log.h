#ifndef AMAHOST_LOCALSTORE_QUOTA_LOG_H_
#define AMAHOST_LOCALSTORE_QUOTA_LOG_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace localstore {

// Decides when the warning lines about rows dropped over the quota are written: at most one per
// stream per kInterval. What is dropped in between is added up and reported by the stream's next
// line, so that the lines account for every dropped record: the first drop of a stream (or the
// first after a quiet kInterval) is reported at once; later drops wait until kInterval after the
// stream's previous line (TakeDue) or until the end (TakeAll).
//
// Pure bookkeeping: no I/O, no clock of its own, no locks. Thread-compatible (the Store's commit
// thread owns it).
class QuotaLog {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kInterval{10};

  // What one line reports: every row of `stream_id` dropped since its previous line.
  struct Line {
    std::string stream_id;
    std::uint64_t records = 0;
    std::uint64_t rows = 0;
    std::uint64_t bytes = 0;          // of entries
    std::int64_t oldest_unix_ns = 0;  // the earliest received_unix_ns among the dropped rows
    std::uint64_t quota_bytes = 0;    // the quota in force at the latest drop
  };

  // Adds the rows `dropped` of its stream at `now` (rows == 0 adds nothing). Returns the line to
  // write now, if the stream may have one: everything pending for it, this drop included.
  std::optional<Line> Add(const Line& dropped, Clock::time_point now);
  // The lines of streams whose pending drops may be written at `now`; each stream's interval
  // starts again from `now`.
  std::vector<Line> TakeDue(Clock::time_point now);
  // Every pending line, due or not (when the store closes).
  std::vector<Line> TakeAll();
  // When the earliest pending line becomes due; none when nothing is pending.
  std::optional<Clock::time_point> next_due() const;

  // "quota: dropped N records (M bytes) of stream S, oldest from <RFC 3339>, to stay within Q
  // bytes".
  static std::string Format(const Line& line);

 private:
  struct Stream {
    std::optional<Clock::time_point> last_line;
    Line pending;  // pending.rows == 0: nothing pending
  };

  std::map<std::string, Stream> streams_;
};

// Formats nanoseconds since the Unix epoch as RFC 3339 UTC with nanoseconds,
// e.g. "2026-11-22T10:15:42.123456789Z".
std::string FormatUnixNs(std::int64_t unix_ns);

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_QUOTA_LOG_H_
