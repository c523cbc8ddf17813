// What upload workers do outside the lock: read and build batches, send their parts, and take
// settled batches out of the store.

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "base/uuid.h"
#include "uploader/errors.h"
#include "uploader/logs_request.h"
#include "uploader/ods_request.h"
#include "uploader_impl.h"

namespace uploader {
namespace {

constexpr std::string_view kComponent = "uploader";

// The request id of part `part` of a batch journaled under `id`: the batch's own for part 0, and
// for the others the UUID whose last 12 hex digits are the batch's plus `part`, so that the same
// batch split the same way after a restart gets the same ids.
std::string PartRequestId(const std::string& id, std::size_t part) {
  if (part == 0) return id;
  std::uint64_t node = 0;
  bool hex = id.size() == 36;
  for (std::size_t i = 24; hex && i < 36; ++i) {
    const char c = id[i];
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
    if (digit < 0) hex = false;
    node = node * 16 + static_cast<std::uint64_t>(digit < 0 ? 0 : digit);
  }
  if (!hex) return fmt::format("{}-{}", id, part);
  return fmt::format("{}{:012x}", id.substr(0, 24), (node + part) & 0xffffffffffffull);
}

}  // namespace

void Uploader::Impl::Execute(Job& job, BodyBuilder& builder) {
  switch (job.kind) {
    case Job::Kind::kRead:
      Read(job, builder);
      return;
    case Job::Kind::kSend:
      Send(job);
      return;
    case Job::Kind::kFinish:
      Finish(job);
      return;
  }
}

void Uploader::Impl::ReleaseCursor(const std::string& stream_id, std::uint64_t reserved) {
  base::MutexLock lock(&mutex_);
  Stream& stream = streams_[stream_id];
  stream.reading = false;
  body_bytes_ -= reserved;
  --batches_alive_;
  --reads_;
  WakeLocked();
}

void Uploader::Impl::Read(Job& job, BodyBuilder& builder) {
  const std::string& stream_id = job.stream_id;
  auto failed = [&](const std::string& what, std::error_code error) {
    base::MutexLock lock(&mutex_);
    Stream& stream = streams_[stream_id];
    const std::chrono::milliseconds delay = backoff_.Delay(stream.failures++);
    stream.not_before = Clock::now() + delay;
    stream.due = stream.not_before;
    stream.reading = false;
    if (job.journaled) stream.journal.push_front(std::move(*job.journaled));
    body_bytes_ -= job.reserved;
    --batches_alive_;
    --reads_;
    logger_.Warning(kComponent, "stream {}: {} failed: {}; again in {} ms", stream_id, what,
                    error.message(), delay.count());
    UpdateStatsLocked(stream_id, [&](UploadStats& s) {
      ++s.retries;
      s.last_error = what + " failed: " + error.message();
    });
    WakeLocked();
  };

  // The first read of a stream: batches journaled before a restart go first, as they were.
  bool load = false;
  {
    base::MutexLock lock(&mutex_);
    load = !streams_[stream_id].journal_loaded;
  }
  if (load) {
    std::vector<localstore::JournaledUpload> journal;
    if (std::error_code error = source_.JournaledUploads(stream_id, &journal)) {
      failed("reading the upload journal", error);
      return;
    }
    if (!journal.empty()) {
      logger_.Info(kComponent,
                   "stream {}: {} batches were journaled before a restart; sending them first, "
                   "under the same request ids",
                   stream_id, journal.size());
    }
    base::MutexLock lock(&mutex_);
    Stream& stream = streams_[stream_id];
    stream.journal_loaded = true;
    stream.journal.assign(journal.begin(), journal.end());
    // Batches are journaled in row order, so no row past the last one is in the journal.
    if (!journal.empty()) stream.cursor = std::max(stream.cursor, journal.back().last_row_id);
    if (!stream.journal.empty()) {
      job.journaled = std::move(stream.journal.front());
      stream.journal.pop_front();
    }
  }

  auto batch = std::make_shared<Batch>();
  batch->stream_id = stream_id;
  batch->route = job.route;
  std::vector<localstore::StoredRow> rows;
  if (job.journaled) {
    localstore::ReadLimits all{.max_rows = std::numeric_limits<std::size_t>::max(),
                               .max_records = std::numeric_limits<std::size_t>::max(),
                               .max_bytes = std::numeric_limits<std::size_t>::max(),
                               .last_row_id = job.journaled->last_row_id};
    if (std::error_code error =
            source_.ReadOldest(stream_id, job.journaled->first_row_id - 1, all, &rows)) {
      failed("reading the store", error);
      return;
    }
    batch->first_row = job.journaled->first_row_id;
    batch->last_row = job.journaled->last_row_id;
    batch->request_id = job.journaled->request_id;
    if (rows.empty()) {
      // The quota dropped its rows meanwhile: only the journal entry is left to remove.
      source_.Remove(stream_id, batch->first_row, batch->last_row);
      base::MutexLock lock(&mutex_);
      streams_[stream_id].due = Clock::now();
    }
  } else {
    localstore::ReadLimits limits{.max_rows = std::max<std::size_t>(1, options_.max_batch_records),
                                  .max_records = options_.max_batch_records,
                                  .max_bytes = options_.max_batch_bytes};
    if (std::error_code error = source_.ReadOldest(stream_id, job.after_row, limits, &rows)) {
      failed("reading the store", error);
      return;
    }
    if (!rows.empty()) {
      batch->first_row = rows.front().row_id;
      batch->last_row = rows.back().row_id;
      batch->request_id = options_.request_id
                              ? options_.request_id(stream_id, batch->first_row, batch->last_row)
                              : base::NewUuid();
      // Before anything is sent, and while this worker holds the cursor: the journal is in row
      // order, which is what lets a restart resume after its last batch.
      if (std::error_code error = source_.RecordUpload(
              stream_id,
              {batch->first_row, batch->last_row, batch->request_id, job.route.channel_id})) {
        failed("recording the batch in the upload journal", error);
        return;
      }
    }
  }
  if (rows.empty()) {
    ReleaseCursor(stream_id, job.reserved);
    return;
  }
  for (const localstore::StoredRow& row : rows) {
    batch->rows += 1;
    batch->raw_bytes += row.entries.size();
    if (row.damaged) batch->damaged_records += row.count;
  }
  batch->received_unix_ns = rows.front().received_unix_ns;

  // The rows are known: the next batch of this stream may be read while this one is built.
  std::uint64_t rows_taken = 0;
  {
    base::MutexLock lock(&mutex_);
    Stream& stream = streams_[stream_id];
    stream.cursor = std::max(stream.cursor, batch->last_row);
    stream.reading = false;
    stream.failures = 0;
    stream.rows_taken += batch->rows;
    stream.records_taken += batch->damaged_records;
    stream.bytes_taken += batch->raw_bytes;
    rows_taken = stream.rows_taken;
    if (!stream.journal.empty()) stream.due = Clock::now();
    WakeLocked();
  }
  if (source_.GetBacklog(stream_id).rows > rows_taken) {
    base::MutexLock lock(&mutex_);
    Stream& stream = streams_[stream_id];
    const Clock::time_point now = Clock::now();
    stream.due = stream.due ? std::min(*stream.due, now) : now;
    WakeLocked();
  }

  const bool built = Build(*batch, rows, builder);
  rows.clear();
  base::UniqueLock lock(&mutex_);
  body_bytes_ -= job.reserved;
  --reads_;
  Stream& stream = streams_[stream_id];
  stream.records_taken += batch->records;
  if (!built) {
    // Nothing left to send: its rows are gone (Build removed them).
    stream.rows_taken -= std::min(stream.rows_taken, batch->rows);
    stream.records_taken -= std::min(stream.records_taken, batch->records + batch->damaged_records);
    stream.bytes_taken -= std::min(stream.bytes_taken, batch->raw_bytes);
    --batches_alive_;
    WakeLocked();
    lock.unlock();
    LookAgain(stream_id);
    return;
  }
  // Seen by the others only now that it is built: its parts do not change from here on.
  stream.batches.emplace(batch->first_row, batch);
  if (const Route* current = RouteLocked(stream_id);
      current != nullptr && ChangesBodies(*current, batch->route)) {
    // The route changed while it was being built.
    batch->rebuild = true;
  }
  for (const Part& part : batch->parts) batch->body_bytes += part.built.body.size();
  body_bytes_ += batch->body_bytes;
  for (std::size_t i = 0; i < batch->parts.size(); ++i) {
    if (batch->parts[i].state != Part::State::kReady) continue;
    sends_.push_back(
        Job{.kind = Job::Kind::kSend, .stream_id = stream_id, .batch = batch, .part = i});
  }
  SettleLocked(batch);
  if (batch->rebuild) RequeueLocked(batch);
  WakeLocked();
}

bool Uploader::Impl::Build(Batch& batch, std::vector<localstore::StoredRow>& rows,
                           BodyBuilder& builder) {
  const Route& route = batch.route;
  BuiltBody built;
  for (;;) {
    std::error_code error = route.protocol == "gig"
                                ? builder.BuildLogs(rows, options_.max_logs_call_bytes, &built)
                                : builder.BuildOds({.data_type = route.data_type,
                                                    .ip_name = route.ip_name,
                                                    .agent_id = options_.agent_id},
                                                   rows, &built);
    if (!error) break;
    // A malformed row means a damaged store (the sockets validate every entry): only that row
    // is dropped, and the batch goes without it, under its id.
    auto bad = std::find_if(rows.begin(), rows.end(), [&](const localstore::StoredRow& row) {
      return row.row_id == built.malformed_row_id;
    });
    const std::uint32_t count = bad == rows.end() ? 0 : bad->count;
    logger_.Error(kComponent, "stream {}: row {} holds malformed entries; dropping it ({} records)",
                  batch.stream_id, built.malformed_row_id, count);
    if (std::error_code removed =
            source_.Remove(batch.stream_id, built.malformed_row_id, built.malformed_row_id)) {
      logger_.Error(kComponent, "stream {}: cannot remove row {}: {}", batch.stream_id,
                    built.malformed_row_id, removed.message());
    }
    {
      base::MutexLock lock(&mutex_);
      UpdateStatsLocked(batch.stream_id, [&](UploadStats& s) { s.records_rejected += count; });
    }
    if (bad == rows.end()) return false;
    rows.erase(bad);
  }
  batch.records = built.records;
  if (built.records == 0) {
    // Only rows the store could not read back (it logged each): they leave with their batch.
    if (std::error_code removed =
            source_.Remove(batch.stream_id, batch.first_row, batch.last_row)) {
      logger_.Error(kComponent, "stream {}: cannot remove rows {}..{}: {}", batch.stream_id,
                    batch.first_row, batch.last_row, removed.message());
    }
    base::MutexLock lock(&mutex_);
    UpdateStatsLocked(batch.stream_id,
                      [&](UploadStats& s) { s.records_rejected += batch.damaged_records; });
    return false;
  }
  batch.parts.clear();
  batch.unsettled = 0;
  for (std::size_t i = 0; i < built.parts.size(); ++i) {
    Part part;
    part.request_id = PartRequestId(batch.request_id, i);
    part.built = std::move(built.parts[i]);
    if (part.built.oversized) {
      part.state = Part::State::kRefused;
      part.status = 413;
      part.response = fmt::format(
          "a record of {} bytes as JSON is larger than Logs Ingestion takes in one call ({} "
          "bytes); not sent",
          part.built.json_bytes - 2, options_.max_logs_call_bytes);
      logger_.Error(kComponent, "stream {}: {}; kept as a dead letter", batch.stream_id,
                    part.response);
    } else {
      ++batch.unsettled;
    }
    batch.parts.push_back(std::move(part));
  }
  return true;
}

void Uploader::Impl::Send(Job& job) {
  Batch& batch = *job.batch;
  Part& part = batch.parts[job.part];
  Route route;
  {
    base::MutexLock lock(&mutex_);
    if (batch.rebuild) {
      // Its route changed what the bodies hold since the part was handed out (SetRoutes could
      // not requeue a batch with a part in flight): built again, never sent as it is to the new
      // route.
      --requests_in_flight_;
      --streams_[job.stream_id].in_flight;
      part.state = Part::State::kReady;
      if (job.probe) streams_[job.stream_id].probing = false;
      RequeueLocked(job.batch);
      WakeLocked();
      return;
    }
    // Not rebuilt: whatever changed (endpoint, token source) leaves the bodies as they are.
    const Route* current = RouteLocked(job.stream_id);
    if (current != nullptr) batch.route = *current;
    route = batch.route;
  }
  std::string token;
  std::string detail;
  if (!options_.fixed_token.empty()) {
    token = options_.fixed_token;
  } else if (std::error_code error = tokens_.Get(route.token_endpoint_uri, &token, &detail)) {
    base::MutexLock lock(&mutex_);
    --requests_in_flight_;
    --streams_[job.stream_id].in_flight;
    // Only its own probe: a request that was not one leaves another's probe in place.
    if (job.probe) streams_[job.stream_id].probing = false;
    // The token endpoint could not be reached at all (not a refusal by status): once.
    const bool transport = error.category() != uploader::ErrorCategory();
    if (transport)
      ReportOnceLocked(Origin(route.token_endpoint_uri), "no ingestion token: " + detail);
    RetryLocked(job.batch, job.part, "no ingestion token: " + detail, {}, transport);
    // The route may have changed during the fetch, as OnResponse handles after an answer.
    if (batch.rebuild) RequeueLocked(job.batch);
    WakeLocked();
    return;
  }
  base::HttpRequest request =
      route.protocol == "gig"
          ? BuildLogsRequest(LogsUrl(route.endpoint, route.endpoint_uri_template,
                                     route.configuration_id, route.data_type),
                             token, part.request_id, options_.user_agent, part.built.body,
                             options_.request_timeout)
          : BuildOdsRequest(route.endpoint,
                            {.agent_id = options_.agent_id,
                             .resource_id = options_.resource_id,
                             .region = options_.region,
                             .user_agent = options_.user_agent},
                            token, part.request_id, part.built.body, options_.request_timeout);
  BatchPtr batch_ptr = job.batch;
  const std::size_t index = job.part;
  const bool probe = job.probe;
  base::Histogram& latency = route.protocol == "gig" ? gig_latency_ : ods_latency_;
  const Clock::time_point sent = Clock::now();
  http_.Start(std::move(request),
              [this, batch_ptr, index, probe, token = std::move(token), &latency, sent](
                  std::error_code transport, base::HttpResponse response) {
                if (!transport) latency.Observe(Clock::now() - sent);
                OnResponse(batch_ptr, index, probe, token, transport, std::move(response));
              });
}

void Uploader::Impl::Finish(Job& job) {
  Batch& batch = *job.batch;
  std::uint64_t refused_records = 0;
  const Part* first_refused = nullptr;
  for (const Part& part : batch.parts) {
    if (part.state != Part::State::kRefused) continue;
    refused_records += part.built.records;
    if (first_refused == nullptr) first_refused = &part;
  }
  std::error_code error;
  if (first_refused == nullptr) {
    error = source_.Remove(batch.stream_id, batch.first_row, batch.last_row);
  } else {
    // The refused records, read again (bodies hold JSON, a dead letter keeps entries).
    std::vector<localstore::StoredRow> rows;
    localstore::ReadLimits all{.max_rows = std::numeric_limits<std::size_t>::max(),
                               .max_records = std::numeric_limits<std::size_t>::max(),
                               .max_bytes = std::numeric_limits<std::size_t>::max(),
                               .last_row_id = batch.last_row};
    error = source_.ReadOldest(batch.stream_id, batch.first_row - 1, all, &rows);
    if (!error) {
      localstore::DeadLetter letter;
      letter.received_unix_ns = batch.received_unix_ns;
      letter.status = first_refused->status;
      letter.response = first_refused->response;
      letter.request_id = first_refused->request_id;
      letter.endpoint = UploadUrl(batch.route);
      for (const Part& part : batch.parts) {
        if (part.state != Part::State::kRefused) continue;
        letter.entries += EntriesOfRecords(rows, part.built.first_record, part.built.records);
        letter.count += static_cast<std::uint32_t>(part.built.records);
      }
      error = source_.AddDeadLetter(batch.stream_id, batch.first_row, batch.last_row, letter);
    }
  }
  base::UniqueLock lock(&mutex_);
  if (error) {
    // Sending again would duplicate the batch: only its leaving the store is tried again.
    const std::chrono::milliseconds delay = backoff_.Delay(
        std::min<std::uint32_t>(static_cast<std::uint32_t>(++batch.finish_failures), 10));
    batch.finish_at = Clock::now() + delay;
    logger_.Warning(kComponent,
                    "stream {}: taking rows {}..{} out of the store failed: {}; again "
                    "in {} ms",
                    batch.stream_id, batch.first_row, batch.last_row, error.message(),
                    delay.count());
    UpdateStatsLocked(batch.stream_id, [&](UploadStats& s) {
      ++s.retries;
      s.last_error = "removing an uploaded batch failed: " + error.message();
    });
    finishes_.push_back(std::move(job));
    WakeLocked();
    return;
  }
  Stream& stream = streams_[batch.stream_id];
  stream.batches.erase(batch.first_row);
  stream.rows_taken -= std::min(stream.rows_taken, batch.rows);
  stream.records_taken -= std::min(stream.records_taken, batch.records + batch.damaged_records);
  stream.bytes_taken -= std::min(stream.bytes_taken, batch.raw_bytes);
  body_bytes_ -= std::min(body_bytes_, batch.body_bytes);
  --batches_alive_;
  UpdateStatsLocked(batch.stream_id, [&](UploadStats& s) {
    if (first_refused == nullptr) ++s.batches_sent;
    if (first_refused != nullptr) ++s.dead_letters;
    s.records_rejected += refused_records + batch.damaged_records;
  });
  WakeLocked();
  lock.unlock();
  LookAgain(batch.stream_id);
}

void Uploader::Impl::LookAgain(const std::string& stream_id) {
  // Rows leave the store (Remove) before the rows_taken they were counted in goes down (here,
  // under the lock). A read that took its count of rows_taken before that and asked the store
  // for the backlog after it saw too few rows left, and made nothing due: without a look now,
  // the rest of the stream would wait for its next commit.
  std::uint64_t rows_taken = 0;
  {
    base::MutexLock lock(&mutex_);
    const Stream& stream = streams_[stream_id];
    // Something will read it anyway, or a read in progress will look after this removal.
    if (stream.due || stream.reading) return;
    rows_taken = stream.rows_taken;
  }
  if (source_.GetBacklog(stream_id).rows <= rows_taken) return;
  base::MutexLock lock(&mutex_);
  Stream& stream = streams_[stream_id];
  if (!stream.due) stream.due = Clock::now();
  WakeLocked();
}

}  // namespace uploader
