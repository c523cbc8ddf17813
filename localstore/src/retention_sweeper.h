#ifndef AMAHOST_LOCALSTORE_RETENTION_SWEEPER_H_
#define AMAHOST_LOCALSTORE_RETENTION_SWEEPER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "base/logger.h"
#include "base/periodic_thread.h"
#include "base/thread_annotations.h"
#include "localstore/record_batch.h"
#include "localstore/store.h"
#include "table_set.h"

namespace localstore {

// The store's retention (Store, "Retention"): sweeps that delete rows and dead letters whose
// newest record is older than max_age by event time, the batches the store does not insert
// because they arrive already that old, the `expired` counters of both, and their log lines.
//
// Thread-safety: every method may be called from any thread; sweeps run one at a time.
class RetentionSweeper {
 public:
  struct Options {
    std::chrono::milliseconds max_age{0};  // 0 = off: nothing expires, no thread
    std::chrono::milliseconds interval{std::chrono::minutes(1)};
    // The wall clock that event times are measured against, in ns since the Unix epoch.
    std::function<std::int64_t()> now_unix_ns;
    // Called after a sweep deleted something (held batches may fit in the pages it freed).
    std::function<void()> freed;
  };

  // `tables` and `log` must outlive the RetentionSweeper.
  RetentionSweeper(Options options, TableSet& tables, base::Logger& log);
  ~RetentionSweeper();  // Stop()
  RetentionSweeper(const RetentionSweeper&) = delete;
  RetentionSweeper& operator=(const RetentionSweeper&) = delete;

  bool enabled() const { return options_.max_age.count() > 0; }

  // The event time before which a record is expired now; none when retention is off.
  std::optional<std::int64_t> Cutoff() const;
  // Counts a batch of `stream_id` that the store completed without inserting it: its newest
  // record (times.max_unix_ns) was before Cutoff(). Logged with the stream's next sweep.
  void ExpiredOnArrival(const std::string& stream_id, std::uint32_t records, std::uint64_t bytes,
                        const EventTimeRange& times);

  // One sweep now: event times filled in where missing (Table::FillEventTimes), then every
  // table's expired rows and dead letters deleted (Table::Expire); counted, and one warning line
  // per stream that lost something (those expired on arrival since the last sweep included).
  // Returns the first error (each is logged; the other tables are still swept). Does nothing
  // when retention is off.
  std::error_code Sweep();

  // Starts the thread that sweeps every `interval` (when enabled); Stop() ends it and logs what
  // expired on arrival since the last sweep. Stop is idempotent.
  void Start();
  void Stop();

  // Sets the expired_* members of `stats` and appends streams that have expired records but no
  // table (every batch arrived already expired).
  void AddTo(std::vector<StreamStats>* stats) const;
  RetentionStats Stats() const;

 private:
  // What one stream lost, as counted and as its next log line reports it.
  struct Lost {
    Backlog rows{};     // rows: rows or batches (on arrival), records, bytes
    Backlog letters{};  // dead letters
    Backlog arrived{};  // of `rows`, the batches never stored (expired on arrival)
    std::int64_t oldest_unix_ns = 0;
    std::int64_t newest_unix_ns = 0;
    void Add(const Lost& other);
  };

  // "retention: stream S: N records (M bytes) older than max-age … removed …".
  std::string Format(const std::string& stream_id, const Lost& lost,
                     std::int64_t before_unix_ns) const;
  std::int64_t Now() const;

  const Options options_;
  TableSet& tables_;
  base::Logger& log_;

  base::Mutex sweep_mutex_ ACQUIRED_BEFORE(mutex_);  // one sweep at a time

  mutable base::Mutex mutex_;
  std::map<std::string, Lost> lost_ GUARDED_BY(mutex_);  // since the store opened
  std::map<std::string, Lost> unlogged_
      GUARDED_BY(mutex_);  // expired on arrival since the last sweep
  std::uint64_t sweeps_ GUARDED_BY(mutex_) = 0;
  std::int64_t last_sweep_unix_ns_ GUARDED_BY(mutex_) = 0;
  std::int64_t last_expired_unix_ns_ GUARDED_BY(mutex_) = 0;

  base::PeriodicThread thread_;  // sweeps every interval, once started
};

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_RETENTION_SWEEPER_H_
