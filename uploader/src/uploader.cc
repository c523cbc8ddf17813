#include "uploader/uploader.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include "base/backoff.h"
#include "base/uuid.h"
#include "codec/compression.h"
#include "codec/json_text.h"
#include "uploader/ods_request.h"
#include "uploader/token_cache.h"
#include "uploader/verdict.h"

namespace uploader {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kComponent = "uploader";
// How much of a rejecting response body goes into the log line.
constexpr std::size_t kMaxLoggedBody = 1024;

std::string Excerpt(std::string_view body) {
  std::string text = codec::JsonString(body.substr(0, kMaxLoggedBody));
  if (body.size() > kMaxLoggedBody) text.append("…");
  return text;
}

}  // namespace

class Uploader::Impl {
 public:
  Impl(UploaderOptions options, localstore::BatchSource& source, base::HttpClient& http)
      : options_(std::move(options)),
        source_(source),
        http_(http),
        logger_(*options_.logger),
        backoff_(options_.retry_base, options_.retry_cap),
        tokens_(http, {options_.user_agent, options_.request_timeout, options_.logger}) {}

  void SetRoutes(std::vector<Route> routes);
  void Notify(const std::string& stream_id);
  void Run(std::stop_token stop);
  UploadStats TotalStats() const;
  std::map<std::string, UploadStats> StreamStats() const;

 private:
  // When a stream is next looked at. Guarded by mutex_.
  struct Schedule {
    std::optional<Clock::time_point> due{};
    Clock::time_point not_before{};  // a retry's backoff; Notify cannot bring it forward
    bool parked = false;             // waiting for a usable route
  };

  // The batch a stream has in flight, kept across retries so that every retry sends the same
  // body with the same X-Request-ID. Touched by Run()'s thread only.
  struct Flight {
    bool active = false;
    bool delivered = false;  // a 2xx came but Remove failed: only the removal is retried
    std::int64_t first_row = 0;
    std::int64_t last_row = 0;
    std::uint64_t records = 0;
    // In rows of the batch that the store could not read back (StoredRow::damaged): rejected
    // once the batch leaves the store.
    std::uint64_t damaged_records = 0;
    std::string request_id{};
    std::string body{};       // deflated
    std::string data_type{};  // what the body was built for
    std::string ip_name{};
    std::uint32_t failures = 0;  // consecutive failed attempts, the backoff's attempt number
    bool warned_unroutable = false;
  };

  // What an attempt decided for its stream.
  struct Outcome {
    std::optional<Clock::time_point> due{};
    Clock::time_point not_before{};
    bool parked = false;
    std::uint64_t routes_version = 0;  // of the routes the attempt saw
  };

  Outcome Attempt(const std::string& stream_id);
  Outcome Park(const std::string& stream_id, Flight& flight, std::string_view reason);
  bool StartFlight(const std::string& stream_id, const Route& route, Flight& flight,
                   Outcome* outcome);
  Outcome Send(const std::string& stream_id, const Route& route, Flight& flight);
  Outcome Delivered(const std::string& stream_id, Flight& flight);
  Outcome Retry(const std::string& stream_id, Flight& flight, std::string error,
                std::optional<std::chrono::milliseconds> retry_after);
  Outcome AfterBatch(const std::string& stream_id);
  template <typename Fn>
  void UpdateStats(const std::string& stream_id, Fn&& fn);

  const UploaderOptions options_;
  localstore::BatchSource& source_;
  base::HttpClient& http_;
  base::Logger& logger_;

  // Run()'s thread only.
  base::Backoff backoff_;
  TokenCache tokens_;
  std::map<std::string, Flight> flights_;

  mutable std::mutex mutex_;
  std::condition_variable_any wake_cv_;
  bool woken_ = false;
  std::map<std::string, Route> routes_;
  std::uint64_t routes_version_ = 0;  // counts SetRoutes() calls
  std::map<std::string, Schedule> schedules_;
  std::map<std::string, UploadStats> stream_stats_;
  UploadStats total_stats_;
};

void Uploader::Impl::SetRoutes(std::vector<Route> routes) {
  std::map<std::string, Route> by_stream;
  for (Route& route : routes) {
    std::string stream_id = route.stream_id;
    if (!by_stream.emplace(stream_id, std::move(route)).second) {
      logger_.Warning(kComponent, "two routes for stream {}; the first one is used", stream_id);
    }
  }
  std::lock_guard lock(mutex_);
  routes_ = std::move(by_stream);
  ++routes_version_;
  // Records kept for want of a route go as soon as one may exist.
  Clock::time_point now = Clock::now();
  for (auto& [stream_id, schedule] : schedules_) {
    if (!schedule.parked) continue;
    schedule.parked = false;
    schedule.due = schedule.due ? std::min(*schedule.due, now) : now;
  }
  woken_ = true;
  wake_cv_.notify_all();
}

