#ifndef AMAHOST_UPLOADER_UPLOADER_IMPL_H_
#define AMAHOST_UPLOADER_UPLOADER_IMPL_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "base/backoff.h"
#include "base/histogram.h"
#include "base/thread_annotations.h"
#include "uploader/body_builder.h"
#include "uploader/token_cache.h"
#include "uploader/uploader.h"
#include "uploader/verdict.h"

namespace uploader {

// The pipeline's state and its jobs (uploader.h says what it does). uploader.cc holds the
// scheduling (what to do next, under mutex_), upload_jobs.cc what workers do outside the lock.
class Uploader::Impl {
 public:
  using Clock = std::chrono::steady_clock;

  Impl(UploaderOptions options, localstore::BatchSource& source, base::AsyncHttpClient& http,
       base::HttpClient& token_http);

  void SetRoutes(std::vector<Route> routes);
  void Notify(const std::string& stream_id);
  void Run(std::stop_token stop);
  UploadStats TotalStats() const;
  std::map<std::string, UploadStats> StreamStats() const;
  std::map<std::string, base::HistogramSnapshot> RequestLatency() const;

 private:
  // One request's worth of a batch, and where it stands.
  struct Part {
    enum class State {
      kReady,      // built, waiting for a request slot
      kInFlight,   // started on the AsyncHttpClient
      kWaiting,    // failed; waits for the stream's backoff
      kDelivered,  // answered 2xx
      kRefused,    // answered a non-retriable 4xx, or too large to send
    };
    BodyPart built;
    std::string request_id;
    State state = State::kReady;
    int status = 0;        // of a refusal
    std::string response;  // of a refusal: the start of the response body
  };

  // A batch: rows first_row..last_row of a stream, journaled under request_id.
  struct Batch {
    std::string stream_id;
    Route route;  // what its bodies were built for
    std::int64_t first_row = 0;
    std::int64_t last_row = 0;
    std::int64_t received_unix_ns = 0;  // of its first row
    std::string request_id;
    std::uint64_t rows = 0;     // read; what the store's backlog counts of it
    std::uint64_t records = 0;  // in its parts
    std::uint64_t raw_bytes = 0;
    std::uint64_t damaged_records = 0;  // in rows the store could not read back
    std::uint64_t body_bytes = 0;       // charged to the budget
    std::vector<Part> parts;
    std::size_t unsettled = 0;  // parts neither delivered nor refused
    // Its route changed what its bodies hold: once no part is in flight it goes back to the
    // journal queue, to be read and built again under its id (RequeueLocked).
    bool rebuild = false;
    bool requeued = false;          // so: jobs still queued for it are void
    Clock::time_point finish_at{};  // a failed Finish is tried again from then
    int finish_failures = 0;
  };
  using BatchPtr = std::shared_ptr<Batch>;

  struct Stream {
    std::optional<Clock::time_point> due;  // a new batch may be read from then
    Clock::time_point not_before{};        // backoff: none of its requests before then
    bool reading = false;                  // a worker holds the cursor
    bool journal_loaded = false;
    std::deque<localstore::JournaledUpload> journal;  // from before a restart: they go first
    std::int64_t cursor = 0;                          // rows up to here are in batches
    // Of the batches not yet removed: what the store's backlog still counts of them.
    std::uint64_t rows_taken = 0;
    std::uint64_t records_taken = 0;
    std::uint64_t bytes_taken = 0;
    std::map<std::int64_t, BatchPtr> batches;  // by first row
    // Parts that failed, in order: after the backoff they go one at a time (a probe) until one
    // is delivered, then all.
    std::deque<std::pair<BatchPtr, std::size_t>> waiting;
    bool probing = false;
    std::uint32_t in_flight = 0;  // its requests started and not yet answered
    std::uint32_t failures = 0;   // consecutive, the backoff's attempt number
    bool parked = false;          // no usable route
    bool warned_unroutable = false;
  };

  struct Job {
    enum class Kind { kRead, kSend, kFinish } kind = Kind::kRead;
    std::string stream_id{};
    Route route{};                                           // kRead
    std::optional<localstore::JournaledUpload> journaled{};  // kRead of a journaled batch
    std::int64_t after_row = 0;                              // kRead
    std::uint64_t reserved = 0;  // kRead: charged to the budget meanwhile
    BatchPtr batch{};            // kSend, kFinish
    std::size_t part = 0;        // kSend
    bool probe = false;          // kSend: its stream's probe (Stream::probing)
  };

