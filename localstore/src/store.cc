#include "localstore/store.h"

#include <malloc.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include "base/periodic_thread.h"
#include "base/thread_annotations.h"
#include "held_batches.h"
#include "localstore/errc.h"
#include "quota_log.h"
#include "retention_sweeper.h"
#include "table_set.h"

namespace localstore {
namespace {

constexpr char kComponent[] = "localstore";

std::int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double SecondsSince(HeldBatches::Clock::time_point since) {
  return std::chrono::duration<double>(HeldBatches::Clock::now() - since).count();
}

}  // namespace

class Store::Impl {
 public:
  explicit Impl(StoreOptions options)
      : options_(std::move(options)),
        log_(*options_.logger),
        tables_(options_.tables_dir,
                TableSettings{.synchronous_full = options_.synchronous_full,
                              .max_pages = options_.max_table_pages,
                              .max_tables = options_.max_tables,
                              .close_idle = options_.table_idle_timeout.count() > 0},
                log_),
        quota_(options_.quota_bytes),
        retention_({.max_age = options_.max_age,
                    .interval = options_.retention_interval,
                    .now_unix_ns = options_.now_unix_ns,
                    .freed = [this] { RequestRetry(); }},
                   tables_, log_),
        idle_closer_(IdleCheckInterval(options_.table_idle_timeout),
                     [this] { CloseIdleTables(); }) {}
  ~Impl() {
    Close();
    {
      base::MutexLock lock(&queue_mutex_);
      exit_ = true;
    }
    appended_cv_.notify_all();
    queue_cv_.notify_all();
    if (encode_thread_.joinable()) encode_thread_.join();
    if (thread_.joinable()) thread_.join();
  }

  std::error_code OpenTables() { return tables_.OpenAll(); }
  // The first retention sweep, before the commit thread and any upload start: nothing too old
  // is sent after a restart in the moment before a later sweep.
  void ExpireAtOpen() { retention_.Sweep(); }
  // Asks the commit thread, once it starts, for a quota pass over the tables found: Open()
  // returns without waiting for it (a cache far over a lowered quota can take minutes to trim,
  // and the host's sockets should not wait for that), and the first commits wait behind it.
  void EnforceQuotaAtStart() {
    base::MutexLock lock(&queue_mutex_);
    ++quota_requested_;
  }
  void Start() {
    encode_thread_ = std::thread([this] { RunEncoder(); });
    thread_ = std::thread([this] { Run(); });
    retention_.Start();
    if (options_.table_idle_timeout.count() > 0) idle_closer_.Start();
    checker_ = std::thread([this] { CheckTablePages(); });
  }
  void Append(RecordBatch batch, Completion done);
  void SetCommitListener(std::function<void(const std::string&)> listener) {
    base::MutexLock lock(&queue_mutex_);
    listener_ = std::move(listener);
  }
  std::error_code SetMaxTablePages(std::uint64_t pages) {
    std::error_code ec = tables_.SetMaxPages(pages);
    RequestRetry();
    return ec;
  }
  std::error_code SetQuota(std::uint64_t bytes);
  void FailHeldBatches() {
    {
      base::MutexLock lock(&queue_mutex_);
      fail_held_ = true;
    }
    queue_cv_.notify_one();
  }
  void Close();

  std::vector<std::string> StreamsWithData() { return tables_.StreamsWithData(); }
  std::error_code ReadOldest(const std::string& stream_id, std::int64_t after_row_id,
                             const ReadLimits& limits, std::vector<StoredRow>* rows) {
    return tables_.ReadOldest(stream_id, after_row_id, limits, rows);
  }
  std::error_code Remove(const std::string& stream_id, std::int64_t first_row_id,
                         std::int64_t last_row_id) {
    std::error_code ec = tables_.Remove(stream_id, first_row_id, last_row_id);
    // Deleted rows free pages that held batches may fit in.
    if (!ec) RequestRetry();
    return ec;
  }
  Backlog GetBacklog(const std::string& stream_id) { return tables_.GetBacklog(stream_id); }
  TableSet& tables() { return tables_; }
  // After rows come back (a dead letter resent) or leave (moved to a dead letter): held batches
  // may fit now, as after a Remove.
  void RowsMoved() { RequestRetry(); }
  std::vector<StreamStats> Stats() {
    std::vector<StreamStats> stats = tables_.Stats();
    retention_.AddTo(&stats);
    return stats;
  }
  RetentionStats Retention() const { return retention_.Stats(); }
  std::error_code ExpireNow() { return retention_.Sweep(); }
  QueueStats Queue() {
    const TableSet::Counts counts = tables_.Count();
    base::MutexLock lock(&queue_mutex_);
    QueueStats stats = stats_;
    stats.disk_full = stats.held_streams > 0;
    stats.tables = counts.tables;
    stats.open_tables = counts.open;
    return stats;
  }
  QuotaStats Quota();
  base::HistogramSnapshot CommitLatency() { return commit_latency_.Snapshot(); }