void Uploader::Impl::Notify(const std::string& stream_id) {
  Clock::time_point now = Clock::now();
  {
    std::lock_guard lock(mutex_);
    Schedule& schedule = schedules_[stream_id];
    if (schedule.due && *schedule.due <= now) return;  // already due: the backlog check is moot
    if (!schedule.due) schedule.due = now + options_.batch_window;
    woken_ = true;
  }
  // The store is asked outside the lock: it may be slow, and Run() must not wait on it.
  localstore::Backlog backlog = source_.GetBacklog(stream_id);
  std::lock_guard lock(mutex_);
  if (backlog.records >= options_.max_batch_records || backlog.bytes >= options_.max_batch_bytes) {
    Schedule& schedule = schedules_[stream_id];
    schedule.due = now;
  }
  wake_cv_.notify_all();
}

void Uploader::Impl::Run(std::stop_token stop) {
  // Records left from before a restart go out at once.
  std::vector<std::string> existing = source_.StreamsWithData();
  std::unique_lock lock(mutex_);
  Clock::time_point start = Clock::now();
  for (const std::string& stream_id : existing) schedules_[stream_id].due = start;

  while (!stop.stop_requested()) {
    Clock::time_point now = Clock::now();
    std::vector<std::pair<Clock::time_point, std::string>> ready;
    std::optional<Clock::time_point> earliest;
    for (const auto& [stream_id, schedule] : schedules_) {
      if (!schedule.due) continue;
      Clock::time_point at = std::max(*schedule.due, schedule.not_before);
      if (at <= now) {
        ready.emplace_back(at, stream_id);
      } else if (!earliest || at < *earliest) {
        earliest = at;
      }
    }
    if (ready.empty()) {
      woken_ = false;
      auto woken = [this] { return woken_; };
      if (earliest) {
        wake_cv_.wait_until(lock, stop, *earliest, woken);
      } else {
        wake_cv_.wait(lock, stop, woken);
      }
      continue;
    }
    // One attempt per ready stream per round, longest waiting first: a failing stream backs
    // off and a long backlog takes turns, so no stream holds up the others.
    std::sort(ready.begin(), ready.end());
    for (const auto& [at, stream_id] : ready) {
      if (stop.stop_requested()) break;
      schedules_[stream_id].due.reset();
      lock.unlock();
      Outcome outcome = Attempt(stream_id);
      lock.lock();
      Schedule& schedule = schedules_[stream_id];
      schedule.not_before = outcome.not_before;
      schedule.parked = outcome.parked;
      if (outcome.parked && outcome.routes_version != routes_version_) {
        // SetRoutes() came during the attempt and missed this stream: look again now.
        schedule.parked = false;
        outcome.due = Clock::now();
      }
      // A Notify that came during the attempt keeps its earlier time.
      if (outcome.due)
        schedule.due = schedule.due ? std::min(*schedule.due, *outcome.due) : *outcome.due;
    }
  }
}

Uploader::Impl::Outcome Uploader::Impl::Attempt(const std::string& stream_id) {
  Flight& flight = flights_[stream_id];
  std::optional<Route> route;
  std::uint64_t routes_version = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = routes_.find(stream_id);
    if (it != routes_.end()) route = it->second;
    routes_version = routes_version_;
  }
  std::string unroutable;
  if (!route) {
    unroutable = "it has no route";
  } else if (route->protocol != "ods") {
    unroutable =
        "its channel's protocol \"" + route->protocol + "\" is not supported (only \"ods\" is)";
  } else if (route->endpoint.empty()) {
    unroutable = "its channel has no endpoint";
  } else if (route->token_endpoint_uri.empty()) {
    unroutable = "its channel has no tokenEndpointUri";
  }
  if (!unroutable.empty()) {
    Outcome outcome = Park(stream_id, flight, unroutable);
    outcome.routes_version = routes_version;
    return outcome;
  }
  flight.warned_unroutable = false;

  if (flight.delivered) return Delivered(stream_id, flight);
  if (flight.active && (flight.data_type != route->data_type || flight.ip_name != route->ip_name)) {
    // The body names DataType and IPName: a route change makes it a different batch.
    flight.active = false;
  }
  if (!flight.active) {
    Outcome outcome;
    if (!StartFlight(stream_id, *route, flight, &outcome)) return outcome;
  }
  return Send(stream_id, *route, flight);
}