  // --- uploader.cc: scheduling, all under mutex_.
  // The next job for a worker, or none (then *wake says until when to sleep).
  std::optional<Job> NextJobLocked(Clock::time_point now, bool stopping,
                                   std::optional<Clock::time_point>* wake)
      EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Why `route` cannot be uploaded to; empty when it can.
  std::string Unusable(const std::optional<Route>& route) const;
  const Route* RouteLocked(const std::string& stream_id) const EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  bool ParkedLocked(const std::string& stream_id, Stream& stream) EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // A part answered (the AsyncHttpClient's thread): `probe` when it was its stream's probe,
  // `token` the ingestion token it carried.
  void OnResponse(const BatchPtr& batch, std::size_t part, bool probe, const std::string& token,
                  std::error_code transport, base::HttpResponse response);
  // A part's attempt failed before or without a verdict on the records: it waits for the
  // stream's backoff (Retry-After when given).
  // `quiet`: logged at debug (the failure was logged once already).
  void RetryLocked(const BatchPtr& batch, std::size_t part, const std::string& error,
                   std::optional<std::chrono::milliseconds> retry_after, bool quiet = false)
      EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Logs a transport failure of `origin` ("https://host:port") once, until it changes or a
  // request there succeeds.
  void ReportOnceLocked(const std::string& origin, const std::string& error)
      EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Whether bodies built for one route would hold something else for the other.
  static bool ChangesBodies(const Route& a, const Route& b);
  // A URL's scheme, host and port.
  static std::string Origin(const std::string& url);
  // Wakes the workers: something they may act on changed.
  void WakeLocked() EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void SettleLocked(const BatchPtr& batch) EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Puts a batch whose route changed back in its stream's journal queue (see Batch::rebuild).
  void RequeueLocked(const BatchPtr& batch) EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  template <typename Fn>
  void UpdateStatsLocked(const std::string& stream_id, Fn&& fn) EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    fn(stream_stats_[stream_id]);
    fn(total_stats_);
  }

  // --- upload_jobs.cc: what workers do, outside the lock.
  void Execute(Job& job, BodyBuilder& builder);
  void Read(Job& job, BodyBuilder& builder);
  // Builds the batch's bodies from its rows for its route; a malformed row is removed from the
  // store and from `rows`. False when nothing is left to send (its rows were then removed).
  bool Build(Batch& batch, std::vector<localstore::StoredRow>& rows, BodyBuilder& builder);
  void Send(Job& job);
  void Finish(Job& job);
  // After a read that found nothing to send: releases the cursor and what the read reserved.
  void ReleaseCursor(const std::string& stream_id, std::uint64_t reserved);
  // After rows of a stream left the store and its rows_taken went down (outside the lock): a
  // read may have compared the two in between and missed rows it left behind. Makes the stream
  // due if rows remain that no read in progress or due will take.
  void LookAgain(const std::string& stream_id);

  const UploaderOptions options_;
  localstore::BatchSource& source_;
  base::AsyncHttpClient& http_;
  base::Logger& logger_;
  TokenCache tokens_;  // thread-safe

  mutable base::Mutex mutex_;
  std::condition_variable_any wake_cv_;
  // WakeLocked() calls: a worker sleeps until it changes.
  std::uint64_t wakes_ GUARDED_BY(mutex_) = 0;
  base::Backoff backoff_ GUARDED_BY(mutex_);
  bool started_ GUARDED_BY(mutex_) = false;
  std::map<std::string, Route> routes_ GUARDED_BY(mutex_);
  std::map<std::string, Stream> streams_ GUARDED_BY(mutex_);
  std::deque<Job> sends_ GUARDED_BY(mutex_);     // parts ready for a request slot
  std::deque<Job> finishes_ GUARDED_BY(mutex_);  // batches settled, to leave the store
  std::size_t workers_ GUARDED_BY(mutex_) = 0;   // in Run()
  std::size_t reads_ GUARDED_BY(mutex_) = 0;     // read jobs not yet built
  std::uint64_t requests_in_flight_ GUARDED_BY(mutex_) = 0;
  // Built bodies held, plus reservations of reads.
  std::uint64_t body_bytes_ GUARDED_BY(mutex_) = 0;
  std::uint64_t batches_alive_ GUARDED_BY(mutex_) = 0;
  std::map<std::string, UploadStats> stream_stats_ GUARDED_BY(mutex_);
  // The transport failure last logged per origin ("https://host:port"), until a success there.
  std::map<std::string, std::string> transport_logged_ GUARDED_BY(mutex_);
  UploadStats total_stats_ GUARDED_BY(mutex_);
  // Request latency per protocol; lock-free, observed from the HTTP client's callbacks.
  base::Histogram ods_latency_{base::Histogram::LatencyBounds()};
  base::Histogram gig_latency_{base::Histogram::LatencyBounds()};
};

}  // namespace uploader

#endif  // AMAHOST_UPLOADER_UPLOADER_IMPL_H_
