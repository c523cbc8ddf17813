#include "localstore/store.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "held_batches.h"
#include "localstore/errc.h"
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
                              .max_pages = options_.max_table_pages},
                log_) {}
  ~Impl() {
    Close();
    {
      std::lock_guard lock(queue_mutex_);
      exit_ = true;
    }
    queue_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  std::error_code OpenTables() { return tables_.OpenAll(); }
  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  void Append(RecordBatch batch, Completion done);
  void SetCommitListener(std::function<void(const std::string&)> listener) {
    std::lock_guard lock(queue_mutex_);
    listener_ = std::move(listener);
  }
  std::error_code SetMaxTablePages(std::uint64_t pages) {
    std::error_code ec = tables_.SetMaxPages(pages);
    RequestRetry();
    return ec;
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
  std::vector<StreamStats> Stats() { return tables_.Stats(); }
  QueueStats Queue() {
    std::lock_guard lock(queue_mutex_);
    QueueStats stats = stats_;
    stats.disk_full = stats.held_streams > 0;
    return stats;
  }

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

  void Run();
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

  const StoreOptions options_;
  base::Logger& log_;
  TableSet tables_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;   // wakes the commit thread
  std::condition_variable closed_cv_;  // wakes Close()
  std::deque<PendingBatch> queue_;
  std::vector<Completion> refused_;  // appended after Close(); failed on the commit thread
  State state_ = State::kOpen;
  bool exit_ = false;
  bool retry_requested_ = false;
  QueueStats stats_;  // held figures copied from held_ by Finish()
  std::function<void(const std::string&)> listener_;

  HeldBatches held_;  // commit thread only
  std::thread thread_;
};

void Store::Impl::Append(RecordBatch batch, Completion done) {
  {
    std::lock_guard lock(queue_mutex_);
    if (state_ == State::kOpen) {
      stats_.queued_batches += 1;
      stats_.queued_bytes += batch.entries.size();
      queue_.push_back(PendingBatch{std::move(batch), std::move(done)});
    } else {
      refused_.push_back(std::move(done));
    }
  }
  queue_cv_.notify_one();
}

void Store::Impl::RequestRetry() {
  {
    std::lock_guard lock(queue_mutex_);
    if (stats_.held_streams == 0) return;
    retry_requested_ = true;
  }
  queue_cv_.notify_one();
}

void Store::Impl::Close() {
  std::unique_lock lock(queue_mutex_);
  if (!thread_.joinable()) {
    // Open() failed before the commit thread started: there is nothing queued to commit.
    state_ = State::kClosed;
    return;
  }
  if (state_ == State::kOpen) state_ = State::kClosing;
  queue_cv_.notify_all();
  closed_cv_.wait(lock, [this] { return state_ == State::kClosed; });
}

void Store::Impl::Run() {
  for (;;) {
    std::vector<PendingBatch> group;
    std::vector<Completion> refused;
    std::function<void(const std::string&)> listener;
    bool close_now = false;
    bool retry = false;
    {
      std::unique_lock lock(queue_mutex_);
      auto ready = [this] {
        return !queue_.empty() || !refused_.empty() || state_ == State::kClosing || exit_ ||
               retry_requested_;
      };
      if (held_.empty()) {
        queue_cv_.wait(lock, ready);
      } else {
        queue_cv_.wait_until(lock, held_.next_retry(), ready);
      }
      std::size_t bytes = 0;
      while (!queue_.empty() && (group.empty() || bytes + queue_.front().batch.entries.size() <=
                                                      options_.max_group_bytes)) {
        bytes += queue_.front().batch.entries.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      refused.swap(refused_);
      close_now = state_ == State::kClosing && queue_.empty();
      retry = retry_requested_ || held_.RetryDue(HeldBatches::Clock::now());
      retry_requested_ = false;
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
    if (close_now && !held_.empty()) {
      RetryHeld(&finished);  // the last attempt
      FailHeld(&finished);
    }
    Finish(finished, listener);
    if (close_now) {
      tables_.CloseAll();
      std::lock_guard lock(queue_mutex_);
      state_ = State::kClosed;
      closed_cv_.notify_all();
    }
  }
}

void Store::Impl::CommitGroup(std::vector<PendingBatch>& group, Finished* finished) {
  const std::int64_t now = NowUnixNs();
  // Ordered by stream id, so which of two conflicting streams creates a shared file name is
  // deterministic.
  std::map<std::string, std::vector<std::size_t>> by_stream;
  for (std::size_t i = 0; i < group.size(); ++i) by_stream[group[i].batch.stream_id].push_back(i);

  std::vector<std::optional<std::error_code>> results(group.size());  // none = held
  for (const auto& [stream_id, indexes] : by_stream) {
    std::string why;
    std::error_code ec;
    const bool was_held = held_.IsHeld(stream_id);
    if (!was_held) {
      std::vector<const RecordBatch*> batches;
      batches.reserve(indexes.size());
      for (std::size_t i : indexes) batches.push_back(&group[i].batch);
      ec = tables_.Insert(stream_id, batches, now, &why);
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
    for (std::size_t i : indexes) results[i] = ec;
    if (!ec) finished->Committed(stream_id);
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
      std::vector<const RecordBatch*> front = held_.Front(stream_id, options_.max_group_bytes);
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

void Store::Impl::FailHeld(Finished* finished) {
  for (const std::string& stream_id : held_.StreamIds()) {
    std::optional<HeldBatches::Episode> ended;
    std::vector<PendingBatch> failed =
        held_.PopFront(stream_id, std::numeric_limits<std::size_t>::max(), &ended);
    std::uint64_t records = 0;
    for (const PendingBatch& pending : failed) records += pending.batch.count;
    log_.Error(kComponent,
               "closing with a full disk: {} batches ({} records) of stream {}, held for {:.1f} "
               "s, were never stored; they fail unacknowledged ({})",
               failed.size(), records, stream_id, ended ? SecondsSince(ended->since) : 0.0,
               make_error_code(Errc::kDiskFull).message());
    for (PendingBatch& pending : failed) {
      finished->batches.emplace_back(std::move(pending), Errc::kDiskFull);
    }
  }
}

void Store::Impl::Finish(Finished& finished,
                         const std::function<void(const std::string&)>& listener) {
  {
    std::lock_guard lock(queue_mutex_);
    for (const auto& [pending, ec] : finished.batches) {
      stats_.queued_batches -= 1;
      stats_.queued_bytes -= pending.batch.entries.size();
    }
    stats_.held_batches = held_.batches();
    stats_.held_bytes = held_.bytes();
    stats_.held_streams = held_.stream_count();
    stats_.disk_full_episodes = held_.episodes();
    stats_.disk_full_retries = held_.retries();
  }
  for (auto& [pending, ec] : finished.batches) {
    if (pending.done) pending.done(ec);
  }
  if (listener) {
    for (const std::string& stream_id : finished.committed_streams) listener(stream_id);
  }
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() = default;

std::error_code Store::Open(StoreOptions options, std::unique_ptr<Store>* store) {
  if (options.logger == nullptr || options.tables_dir.empty()) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  if (std::error_code ec = impl->OpenTables()) return ec;
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

std::vector<StreamStats> Store::Stats() { return impl_->Stats(); }

QueueStats Store::Queue() { return impl_->Queue(); }

std::error_code Store::SetMaxTablePages(std::uint64_t pages) {
  return impl_->SetMaxTablePages(pages);
}

void Store::Close() { impl_->Close(); }

}  // namespace localstore