Uploader::Impl::Outcome Uploader::Impl::Park(const std::string& stream_id, Flight& flight,
                                             std::string_view reason) {
  if (!flight.warned_unroutable) {
    flight.warned_unroutable = true;
    logger_.Warning(kComponent, "records of stream {} stay in the store: {}", stream_id, reason);
  }
  return Outcome{.parked = true};
}

// Reads the next batch and builds its body. Returns false with the stream's outcome when there
// is nothing to send.
bool Uploader::Impl::StartFlight(const std::string& stream_id, const Route& route, Flight& flight,
                                 Outcome* outcome) {
  localstore::ReadLimits limits{.max_rows = std::max<std::size_t>(1, options_.max_batch_records),
                                .max_records = options_.max_batch_records,
                                .max_bytes = options_.max_batch_bytes};
  std::vector<localstore::StoredRow> rows;
  if (std::error_code error = source_.ReadOldest(stream_id, 0, limits, &rows)) {
    *outcome = Retry(stream_id, flight, "reading the store failed: " + error.message(), {});
    return false;
  }
  if (rows.empty()) {
    flight = Flight{.warned_unroutable = flight.warned_unroutable};
    *outcome = Outcome{};
    return false;
  }
  std::int64_t first_row = rows.front().row_id;
  std::int64_t last_row = rows.back().row_id;
  std::uint64_t damaged_records = 0;
  for (const localstore::StoredRow& row : rows) {
    if (row.damaged) damaged_records += row.count;
  }

  OdsJson json;
  std::error_code error = BuildOdsJson(
      {.data_type = route.data_type, .ip_name = route.ip_name, .agent_id = options_.agent_id}, rows,
      &json);
  if (error || json.records == 0) {
    // Rows without entries are dropped: damaged ones (the store logged each) count as rejected.
    // A malformed row means a damaged store too (the sockets validate every entry): only that
    // row is dropped, and the rows around it go in the next batch, at once.
    std::int64_t drop_first = first_row;
    std::int64_t drop_last = last_row;
    std::uint64_t dropped_records = damaged_records;
    if (error) {
      drop_first = drop_last = json.malformed_row_id;
      dropped_records = 0;
      for (const localstore::StoredRow& row : rows) {
        if (row.row_id == json.malformed_row_id) dropped_records = row.count;
      }
      logger_.Error(kComponent,
                    "stream {}: row {} holds malformed entries; dropping it ({} records)",
                    stream_id, json.malformed_row_id, dropped_records);
    }
    if (std::error_code removed = source_.Remove(stream_id, drop_first, drop_last)) {
      *outcome =
          Retry(stream_id, flight, "removing from the store failed: " + removed.message(), {});
      return false;
    }
    UpdateStats(stream_id, [&](UploadStats& s) { s.records_rejected += dropped_records; });
    flight.failures = 0;
    *outcome = AfterBatch(stream_id);
    return false;
  }
  // ODS's "Content-Encoding: deflate" is a zlib stream (RFC 1950).
  std::string body = codec::Compress(json.text, codec::Compression::kZlib);
  flight.active = true;
  flight.delivered = false;
  flight.first_row = first_row;
  flight.last_row = last_row;
  flight.records = json.records;
  flight.damaged_records = damaged_records;
  flight.request_id = base::NewUuid();
  flight.body = std::move(body);
  flight.data_type = route.data_type;
  flight.ip_name = route.ip_name;
  flight.failures = 0;
  return true;
}