 private:
  enum class State { kOpen, kClosing, kClosed };
  // What one pass of the commit thread completes, in completion order.
  struct Finished {
    std::vector<std::pair<PendingBatch, std::error_code>> batches;
    std::vector<std::string> committed_streams;  // each once, for the listener
    void Committed(const std::string& stream_id) {
      for (const std::string& id : committed_streams) {
        if (id == stream_id) return;
      }
      committed_streams.push_back(stream_id);
    }
  };

  // A batch appended and not yet encoded.
  struct Appended {
    RecordBatch batch;
    Completion done;
    std::chrono::steady_clock::time_point appended;
  };
  // Unawaited batches of a stream appended within a few milliseconds are merged into one row up
  // to this many bytes of entries.
  static constexpr std::size_t kMaxMergedBytes = 1024 * 1024;

  // The encoding thread: compresses appended batches, in append order, into the commit queue,
  // so that the next group is compressed while the commit thread waits for this one's fsync.
  void RunEncoder();
  // The commit thread.
  void Run();
  // Whether everything appended is in queue_.
  bool EncodedAll() const EXCLUSIVE_LOCKS_REQUIRED(queue_mutex_) {
    return appended_.empty() && !encoding_;
  }
  // Whether the queue may wait before its commit (unawaited_commit_delay): it holds only
  // unawaited batches, under unawaited_commit_bytes, the oldest younger than the delay, and the
  // store is open.
  bool QueueMayWait() const EXCLUSIVE_LOCKS_REQUIRED(queue_mutex_) {
    return options_.unawaited_commit_delay.count() > 0 && state_ == State::kOpen && !exit_ &&
           !fail_held_ && !queue_.empty() && awaited_queued_ == 0 &&
           stats_.queued_bytes < options_.unawaited_commit_bytes &&
           std::chrono::steady_clock::now() <
               queue_.front().appended + options_.unawaited_commit_delay;
  }
  // Whether the encoding thread may wait for more before encoding appended_ (half of
  // unawaited_commit_delay, so that the commit thread still gets the batches in time): it holds
  // only unawaited batches, under kMaxMergedBytes and unawaited_commit_bytes, and the store is
  // open.
  bool EncoderMayWait() const EXCLUSIVE_LOCKS_REQUIRED(queue_mutex_) {
    return options_.unawaited_commit_delay.count() > 0 && state_ == State::kOpen && !exit_ &&
           !appended_.empty() && appended_awaited_ == 0 &&
           appended_bytes_ < std::min(kMaxMergedBytes, options_.unawaited_commit_bytes) &&
           std::chrono::steady_clock::now() <
               appended_.front().appended + options_.unawaited_commit_delay / 2;
  }
  // Joins runs of consecutive unawaited batches of one stream into one batch (one row, one
  // compression) of at most kMaxMergedBytes; returns how many batches each result holds.
  static std::vector<std::size_t> MergeUnawaited(std::vector<Appended>* taken);
  // Whether the commit thread has work besides the queue.
  bool OtherWorkAsked() const EXCLUSIVE_LOCKS_REQUIRED(queue_mutex_) {
    return !refused_.empty() || state_ != State::kOpen || exit_ || retry_requested_ ||
           quota_requested_ > quota_done_ || (fail_held_ && !held_.empty());
  }
  // Commits a group taken from the queue; a stream already held, or whose commit finds the disk
  // full, joins held_ instead.
  void CommitGroup(std::vector<PendingBatch>& group, Finished* finished);
  // Tries every held stream, oldest batches first, as far as they commit.
  void RetryHeld(Finished* finished);
  // At Close: completes everything still held with kDiskFull.
  void FailHeld(Finished* finished);
  // Publishes the figures, then calls the completions and the listener (outside the lock).
  void Finish(Finished& finished, const std::function<void(const std::string&)>& listener);
  // Makes the commit thread retry held batches now, if there are any.
  void RequestRetry();
  // Drops rows until the tables are within the quota, and logs (or keeps for a later line) what
  // went. Sets *evicted if rows were dropped. Commit thread only (or Open, before it starts).
  std::error_code EnforceQuota(bool* evicted);
  // Writes the quota lines that are due, or all pending ones when the store is closing.
  void LogQuota(bool closing);
  // How often the idle closer looks: a table closes between one and 1.25 timeouts after its
  // last use.
  static std::chrono::milliseconds IdleCheckInterval(std::chrono::milliseconds timeout) {
    return std::clamp<std::chrono::milliseconds>(timeout / 4, std::chrono::milliseconds(10),
                                                 std::chrono::seconds(15));
  }
  // On the idle closer's thread: closes the tables idle for table_idle_timeout.
  void CloseIdleTables();
  // On the checker thread, once after Open: every table's pages (TableSet::CheckPages).
  void CheckTablePages();

