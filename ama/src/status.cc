#include "status.h"

#include <fmt/format.h>

#include <set>

#include "base/duration.h"
#include "codec/fluent_entries.h"
#include "codec/json_text.h"
#include "health.h"

namespace ama {
namespace {

// A time as RFC 3339 UTC (a JSON string), or null for 0 (never).
void AppendTime(std::string* json, std::int64_t unix_ns) {
  if (unix_ns == 0) {
    *json += "null";
    return;
  }
  constexpr std::int64_t kNanos = 1'000'000'000;
  codec::AppendJsonString(
      json,
      codec::FormatEventTime({unix_ns / kNanos, static_cast<std::uint32_t>(unix_ns % kNanos)}));
}

void AppendUpload(std::string* json, const uploader::UploadStats& stats) {
  *json += fmt::format(
      "\"batchesSent\":{},\"recordsUploaded\":{},\"bytesUploaded\":{},\"requests\":{},"
      "\"recordsRejected\":{},\"deadLettersMade\":{},\"retries\":{},"
      "\"requestsInFlight\":{},\"bodyBytesInFlight\":{},\"lastStatus\":{},\"lastError\":",
      stats.batches_sent, stats.records_uploaded, stats.bytes_uploaded, stats.requests,
      stats.records_rejected, stats.dead_letters, stats.retries, stats.requests_in_flight,
      stats.body_bytes_in_flight, stats.last_status);
  codec::AppendJsonString(json, stats.last_error);
  *json += ",\"failingSince\":";
  AppendTime(json, stats.failing_since_unix_ns);
  *json += ",\"lastSuccess\":";
  AppendTime(json, stats.last_success_unix_ns);
}

void AppendConfigSource(std::string* json, const HostStatusInput& input) {
  const ConfigSourceStatus& source = input.config_source;
  *json += fmt::format("\"configSource\":{{\"configurationLoaded\":{},\"waitingFor\":",
                       input.configuration_loaded);
  codec::AppendJsonString(json, input.configuration_loaded ? "" : input.waiting_for);
  *json += ",\"kind\":";
  codec::AppendJsonString(json, source.kind);
  *json += ",\"location\":";
  codec::AppendJsonString(json, source.location);
  *json += ",\"lastAttempt\":";
  AppendTime(json, source.last_attempt_unix_ns);
  *json += ",\"lastSuccess\":";
  AppendTime(json, source.last_success_unix_ns);
  *json += ",\"failingSince\":";
  AppendTime(json, source.failing_since_unix_ns);
  *json += fmt::format(",\"failures\":{},\"lastError\":", source.failures);
  codec::AppendJsonString(json, source.last_error);
  *json += '}';
}

void AppendHealth(std::string* json, const std::vector<HealthProblem>& problems) {
  // "waiting" while no configuration is loaded: nothing is wrong yet, but nothing is served.
  const char* state = problems.empty()                                     ? "healthy"
                      : problems.front().kind == "waitingForConfiguration" ? "waiting"
                                                                           : "degraded";
  *json += fmt::format("\"health\":{{\"state\":\"{}\",\"summary\":", state);
  codec::AppendJsonString(json, HealthSummary(problems));
  *json += ",\"problems\":[";
  bool first = true;
  for (const HealthProblem& problem : problems) {
    if (!first) *json += ',';
    first = false;
    *json += "{\"kind\":";
    codec::AppendJsonString(json, problem.kind);
    *json += ",\"message\":";
    codec::AppendJsonString(json, problem.message);
    *json += '}';
  }
  *json += "]}";
}

void AppendRetention(std::string* json, const localstore::RetentionStats& retention) {
  *json += "\"retention\":{\"maxAge\":";
  if (retention.max_age.count() == 0) {
    *json += "null";
  } else {
    codec::AppendJsonString(json, base::FormatDuration(retention.max_age));
  }
  *json += fmt::format(
      ",\"maxAgeSeconds\":{},\"sweeps\":{},\"expiredRecords\":{},\"expiredBytes\":{},"
      "\"expiredDeadLetters\":{},\"expiredDeadLetterRecords\":{},\"lastSweep\":",
      std::chrono::duration_cast<std::chrono::seconds>(retention.max_age).count(), retention.sweeps,
      retention.expired_records, retention.expired_bytes, retention.expired_dead_letters,
      retention.expired_dead_letter_records);
  AppendTime(json, retention.last_sweep_unix_ns);
  *json += ",\"lastExpired\":";
  AppendTime(json, retention.last_expired_unix_ns);
  *json += '}';
}

}  // namespace

std::string HostStatusJson(const HostStatusInput& input) {
  const localstore::QueueStats& queue = input.queue;
  const localstore::QuotaStats& quota = input.quota;
  std::string json = "{";
  AppendHealth(&json, AssessHealth(input));
  json += ",\"stateDir\":";
  codec::AppendJsonString(&json, input.state_dir.string());
  json += fmt::format(
      ",\"uptimeSeconds\":{},\"store\":{{\"queuedBatches\":{},\"queuedBytes\":{},"
      "\"heldBatches\":{},\"heldBytes\":{},\"commits\":{},\"tables\":{},\"openTables\":{},"
      "\"diskFull\":{},"
      "\"diskFullEpisodes\":{},\"quotaBytes\":{},\"storedBytes\":{},\"quotaDroppedRecords\":{},"
      "\"quotaDroppedBytes\":{},\"diskFullSince\":",
      std::chrono::duration_cast<std::chrono::seconds>(input.uptime).count(), queue.queued_batches,
      queue.queued_bytes, queue.held_batches, queue.held_bytes, queue.commits, queue.tables,
      queue.open_tables, queue.disk_full, queue.disk_full_episodes, quota.quota_bytes,
      quota.stored_bytes, quota.dropped_records, quota.dropped_bytes);
  AppendTime(&json, queue.disk_full_since_unix_ns);
  json += ",\"quotaLastDropped\":";
  AppendTime(&json, quota.last_dropped_unix_ns);
  json += ',';
  AppendRetention(&json, input.retention);
  json += "},";
  AppendConfigSource(&json, input);
  json += ",\"streams\":[";
  const std::vector<localstore::StreamStats>& streams = input.streams;
  const std::map<std::string, uploader::UploadStats>& uploads = input.uploads;
  // Streams the store has and streams the uploader has seen (the latter may have no table yet).
  std::map<std::string, const localstore::StreamStats*> stored;
  for (const localstore::StreamStats& stream : streams) stored[stream.stream_id] = &stream;
  std::set<std::string> ids;
  for (const auto& [id, stream] : stored) ids.insert(id);
  for (const auto& [id, upload] : uploads) {
    // A stream no DCR routes any more whose table was closed (it was empty) is history: its
    // upload figures since start are in the totals.
    const bool gone = input.configuration_loaded && input.routed_streams.count(id) == 0;
    if (!gone) ids.insert(id);
  }
  bool first = true;
  for (const std::string& id : ids) {
    if (!first) json += ',';
    first = false;
    json += "{\"streamId\":";
    codec::AppendJsonString(&json, id);
    auto table = stored.find(id);
    if (table != stored.end()) {
      const localstore::StreamStats& stats = *table->second;
      json += ",\"table\":";
      codec::AppendJsonString(&json, stats.file_name);
      json += fmt::format(
          ",\"committedRecords\":{},\"removedRecords\":{},\"backlogRecords\":{},"
          "\"backlogBytes\":{},\"quotaDroppedRecords\":{},\"expiredRecords\":{},"
          "\"expiredBytes\":{},\"deadLetters\":{},\"deadLetterRecords\":{},"
          "\"deadLetterBytes\":{},\"expiredDeadLetters\":{},\"expiredDeadLetterRecords\":{}",
          stats.committed_records, stats.removed_records, stats.backlog.records,
          stats.backlog.bytes, stats.quota_dropped_records, stats.expired_records,
          stats.expired_bytes, stats.dead_letters.rows, stats.dead_letters.records,
          stats.dead_letters.bytes, stats.expired_dead_letters.rows,
          stats.expired_dead_letters.records);
    }
    if (input.configuration_loaded && input.routed_streams.count(id) == 0 &&
        id != pipes::kDiagnosticsStreamId && table != stored.end()) {
      json += ",\"parked\":true";
    }
    auto upload = uploads.find(id);
    json += ',';
    AppendUpload(&json, upload != uploads.end() ? upload->second : uploader::UploadStats{});
    json += '}';
  }
  json += "],\"upload\":{";
  AppendUpload(&json, input.upload_total);
  json += "}}";
  return json;
}

}  // namespace ama