Uploader::Impl::Outcome Uploader::Impl::Send(const std::string& stream_id, const Route& route,
                                             Flight& flight) {
  std::string token;
  std::string detail;
  if (std::error_code error = tokens_.Get(route.token_endpoint_uri, &token, &detail)) {
    return Retry(stream_id, flight, "no ingestion token: " + detail, {});
  }
  base::HttpRequest request =
      BuildOdsRequest(route.endpoint,
                      {.agent_id = options_.agent_id,
                       .resource_id = options_.resource_id,
                       .region = options_.region,
                       .user_agent = options_.user_agent},
                      token, flight.request_id, flight.body, options_.request_timeout);
  base::HttpResponse response;
  std::error_code error = http_.Send(request, &response);
  if (!error) UpdateStats(stream_id, [&](UploadStats& s) { s.last_status = response.status; });

  switch (Classify(error, response.status)) {
    case Verdict::kSuccess:
      flight.delivered = true;
      logger_.Debug(kComponent, "stream {}: {} records uploaded (HTTP {}, X-Request-ID {})",
                    stream_id, flight.records, response.status, flight.request_id);
      UpdateStats(stream_id, [&](UploadStats& s) {
        ++s.batches_sent;
        s.records_uploaded += flight.records;
      });
      return Delivered(stream_id, flight);
    case Verdict::kRefreshToken:
      tokens_.Invalidate(route.token_endpoint_uri);
      return Retry(stream_id, flight, "HTTP " + std::to_string(response.status), {});
    case Verdict::kRetry: {
      std::optional<std::chrono::milliseconds> retry_after;
      if (const std::string* header = response.FindHeader("Retry-After")) {
        retry_after = base::ParseRetryAfter(*header, std::chrono::system_clock::now());
      }
      return Retry(stream_id, flight,
                   error ? error.message() : "HTTP " + std::to_string(response.status),
                   retry_after);
    }
    case Verdict::kReject:
      break;
  }
  logger_.Error(kComponent,
                "stream {}: ODS rejected {} records (rows {}..{}), dropped: HTTP {}, "
                "X-Request-ID {}, response {}",
                stream_id, flight.records, flight.first_row, flight.last_row, response.status,
                flight.request_id, Excerpt(response.body));
  UpdateStats(stream_id, [&](UploadStats& s) {
    s.records_rejected += flight.records;
    s.last_error = "HTTP " + std::to_string(response.status);
  });
  // Removing a rejected batch is the same step as removing a delivered one.
  return Delivered(stream_id, flight);
}

// The batch is done with (accepted or rejected): remove it from the store.
Uploader::Impl::Outcome Uploader::Impl::Delivered(const std::string& stream_id, Flight& flight) {
  flight.delivered = true;
  if (std::error_code error = source_.Remove(stream_id, flight.first_row, flight.last_row)) {
    // Sending again would duplicate the batch; only the removal is retried.
    return Retry(stream_id, flight, "removing an uploaded batch failed: " + error.message(), {});
  }
  if (flight.damaged_records > 0) {
    UpdateStats(stream_id, [&](UploadStats& s) { s.records_rejected += flight.damaged_records; });
  }
  flight = Flight{.warned_unroutable = flight.warned_unroutable};
  return AfterBatch(stream_id);
}

Uploader::Impl::Outcome Uploader::Impl::Retry(
    const std::string& stream_id, Flight& flight, std::string error,
    std::optional<std::chrono::milliseconds> retry_after) {
  std::chrono::milliseconds delay = retry_after ? *retry_after : backoff_.Delay(flight.failures);
  ++flight.failures;
  logger_.Warning(kComponent, "stream {}: {}; retry {} in {} ms{}", stream_id, error,
                  flight.failures, delay.count(),
                  flight.active ? " (X-Request-ID " + flight.request_id + ")" : std::string());
  UpdateStats(stream_id, [&](UploadStats& s) {
    ++s.retries;
    s.last_error = error;
  });
  Clock::time_point at = Clock::now() + delay;
  return Outcome{.due = at, .not_before = at};
}

// After a batch left the store: the next one goes at once if records remain.
Uploader::Impl::Outcome Uploader::Impl::AfterBatch(const std::string& stream_id) {
  if (source_.GetBacklog(stream_id).rows > 0) return Outcome{.due = Clock::now()};
  return Outcome{};
}

template <typename Fn>
void Uploader::Impl::UpdateStats(const std::string& stream_id, Fn&& fn) {
  std::lock_guard lock(mutex_);
  fn(stream_stats_[stream_id]);
  fn(total_stats_);
}

UploadStats Uploader::Impl::TotalStats() const {
  std::lock_guard lock(mutex_);
  return total_stats_;
}

std::map<std::string, UploadStats> Uploader::Impl::StreamStats() const {
  std::lock_guard lock(mutex_);
  return stream_stats_;
}

Uploader::Uploader(UploaderOptions options, localstore::BatchSource& source,
                   base::HttpClient& http) {
  if (options.logger == nullptr) throw std::invalid_argument("UploaderOptions.logger is null");
  impl_ = std::make_unique<Impl>(std::move(options), source, http);
}

Uploader::~Uploader() = default;

void Uploader::SetRoutes(std::vector<Route> routes) { impl_->SetRoutes(std::move(routes)); }
void Uploader::Notify(const std::string& stream_id) { impl_->Notify(stream_id); }
void Uploader::Run(std::stop_token stop) { impl_->Run(std::move(stop)); }
UploadStats Uploader::TotalStats() const { return impl_->TotalStats(); }
std::map<std::string, UploadStats> Uploader::StreamStats() const { return impl_->StreamStats(); }

}  // namespace uploader