  const StoreOptions options_;
  base::Logger& log_;
  TableSet tables_;

  base::Mutex queue_mutex_;
  std::condition_variable_any appended_cv_;  // wakes the encoding thread
  std::condition_variable_any queue_cv_;     // wakes the commit thread
  std::condition_variable_any done_cv_;      // wakes Close() and SetQuota()
  // Waiting for the encoding thread.
  std::deque<Appended> appended_ GUARDED_BY(queue_mutex_);
  // How many of appended_'s batches are awaited, and the bytes of their entries.
  std::size_t appended_awaited_ GUARDED_BY(queue_mutex_) = 0;
  std::size_t appended_bytes_ GUARDED_BY(queue_mutex_) = 0;
  // The encoding thread waits for more batches to join unawaited ones (EncoderMayWait).
  bool encoder_waiting_ GUARDED_BY(queue_mutex_) = false;
  // The encoding thread holds batches taken from appended_.
  bool encoding_ GUARDED_BY(queue_mutex_) = false;
  // Encoded, waiting for the commit thread.
  std::deque<PendingBatch> queue_ GUARDED_BY(queue_mutex_);
  // How many of queue_'s batches are awaited.
  std::size_t awaited_queued_ GUARDED_BY(queue_mutex_) = 0;
  // The commit thread waits for more batches to join unawaited ones (CommitMayWait).
  bool waiting_for_company_ GUARDED_BY(queue_mutex_) = false;
  // Appended after Close(); failed on the commit thread.
  std::vector<Completion> refused_ GUARDED_BY(queue_mutex_);
  State state_ GUARDED_BY(queue_mutex_) = State::kOpen;
  bool exit_ GUARDED_BY(queue_mutex_) = false;
  bool retry_requested_ GUARDED_BY(queue_mutex_) = false;
  // FailHeldBatches(): held batches fail instead of waiting, from now on.
  bool fail_held_ GUARDED_BY(queue_mutex_) = false;
  QueueStats stats_ GUARDED_BY(queue_mutex_);  // held figures copied from held_ by Finish()
  std::function<void(const std::string&)> listener_ GUARDED_BY(queue_mutex_);
  // Quota passes asked for by SetQuota and done by the commit thread, and the last one's result.
  std::uint64_t quota_requested_ GUARDED_BY(queue_mutex_) = 0;
  std::uint64_t quota_done_ GUARDED_BY(queue_mutex_) = 0;
  std::error_code quota_result_ GUARDED_BY(queue_mutex_);

