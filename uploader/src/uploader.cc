#include "uploader/uploader.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "codec/json_text.h"
#include "uploader/logs_request.h"
#include "uploader/ods_request.h"
#include "uploader_impl.h"

namespace uploader {

namespace {

constexpr std::string_view kComponent = "uploader";
// How much of a refusing response goes into the log line, and into the dead letter.
constexpr std::size_t kMaxLoggedBody = 1024;
constexpr std::size_t kMaxKeptBody = 4096;

std::string Excerpt(std::string_view body) {
  std::string text = codec::JsonString(body.substr(0, kMaxLoggedBody));
  if (body.size() > kMaxLoggedBody) text.append("…");
  return text;
}

// For UploadStats' times, which people read beside log lines: the wall clock.
std::int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool Uploader::Impl::ChangesBodies(const Route& a, const Route& b) {
  // An ODS body names DataType and IPName; Logs Ingestion's name nothing but the records.
  return a.protocol != b.protocol ||
         (a.protocol == "ods" && (a.data_type != b.data_type || a.ip_name != b.ip_name));
}

std::string UploadUrl(const Route& route) {
  return route.protocol == "gig" ? LogsUrl(route.endpoint, route.endpoint_uri_template,
                                           route.configuration_id, route.data_type)
                                 : OdsUrl(route.endpoint);
}

std::string Uploader::Impl::Origin(const std::string& url) {
  const std::size_t scheme = url.find("://");
  return url.substr(0, url.find('/', scheme == std::string::npos ? 0 : scheme + 3));
}

Uploader::Impl::Impl(UploaderOptions options, localstore::BatchSource& source,
                     base::AsyncHttpClient& http, base::HttpClient& token_http)
    : options_(std::move(options)),
      source_(source),
      http_(http),
      logger_(*options_.logger),
      tokens_(token_http, {options_.user_agent, options_.request_timeout, options_.logger}),
      backoff_(options_.retry_base, options_.retry_cap) {}

void Uploader::Impl::SetRoutes(std::vector<Route> routes) {
  std::map<std::string, Route> by_stream;
  for (Route& route : routes) {
    std::string stream_id = route.stream_id;
    if (!by_stream.emplace(stream_id, std::move(route)).second) {
      logger_.Warning(kComponent, "two routes for stream {}; the first one is used", stream_id);
    }
  }
  base::MutexLock lock(&mutex_);
  routes_ = std::move(by_stream);
  const Clock::time_point now = Clock::now();
  for (auto& [stream_id, stream] : streams_) {
    // Batches waiting for a retry are built again for a route that changes what they hold.
    const Route* route = RouteLocked(stream_id);
    std::vector<BatchPtr> changed;
    for (auto& [first_row, batch] : stream.batches) {
      if (route != nullptr && ChangesBodies(*route, batch->route)) {
        batch->rebuild = true;
        changed.push_back(batch);
      }
    }
    for (const BatchPtr& batch : changed) RequeueLocked(batch);
    // Records kept for want of a route go as soon as one may exist.
    if (!stream.parked) continue;
    stream.parked = false;
    stream.due = stream.due ? std::min(*stream.due, now) : now;
  }
  WakeLocked();
}

void Uploader::Impl::Notify(const std::string& stream_id) {
  const Clock::time_point now = Clock::now();
  std::uint64_t records_taken = 0;
  std::uint64_t bytes_taken = 0;
  {
    base::MutexLock lock(&mutex_);
    Stream& stream = streams_[stream_id];
    if (stream.due && *stream.due <= now) return;  // already due: the backlog check is moot
    if (!stream.due) stream.due = now + options_.batch_window;
    records_taken = stream.records_taken;
    bytes_taken = stream.bytes_taken;
  }
  // The store is asked outside the lock: it may be slow, and the workers must not wait on it.
  localstore::Backlog backlog = source_.GetBacklog(stream_id);
  base::MutexLock lock(&mutex_);
  if (backlog.records >= records_taken + options_.max_batch_records ||
      backlog.bytes >= bytes_taken + options_.max_batch_bytes) {
    streams_[stream_id].due = now;
  }
  WakeLocked();
}

void Uploader::Impl::Run(std::stop_token stop) {
  BodyBuilder builder(options_.compression_level);
  // Records left from before a restart go out at once (once, whichever worker comes first).
  std::vector<std::string> existing = source_.StreamsWithData();
  base::UniqueLock lock(&mutex_);
  ++workers_;
  if (!started_) {
    started_ = true;
    const Clock::time_point now = Clock::now();
    for (const std::string& stream_id : existing) streams_[stream_id].due = now;
  }
  std::optional<Clock::time_point> grace_ends;
  for (;;) {
    const Clock::time_point now = Clock::now();
    const bool stopping = stop.stop_requested();
    if (stopping) {
      if (!grace_ends) grace_ends = now + options_.stop_grace;
      // Done once nothing is in flight and every settled batch has left the store.
      if ((requests_in_flight_ == 0 && finishes_.empty()) || now >= *grace_ends) {
        --workers_;
        return;
      }
    }
    std::optional<Clock::time_point> wake;
    std::optional<Job> job = NextJobLocked(now, stopping, &wake);
    if (job) {
      lock.unlock();
      Execute(*job, builder);
      lock.lock();
      continue;
    }
    if (stopping) wake = wake ? std::min(*wake, *grace_ends) : *grace_ends;
    // While stopping, the stop token has fired already: only the answers and the grace wake.
    std::stop_token wait_token = stopping ? std::stop_token() : stop;
    const std::uint64_t seen = wakes_;
    auto woken = [this, seen]() EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return wakes_ != seen; };
    if (wake) {
      wake_cv_.wait_until(lock, wait_token, *wake, woken);
    } else {
      wake_cv_.wait(lock, wait_token, woken);
    }
  }
}

std::string Uploader::Impl::Unusable(const std::optional<Route>& route) const {
  if (!route) return "it has no route";
  if (route->protocol != "ods" && route->protocol != "gig") {
    return "its channel's protocol \"" + route->protocol +
           "\" is not supported (\"ods\" and \"gig\" are)";
  }
  if (route->protocol == "ods" && route->endpoint.empty()) return "its channel has no endpoint";
  if (route->protocol == "gig" && route->endpoint.empty() && route->endpoint_uri_template.empty()) {
    return "its channel has neither endpointUriTemplate nor endpoint";
  }
  if (route->token_endpoint_uri.empty() && options_.fixed_token.empty()) {
    return "its channel has no tokenEndpointUri";
  }
  return {};
}

const Route* Uploader::Impl::RouteLocked(const std::string& stream_id) const {
  auto it = routes_.find(stream_id);
  return it == routes_.end() ? nullptr : &it->second;
}

bool Uploader::Impl::ParkedLocked(const std::string& stream_id, Stream& stream) {
  const Route* route = RouteLocked(stream_id);
  std::string why = Unusable(route ? std::optional<Route>(*route) : std::nullopt);
  if (why.empty()) {
    stream.parked = false;
    stream.warned_unroutable = false;
    return false;
  }
  if (!stream.warned_unroutable) {
    stream.warned_unroutable = true;
    logger_.Warning(kComponent, "records of stream {} stay in the store: {}", stream_id, why);
  }
  stream.parked = true;
  return true;
}

std::optional<Uploader::Impl::Job> Uploader::Impl::NextJobLocked(
    Clock::time_point now, bool stopping, std::optional<Clock::time_point>* wake) {
  auto wake_at = [wake](Clock::time_point at) {
    if (!*wake || at < **wake) *wake = at;
  };
  // Batches that are done with leave the store first: that frees memory and backlog.
  for (auto it = finishes_.begin(); it != finishes_.end(); ++it) {
    if (it->batch->finish_at > now) {
      wake_at(it->batch->finish_at);
      continue;
    }
    Job job = std::move(*it);
    finishes_.erase(it);
    return job;
  }
  if (stopping) return std::nullopt;
  // Parts built and waiting for a request slot, in order.
  while (!sends_.empty() && requests_in_flight_ < options_.max_requests_in_flight) {
    Job job = std::move(sends_.front());
    sends_.pop_front();
    if (job.batch->requeued) continue;
    Stream& stream = streams_[job.stream_id];
    Part& part = job.batch->parts[job.part];
    if (stream.probing || !stream.waiting.empty() || stream.not_before > now ||
        ParkedLocked(job.stream_id, stream)) {
      // Its stream is failing (or has no route): it waits its turn with the failed ones.
      part.state = Part::State::kWaiting;
      stream.waiting.emplace_back(job.batch, job.part);
      continue;
    }
    part.state = Part::State::kInFlight;
    ++requests_in_flight_;
    ++stream.in_flight;
    return job;
  }
  // Retries: after its backoff, a failing stream sends one request and waits for its verdict.
  // Not while any of its earlier requests is still out: their answers may yet put older rows
  // first in line, and one at a time means one.
  if (requests_in_flight_ < options_.max_requests_in_flight) {
    for (auto& [stream_id, stream] : streams_) {
      if (stream.waiting.empty() || stream.probing || stream.in_flight > 0) continue;
      if (stream.not_before > now) {
        wake_at(stream.not_before);
        continue;
      }
      if (ParkedLocked(stream_id, stream)) continue;
      auto [batch, index] = stream.waiting.front();
      stream.waiting.pop_front();
      stream.probing = true;
      batch->parts[index].state = Part::State::kInFlight;
      ++requests_in_flight_;
      ++stream.in_flight;
      return Job{.kind = Job::Kind::kSend,
                 .stream_id = stream_id,
                 .batch = batch,
                 .part = index,
                 .probe = true};
    }
  }
  // New batches, the stream waiting longest first, within the memory budget.
  Stream* chosen = nullptr;
  const std::string* chosen_id = nullptr;
  for (auto& [stream_id, stream] : streams_) {
    if (!stream.due || stream.reading || stream.probing || !stream.waiting.empty() ||
        stream.parked) {
      continue;
    }
    const Clock::time_point at = std::max(*stream.due, stream.not_before);
    if (at > now) {
      wake_at(at);
      continue;
    }
    if (ParkedLocked(stream_id, stream)) continue;
    if (chosen == nullptr || at < std::max(*chosen->due, chosen->not_before)) {
      chosen = &stream;
      chosen_id = &stream_id;
    }
  }
  if (chosen == nullptr) return std::nullopt;
  // Built ahead only as far as keeps every worker and request slot busy: more would only hold
  // memory while a slow receiver answers.
  const bool fits = batches_alive_ == 0 ||
                    (body_bytes_ + options_.max_batch_bytes <= options_.max_body_bytes_in_flight &&
                     sends_.size() + reads_ < workers_);
  // Over the budget the answers to what is in flight wake the workers, not a timer.
  if (!fits) return std::nullopt;
  chosen->due.reset();
  chosen->reading = true;
  ++reads_;
  Job job{.kind = Job::Kind::kRead, .stream_id = *chosen_id};
  job.route = *RouteLocked(*chosen_id);
  job.after_row = chosen->cursor;
  if (chosen->journal_loaded && !chosen->journal.empty()) {
    job.journaled = std::move(chosen->journal.front());
    chosen->journal.pop_front();
  }
  job.reserved = options_.max_batch_bytes;
  body_bytes_ += job.reserved;
  ++batches_alive_;
  return job;
}

void Uploader::Impl::OnResponse(const BatchPtr& batch, std::size_t index, bool probe,
                                const std::string& token, std::error_code transport,
                                base::HttpResponse response) {
  const Verdict verdict = Classify(transport, response.status);
  Route route;
  {
    base::MutexLock lock(&mutex_);
    route = batch->route;
  }
  if (verdict == Verdict::kRefreshToken) tokens_.Invalidate(route.token_endpoint_uri, token);
  base::MutexLock lock(&mutex_);
  Part& part = batch->parts[index];
  Stream& stream = streams_[batch->stream_id];
  --requests_in_flight_;
  --stream.in_flight;
  UpdateStatsLocked(batch->stream_id, [&](UploadStats& s) {
    ++s.requests;
    if (!transport) s.last_status = response.status;
  });
  switch (verdict) {
    case Verdict::kSuccess: {
      part.state = Part::State::kDelivered;
      --batch->unsettled;
      logger_.Debug(kComponent, "stream {}: {} records uploaded (HTTP {}, request id {})",
                    batch->stream_id, part.built.records, response.status, part.request_id);
      UpdateStatsLocked(batch->stream_id, [&, now = NowUnixNs()](UploadStats& s) {
        s.records_uploaded += part.built.records;
        s.bytes_uploaded += part.built.body.size();
        s.last_error.clear();
        s.failing_since_unix_ns = 0;
        s.last_success_unix_ns = now;
      });
      stream.failures = 0;
      transport_logged_.erase(Origin(UploadUrl(route)));
      transport_logged_.erase(Origin(route.token_endpoint_uri));
      if (probe) {
        // The receiver takes requests again: everything that waited goes.
        stream.probing = false;
        for (auto& [waiting_batch, waiting_part] : stream.waiting) {
          waiting_batch->parts[waiting_part].state = Part::State::kReady;
          sends_.push_back(Job{.kind = Job::Kind::kSend,
                               .stream_id = batch->stream_id,
                               .batch = waiting_batch,
                               .part = waiting_part});
        }
        stream.waiting.clear();
      }
      SettleLocked(batch);
      break;
    }
    case Verdict::kRefreshToken:
    case Verdict::kRetry: {
      if (probe) stream.probing = false;
      if (transport == std::errc::operation_canceled) {
        // The client is stopping with the host: nothing to report, the journal has the batch.
        part.state = Part::State::kWaiting;
        stream.waiting.emplace_back(batch, index);
        break;
      }
      std::optional<std::chrono::milliseconds> retry_after;
      if (const std::string* header = response.FindHeader("Retry-After")) {
        retry_after = base::ParseRetryAfter(*header, std::chrono::system_clock::now());
      }
      std::string error = transport
                              ? transport.message() + (response.error_detail.empty()
                                                           ? std::string()
                                                           : " (" + response.error_detail + ")")
                              : "HTTP " + std::to_string(response.status);
      if (transport) ReportOnceLocked(Origin(UploadUrl(route)), error);
      RetryLocked(batch, index, error, retry_after, /*quiet=*/static_cast<bool>(transport));
      break;
    }
    case Verdict::kReject:
      part.state = Part::State::kRefused;
      part.status = response.status;
      part.response = response.body.substr(0, kMaxKeptBody);
      --batch->unsettled;
      logger_.Error(kComponent,
                    "stream {}: {} refused {} records (rows {}..{}), kept as a dead letter: HTTP "
                    "{}, request id {}, response {}",
                    batch->stream_id, route.protocol == "gig" ? "Logs Ingestion" : "ODS",
                    part.built.records, batch->first_row, batch->last_row, response.status,
                    part.request_id, Excerpt(response.body));
      UpdateStatsLocked(batch->stream_id, [&](UploadStats& s) {
        s.last_error = "HTTP " + std::to_string(response.status);
      });
      SettleLocked(batch);
      break;
  }
  if (batch->rebuild) RequeueLocked(batch);
  WakeLocked();
}

void Uploader::Impl::RetryLocked(const BatchPtr& batch, std::size_t index, const std::string& error,
                                 std::optional<std::chrono::milliseconds> retry_after, bool quiet) {
  Stream& stream = streams_[batch->stream_id];
  Part& part = batch->parts[index];
  const std::chrono::milliseconds delay =
      retry_after ? *retry_after : backoff_.Delay(stream.failures);
  ++stream.failures;
  stream.not_before = std::max(stream.not_before, Clock::now() + delay);
  part.state = Part::State::kWaiting;
  // In order: the oldest rows are tried first.
  auto at = std::find_if(stream.waiting.begin(), stream.waiting.end(), [&](const auto& waiting) {
    return waiting.first->first_row > batch->first_row ||
           (waiting.first == batch && waiting.second > index);
  });
  stream.waiting.emplace(at, batch, index);
  logger_.Log(quiet ? base::LogLevel::kDebug : base::LogLevel::kWarning, kComponent,
              "stream {}: {}; retry {} in {} ms (request id {})", batch->stream_id, error,
              stream.failures, delay.count(), part.request_id);
  UpdateStatsLocked(batch->stream_id, [&, now = NowUnixNs()](UploadStats& s) {
    ++s.retries;
    s.last_error = error;
    if (s.failing_since_unix_ns == 0) s.failing_since_unix_ns = now;
  });
}

void Uploader::Impl::SettleLocked(const BatchPtr& batch) {
  if (batch->unsettled > 0) return;
  finishes_.push_back(
      Job{.kind = Job::Kind::kFinish, .stream_id = batch->stream_id, .batch = batch});
}

void Uploader::Impl::RequeueLocked(const BatchPtr& batch) {
  if (batch->requeued || batch->unsettled == 0) return;
  for (const Part& part : batch->parts) {
    if (part.state == Part::State::kInFlight) return;  // when its answer comes
  }
  batch->requeued = true;
  Stream& stream = streams_[batch->stream_id];
  stream.batches.erase(batch->first_row);
  stream.rows_taken -= std::min(stream.rows_taken, batch->rows);
  stream.records_taken -= std::min(stream.records_taken, batch->records + batch->damaged_records);
  stream.bytes_taken -= std::min(stream.bytes_taken, batch->raw_bytes);
  body_bytes_ -= std::min(body_bytes_, batch->body_bytes);
  --batches_alive_;
  std::erase_if(stream.waiting, [&](const auto& waiting) { return waiting.first == batch; });
  if (stream.waiting.empty()) stream.probing = false;
  localstore::JournaledUpload entry{batch->first_row, batch->last_row, batch->request_id,
                                    batch->route.channel_id};
  auto at = std::find_if(stream.journal.begin(), stream.journal.end(), [&](const auto& other) {
    return other.first_row_id > entry.first_row_id;
  });
  stream.journal.insert(at, std::move(entry));
  stream.due = Clock::now();
  logger_.Info(kComponent,
               "stream {}: its route changed; rows {}..{} are built again (request id {})",
               batch->stream_id, batch->first_row, batch->last_row, batch->request_id);
}

void Uploader::Impl::ReportOnceLocked(const std::string& origin, const std::string& error) {
  // A transport failure (a certificate refused, a proxy or DNS answer) says the same thing on
  // every retry: an error line once per endpoint and reason, in libcurl's words; the retries
  // themselves are then logged at debug.
  std::string& logged = transport_logged_[origin];
  if (logged == error) return;
  logged = error;
  logger_.Error(kComponent, "cannot upload to {}: {}; retrying with backoff", origin, error);
}

void Uploader::Impl::WakeLocked() {
  ++wakes_;
  wake_cv_.notify_all();
}

UploadStats Uploader::Impl::TotalStats() const {
  base::MutexLock lock(&mutex_);
  UploadStats stats = total_stats_;
  stats.requests_in_flight = requests_in_flight_;
  stats.body_bytes_in_flight = body_bytes_;
  return stats;
}

std::map<std::string, UploadStats> Uploader::Impl::StreamStats() const {
  base::MutexLock lock(&mutex_);
  std::map<std::string, UploadStats> stats = stream_stats_;
  for (auto& [stream_id, stream] : streams_) {
    auto it = stats.find(stream_id);
    if (it == stats.end()) continue;
    for (const auto& [first_row, batch] : stream.batches) {
      it->second.body_bytes_in_flight += batch->body_bytes;
      for (const Part& part : batch->parts) {
        if (part.state == Part::State::kInFlight) ++it->second.requests_in_flight;
      }
    }
  }
  return stats;
}

std::map<std::string, base::HistogramSnapshot> Uploader::Impl::RequestLatency() const {
  return {{"gig", gig_latency_.Snapshot()}, {"ods", ods_latency_.Snapshot()}};
}

Uploader::Uploader(UploaderOptions options, localstore::BatchSource& source,
                   base::AsyncHttpClient& http, base::HttpClient& token_http) {
  if (options.logger == nullptr) throw std::invalid_argument("UploaderOptions.logger is null");
  impl_ = std::make_unique<Impl>(std::move(options), source, http, token_http);
}

Uploader::~Uploader() = default;

void Uploader::SetRoutes(std::vector<Route> routes) { impl_->SetRoutes(std::move(routes)); }
void Uploader::Notify(const std::string& stream_id) { impl_->Notify(stream_id); }
void Uploader::Run(std::stop_token stop) { impl_->Run(std::move(stop)); }
UploadStats Uploader::TotalStats() const { return impl_->TotalStats(); }
std::map<std::string, UploadStats> Uploader::StreamStats() const { return impl_->StreamStats(); }
std::map<std::string, base::HistogramSnapshot> Uploader::RequestLatency() const {
  return impl_->RequestLatency();
}

}  // namespace uploader