  std::atomic<std::uint64_t> quota_;
  std::atomic<std::uint64_t> eviction_passes_{0};
  std::atomic<std::int64_t> last_quota_drop_unix_ns_{0};
  base::Histogram commit_latency_{base::Histogram::LatencyBounds()};
  RetentionSweeper retention_;        // its thread is stopped by Close(), before the tables close
  base::PeriodicThread idle_closer_;  // likewise
  std::atomic<bool> stop_checks_{false};
  std::thread checker_;        // likewise: Close() sets stop_checks_ and joins it
  QuotaLog quota_log_;         // commit thread only
  HeldBatches held_;           // commit thread only
  std::uint64_t commits_ = 0;  // commit thread only; published as stats_.commits by Finish()
  RowCompressor compressor_;   // encoding thread only
  std::thread encode_thread_;
  std::thread thread_;
};

void Store::Impl::Append(RecordBatch batch, Completion done) {
  {
    base::MutexLock lock(&queue_mutex_);
    if (state_ == State::kOpen) {
      stats_.queued_batches += 1;
      stats_.queued_bytes += batch.entries.size();
      stats_.encoding_batches += 1;
      if (batch.awaited) ++appended_awaited_;
      appended_bytes_ += batch.entries.size();
      appended_.push_back(
          Appended{std::move(batch), std::move(done), std::chrono::steady_clock::now()});
      // The encoding thread has been woken already, unless it waits for company and this batch
      // ends the wait.
      if (appended_.size() > 1 && !(encoder_waiting_ && !EncoderMayWait())) return;
    } else {
      refused_.push_back(std::move(done));
      queue_cv_.notify_one();
      return;
    }
  }
  appended_cv_.notify_one();
}

void Store::Impl::RunEncoder() {
  std::vector<Appended> taken;
  for (;;) {
    {
      base::UniqueLock lock(&queue_mutex_);
      encoding_ = false;
      // A closing commit thread waits for this: every batch appended before Close() is queued.
      if (state_ != State::kOpen && appended_.empty()) queue_cv_.notify_one();
      appended_cv_.wait(lock, [this]() EXCLUSIVE_LOCKS_REQUIRED(queue_mutex_) {
        return !appended_.empty() || exit_;
      });
      if (appended_.empty()) return;
      if (EncoderMayWait()) {
        encoder_waiting_ = true;
        appended_cv_.wait_until(
            lock, appended_.front().appended + options_.unawaited_commit_delay / 2,
            [this]() EXCLUSIVE_LOCKS_REQUIRED(queue_mutex_) { return !EncoderMayWait(); });
        encoder_waiting_ = false;
      }
      taken.clear();
      while (!appended_.empty()) {
        taken.push_back(std::move(appended_.front()));
        appended_.pop_front();
      }
      appended_awaited_ = 0;
      appended_bytes_ = 0;
      encoding_ = true;
    }
    const std::vector<std::size_t> merged = MergeUnawaited(&taken);
    // One at a time into the queue, so that a commit thread done with its last group can start
    // on the first ones.
    for (std::size_t i = 0; i < taken.size(); ++i) {
      Appended& appended = taken[i];
      PendingBatch pending{
          std::move(appended.batch.stream_id),
          compressor_.Encode(std::move(appended.batch.entries), appended.batch.count),
          std::move(appended.done), appended.appended};
      pending.row.event_times = appended.batch.event_times;
      pending.awaited = appended.batch.awaited;
      bool wake;
      {
        base::MutexLock lock(&queue_mutex_);
        if (pending.awaited) ++awaited_queued_;
        queue_.push_back(std::move(pending));
        stats_.encoding_batches -= merged[i];
        stats_.queued_batches -= merged[i] - 1;  // now one batch
        // A commit thread waiting for company for unawaited batches need not hear of one more.
        wake = !waiting_for_company_ || !QueueMayWait();
      }
      // Costs no system call while the commit thread is not waiting.
      if (wake) queue_cv_.notify_one();
    }
  }
}

std::vector<std::size_t> Store::Impl::MergeUnawaited(std::vector<Appended>* taken) {
  std::vector<Appended> out;
  std::vector<std::size_t> counts;
  out.reserve(taken->size());
  // The completions of a merged batch, called in append order.
  std::shared_ptr<std::vector<Completion>> joined;
  for (Appended& next : *taken) {
    if (!out.empty()) {
      Appended& last = out.back();
      RecordBatch& into = last.batch;
      if (!into.awaited && !next.batch.awaited && into.stream_id == next.batch.stream_id &&
          into.entries.size() + next.batch.entries.size() <= kMaxMergedBytes &&
          std::uint64_t{into.count} + next.batch.count <=
              std::numeric_limits<std::uint32_t>::max()) {
        if (counts.back() == 1) {
          joined = std::make_shared<std::vector<Completion>>();
          joined->push_back(std::move(last.done));
          last.done = [joined](std::error_code ec) {
            for (Completion& done : *joined) {
              if (done) done(ec);
            }
          };
        }
        joined->push_back(std::move(next.done));
        into.entries.append(next.batch.entries);
        into.count += next.batch.count;
        if (into.event_times && next.batch.event_times) {
          into.event_times->min_unix_ns =
              std::min(into.event_times->min_unix_ns, next.batch.event_times->min_unix_ns);
          into.event_times->max_unix_ns =
              std::max(into.event_times->max_unix_ns, next.batch.event_times->max_unix_ns);
        } else {
          into.event_times.reset();  // read from the entries when retention needs it
        }
        ++counts.back();
        continue;
      }
    }
    out.push_back(std::move(next));
    counts.push_back(1);
  }
  taken->swap(out);
  return counts;
}

void Store::Impl::RequestRetry() {
  {
    base::MutexLock lock(&queue_mutex_);
    if (stats_.held_streams == 0) return;
    retry_requested_ = true;
  }
  queue_cv_.notify_one();
}

void Store::Impl::Close() {
  // No sweep runs while the tables close; what expired on arrival since the last one is logged.
  retention_.Stop();
  idle_closer_.Stop();
  stop_checks_.store(true);
  if (checker_.joinable()) checker_.join();
  base::UniqueLock lock(&queue_mutex_);
  if (!thread_.joinable()) {
    // Open() failed before the commit thread started: there is nothing queued to commit.
    state_ = State::kClosed;
    return;
  }
  if (state_ == State::kOpen) state_ = State::kClosing;
  queue_cv_.notify_all();
  appended_cv_.notify_all();  // an encoding thread waiting for company encodes at once
  done_cv_.wait(
      lock, [this]() EXCLUSIVE_LOCKS_REQUIRED(queue_mutex_) { return state_ == State::kClosed; });
}

std::error_code Store::Impl::SetQuota(std::uint64_t bytes) {
  base::UniqueLock lock(&queue_mutex_);
  if (state_ != State::kOpen) return Errc::kClosed;
  quota_.store(bytes);
  const std::uint64_t generation = ++quota_requested_;
  queue_cv_.notify_one();
  // On the commit thread (a completion, the listener) waiting would never end.
  if (std::this_thread::get_id() == thread_.get_id()) return {};
  done_cv_.wait(lock, [&]() EXCLUSIVE_LOCKS_REQUIRED(queue_mutex_) {
    return quota_done_ >= generation || state_ == State::kClosed;
  });
  return quota_done_ >= generation ? quota_result_ : std::error_code(Errc::kClosed);
}

void Store::Impl::CheckTablePages() {
  const auto start = std::chrono::steady_clock::now();
  std::size_t checked = 0;
  if (tables_.CheckPages(stop_checks_, &checked) == Errc::kClosed) return;
  log_.Info(kComponent, "checked the pages of {} tables in {:.1f} s", checked,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void Store::Impl::CloseIdleTables() {
  const std::size_t closed = tables_.CloseIdle(Table::Clock::now() - options_.table_idle_timeout);
  if (closed == 0) return;
  log_.Debug(kComponent, "closed {} idle tables", closed);
  // What their connections held is free now, but glibc keeps freed memory in the arena of the
  // thread that freed it (here, mostly the commit thread's): give it back to the system.
  malloc_trim(0);
}

QuotaStats Store::Impl::Quota() {
  QuotaStats stats;
  stats.quota_bytes = quota_.load();
  for (const StreamStats& stream : tables_.Stats()) {
    stats.stored_bytes += stream.backlog.bytes + stream.dead_letters.bytes;
    stats.dropped_records += stream.quota_dropped_records;
    stats.dropped_rows += stream.quota_dropped_rows;
    stats.dropped_bytes += stream.quota_dropped_bytes;
  }
  stats.eviction_passes = eviction_passes_.load();
  stats.last_dropped_unix_ns = last_quota_drop_unix_ns_.load();
  return stats;
}

void Store::Impl::Run() {
  for (;;) {
    std::vector<PendingBatch> group;
    std::vector<Completion> refused;
    std::function<void(const std::string&)> listener;
    bool close_now = false;
    bool retry = false;
    std::uint64_t quota_request = 0;
    bool quota_pass = false;
    bool fail_held = false;
    {
      base::UniqueLock lock(&queue_mutex_);
      auto ready = [this]() EXCLUSIVE_LOCKS_REQUIRED(queue_mutex_) {
        return !queue_.empty() || !refused_.empty() ||
               (state_ == State::kClosing && EncodedAll()) || exit_ || retry_requested_ ||
               quota_requested_ > quota_done_ || (fail_held_ && !held_.empty());
      };
      std::optional<HeldBatches::Clock::time_point> wake = quota_log_.next_due();
      if (!held_.empty() && (!wake || held_.next_retry() < *wake)) wake = held_.next_retry();
      if (wake) {
        queue_cv_.wait_until(lock, *wake, ready);
      } else {
        queue_cv_.wait(lock, ready);
      }
      if (QueueMayWait() && !OtherWorkAsked()) {
        auto until = queue_.front().appended + options_.unawaited_commit_delay;
        if (wake) until = std::min(until, *wake);
        waiting_for_company_ = true;
        queue_cv_.wait_until(lock, until, [this]() EXCLUSIVE_LOCKS_REQUIRED(queue_mutex_) {
          return !QueueMayWait() || OtherWorkAsked();
        });
        waiting_for_company_ = false;
      }
      // Other work (a quota pass, a retry) does not take unawaited batches along before time.
      const bool take_queue = !QueueMayWait();
      std::size_t bytes = 0;
      while (take_queue && !queue_.empty() &&
             (group.empty() || bytes + queue_.front().row.raw_bytes <= options_.max_group_bytes)) {
        if (queue_.front().awaited) --awaited_queued_;
        bytes += queue_.front().row.raw_bytes;
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      refused.swap(refused_);
      close_now = state_ == State::kClosing && EncodedAll() && queue_.empty();
      retry = retry_requested_ || held_.RetryDue(HeldBatches::Clock::now());
      retry_requested_ = false;
      quota_request = quota_requested_;
      quota_pass = quota_requested_ > quota_done_;
      fail_held = fail_held_;
      if (exit_ && group.empty() && refused.empty() && !close_now && held_.empty()) return;
      listener = listener_;
    }
    for (Completion& done : refused) {
      if (done) done(Errc::kClosed);
    }
    Finished finished;
    // Held batches are older than the group: they go first, and if they all commit, the group's
    // batches of their streams can commit directly.
    if (retry && !close_now && !held_.empty()) RetryHeld(&finished);
    if (!group.empty()) CommitGroup(group, &finished);
    if ((close_now || fail_held) && !held_.empty()) {
      RetryHeld(&finished);  // the last attempt
      FailHeld(&finished);
    }
    // After the commits, before their completions: once a batch is acknowledged the tables are
    // within the quota again, and the rows dropped are counted before anyone can see them gone.
    std::error_code quota_ec;
    bool evicted = false;
    if (quota_pass || !finished.committed_streams.empty()) quota_ec = EnforceQuota(&evicted);
    LogQuota(close_now);
    Finish(finished, listener);
    if (close_now) tables_.CloseAll();
    {
      base::MutexLock lock(&queue_mutex_);
      if (quota_pass) {
        quota_done_ = quota_request;
        quota_result_ = quota_ec;
      }
      // The rows dropped freed pages that held batches may fit in.
      if (evicted && !held_.empty() && !close_now) retry_requested_ = true;
      if (close_now) state_ = State::kClosed;
      if (quota_pass || close_now) done_cv_.notify_all();
    }
  }
}

void Store::Impl::CommitGroup(std::vector<PendingBatch>& group, Finished* finished) {
  const std::int64_t now = NowUnixNs();
  // Ordered by stream id, so which of two conflicting streams creates a shared file name is
  // deterministic.
  std::map<std::string, std::vector<std::size_t>> by_stream;
  for (std::size_t i = 0; i < group.size(); ++i) by_stream[group[i].stream_id].push_back(i);

  std::vector<std::optional<std::error_code>> results(group.size());  // none = held
  // Batches already older than max_age are not stored (see "Retention" in store.h).
  const std::optional<std::int64_t> cutoff = retention_.Cutoff();
  auto expired = [&](const PendingBatch& batch) {
    return cutoff && batch.row.event_times && batch.row.event_times->max_unix_ns < *cutoff;
  };
  for (const auto& [stream_id, indexes] : by_stream) {
    std::string why;
    std::error_code ec;
    const bool was_held = held_.IsHeld(stream_id);
    bool inserted = false;
    if (!was_held) {
      std::vector<const EncodedRow*> rows;
      rows.reserve(indexes.size());
      for (std::size_t i : indexes) {
        if (!expired(group[i])) rows.push_back(&group[i].row);
      }
      if (!rows.empty()) {
        ec = tables_.Insert(stream_id, rows, now, &why);
        inserted = true;
        if (!ec) ++commits_;
      }
    }
    if (was_held || ec == Errc::kDiskFull) {
      // Per-stream order: behind the stream's held batches, never ahead of them.
      for (std::size_t i : indexes) held_.Hold(std::move(group[i]), HeldBatches::Clock::now());
      if (!was_held) {
        const HeldBatches::Episode& episode = *held_.EpisodeOf(stream_id);
        log_.Error(kComponent,
                   "disk full: {} batches ({} records) of stream {} are held and not "
                   "acknowledged; retrying ({})",
                   episode.batches, episode.records, stream_id, why);
      }
      continue;
    }
    // Expired batches complete with the others, in order: a held stream holds them too (above),
    // so that none completes ahead of an older batch of its stream.
    for (std::size_t i : indexes) {
      if (!expired(group[i])) {
        results[i] = ec;
        continue;
      }
      results[i] = std::error_code();
      retention_.ExpiredOnArrival(stream_id, group[i].row.count, group[i].row.raw_bytes,
                                  *group[i].row.event_times);
    }
    if (!ec && inserted) finished->Committed(stream_id);
  }
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (results[i]) finished->batches.emplace_back(std::move(group[i]), *results[i]);
  }
}

void Store::Impl::RetryHeld(Finished* finished) {
  const std::int64_t now = NowUnixNs();
  bool progressed = false;
  for (const std::string& stream_id : held_.StreamIds()) {
    // A group is all or nothing: when the space returned is less than the stream holds, halve
    // the group until its oldest batches fit, or until one batch alone does not.
    std::size_t max_batches = std::numeric_limits<std::size_t>::max();
    for (;;) {
      std::vector<const EncodedRow*> front = held_.Front(stream_id, options_.max_group_bytes);
      if (front.empty()) break;
      if (front.size() > max_batches) front.resize(max_batches);
      std::string why;
      std::error_code ec = tables_.Insert(stream_id, front, now, &why);
      if (ec == Errc::kDiskFull) {
        if (front.size() == 1) break;
        max_batches = front.size() / 2;
        continue;
      }
      std::optional<HeldBatches::Episode> ended;
      std::vector<PendingBatch> done = held_.PopFront(stream_id, front.size(), &ended);
      for (PendingBatch& pending : done) finished->batches.emplace_back(std::move(pending), ec);
      if (!ec) {
        progressed = true;
        ++commits_;
        finished->Committed(stream_id);
      }
      if (ended) {
        if (!ec) {
          log_.Info(kComponent,
                    "disk full over: stream {} resumed after {:.1f} s; the {} batches ({} "
                    "records) held meanwhile are committed",
                    stream_id, SecondsSince(ended->since), ended->batches, ended->records);
        }
        break;
      }
    }
  }
  held_.Retried(progressed, HeldBatches::Clock::now());
}

std::error_code Store::Impl::EnforceQuota(bool* evicted) {
  const std::uint64_t quota = quota_.load();
  if (quota == 0) return {};
  std::vector<Eviction> evictions;
  std::error_code ec = tables_.EvictToQuota(quota, &evictions);
  if (evictions.empty()) return ec;
  *evicted = true;
  eviction_passes_.fetch_add(1);
  last_quota_drop_unix_ns_.store(NowUnixNs());
  // One line per stream for the whole pass, however many steps it took.
  std::map<std::string, QuotaLog::Line> by_stream;
  for (const Eviction& e : evictions) {
    QuotaLog::Line line{e.stream_id, e.records, e.rows, e.bytes, e.oldest_unix_ns, quota};
    auto [it, inserted] = by_stream.try_emplace(e.stream_id, line);
    if (inserted) continue;
    it->second.records += e.records;
    it->second.rows += e.rows;
    it->second.bytes += e.bytes;
    it->second.oldest_unix_ns = std::min(it->second.oldest_unix_ns, e.oldest_unix_ns);
  }
  const QuotaLog::Clock::time_point now = QuotaLog::Clock::now();
  for (const auto& [stream_id, dropped] : by_stream) {
    if (std::optional<QuotaLog::Line> line = quota_log_.Add(dropped, now)) {
      log_.Warning(kComponent, "{}", QuotaLog::Format(*line));
    }
  }
  return ec;
}

void Store::Impl::LogQuota(bool closing) {
  std::vector<QuotaLog::Line> lines =
      closing ? quota_log_.TakeAll() : quota_log_.TakeDue(QuotaLog::Clock::now());
  for (const QuotaLog::Line& line : lines) log_.Warning(kComponent, "{}", QuotaLog::Format(line));
}

void Store::Impl::FailHeld(Finished* finished) {
  bool closing = false;
  {
    base::MutexLock lock(&queue_mutex_);
    closing = state_ != State::kOpen;
  }
  for (const std::string& stream_id : held_.StreamIds()) {
    std::optional<HeldBatches::Episode> ended;
    std::vector<PendingBatch> failed =
        held_.PopFront(stream_id, std::numeric_limits<std::size_t>::max(), &ended);
    std::uint64_t records = 0;
    for (const PendingBatch& pending : failed) records += pending.row.count;
    log_.Error(kComponent,
               "{} with a full disk: {} batches ({} records) of stream {}, held for {:.1f} s, were "
               "never stored; they fail unacknowledged ({})",
               closing ? "closing" : "stopping", failed.size(), records, stream_id,
               ended ? SecondsSince(ended->since) : 0.0,
               make_error_code(Errc::kDiskFull).message());
    for (PendingBatch& pending : failed) {
      finished->batches.emplace_back(std::move(pending), Errc::kDiskFull);
    }
  }
}

void Store::Impl::Finish(Finished& finished,
                         const std::function<void(const std::string&)>& listener) {
  {
    base::MutexLock lock(&queue_mutex_);
    for (const auto& [pending, ec] : finished.batches) {
      stats_.queued_batches -= 1;
      stats_.queued_bytes -= pending.row.raw_bytes;
    }
    stats_.held_batches = held_.batches();
    stats_.held_bytes = held_.bytes();
    stats_.held_streams = held_.stream_count();
    stats_.disk_full_episodes = held_.episodes();
    stats_.disk_full_retries = held_.retries();
    stats_.commits = commits_;
    // The episodes' steady-clock start, told as wall-clock time for people.
    std::optional<HeldBatches::Clock::time_point> since;
    for (const std::string& stream_id : held_.StreamIds()) {
      const HeldBatches::Episode* episode = held_.EpisodeOf(stream_id);
      if (episode != nullptr && (!since || episode->since < *since)) since = episode->since;
    }
    stats_.disk_full_since_unix_ns =
        since ? NowUnixNs() - std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  HeldBatches::Clock::now() - *since)
                                  .count()
              : 0;
  }
  const auto now = std::chrono::steady_clock::now();
  for (auto& [pending, ec] : finished.batches) {
    if (!ec) commit_latency_.Observe(now - pending.appended);
    if (pending.done) pending.done(ec);
  }
  if (listener) {
    for (const std::string& stream_id : finished.committed_streams) listener(stream_id);
  }
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() = default;

namespace {

// Every table keeps its own SQLite connection, so what SQLite holds per connection is multiplied
// by the streams (docs/design.md, "What a stream costs"). Two process-wide settings:
// - no bulk page-cache allocation per connection (SQLite's default is 20 pages at once, 320 KiB
//   with our 16 KiB pages, used or not); only possible before SQLite initialises, which in the
//   host is here, so a later call (tests opening several stores) changes nothing;
// - one soft limit on SQLite's heap for all tables: past it SQLite frees cached pages it does not
//   need, so the page caches of many tables share one budget instead of up to 2 MB each.
constexpr sqlite3_int64 kSqliteSoftHeapLimit = 32 << 20;

void ConfigureSqliteMemory() {
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0);
    return true;
  }();
  (void)configured;
  sqlite3_soft_heap_limit64(kSqliteSoftHeapLimit);
}

}  // namespace

std::error_code Store::Open(StoreOptions options, std::unique_ptr<Store>* store) {
  if (options.logger == nullptr) throw std::invalid_argument("StoreOptions.logger is null");
  if (options.tables_dir.empty()) throw std::invalid_argument("StoreOptions.tables_dir is empty");
  ConfigureSqliteMemory();
  auto impl = std::make_unique<Impl>(std::move(options));
  if (std::error_code ec = impl->OpenTables()) return ec;
  // Retention first: records it removes need not push younger ones out of the quota.
  impl->ExpireAtOpen();
  impl->EnforceQuotaAtStart();
  impl->Start();
  store->reset(new Store(std::move(impl)));
  return {};
}

void Store::Append(RecordBatch batch, Completion done) {
  impl_->Append(std::move(batch), std::move(done));
}

void Store::SetCommitListener(std::function<void(const std::string& stream_id)> listener) {
  impl_->SetCommitListener(std::move(listener));
}

void Store::FailHeldBatches() { impl_->FailHeldBatches(); }

std::vector<std::string> Store::StreamsWithData() { return impl_->StreamsWithData(); }

std::error_code Store::ReadOldest(const std::string& stream_id, std::int64_t after_row_id,
                                  const ReadLimits& limits, std::vector<StoredRow>* rows) {
  return impl_->ReadOldest(stream_id, after_row_id, limits, rows);
}

std::error_code Store::Remove(const std::string& stream_id, std::int64_t first_row_id,
                              std::int64_t last_row_id) {
  return impl_->Remove(stream_id, first_row_id, last_row_id);
}

Backlog Store::GetBacklog(const std::string& stream_id) { return impl_->GetBacklog(stream_id); }

std::error_code Store::RecordUpload(const std::string& stream_id, const JournaledUpload& upload) {
  return impl_->tables().RecordUpload(stream_id, upload);
}

std::error_code Store::JournaledUploads(const std::string& stream_id,
                                        std::vector<JournaledUpload>* uploads) {
  return impl_->tables().JournaledUploads(stream_id, uploads);
}

std::error_code Store::AddDeadLetter(const std::string& stream_id, std::int64_t first_row_id,
                                     std::int64_t last_row_id, const DeadLetter& letter) {
  std::error_code ec = impl_->tables().AddDeadLetter(stream_id, first_row_id, last_row_id, letter);
  if (!ec) impl_->RowsMoved();
  return ec;
}

std::error_code Store::DeadLetters(const std::string& stream_id, std::vector<DeadLetter>* letters) {
  return impl_->tables().DeadLetters(stream_id, letters);
}

std::error_code Store::ReadDeadLetter(const std::string& stream_id, std::int64_t id,
                                      DeadLetter* letter) {
  return impl_->tables().ReadDeadLetter(stream_id, id, letter);
}

std::error_code Store::ResendDeadLetter(const std::string& stream_id, std::int64_t id,
                                        DeadLetter* letter) {
  return impl_->tables().ResendDeadLetter(stream_id, id, letter);
}

std::error_code Store::DropDeadLetter(const std::string& stream_id, std::int64_t id,
                                      DeadLetter* letter) {
  std::error_code ec = impl_->tables().DropDeadLetter(stream_id, id, letter);
  if (!ec) impl_->RowsMoved();
  return ec;
}

std::vector<StreamStats> Store::Stats() { return impl_->Stats(); }

QueueStats Store::Queue() { return impl_->Queue(); }

QuotaStats Store::Quota() { return impl_->Quota(); }

RetentionStats Store::Retention() { return impl_->Retention(); }

std::error_code Store::ExpireNow() { return impl_->ExpireNow(); }

base::HistogramSnapshot Store::CommitLatency() { return impl_->CommitLatency(); }

std::error_code Store::SetQuota(std::uint64_t bytes) { return impl_->SetQuota(bytes); }

std::error_code Store::CloseIfEmpty(const std::string& stream_id, bool* closed) {
  return impl_->tables().CloseIfEmpty(stream_id, closed);
}

std::error_code Store::SetMaxTablePages(std::uint64_t pages) {
  return impl_->SetMaxTablePages(pages);
}

void Store::Close() { impl_->Close(); }

}  // namespace localstore
