#include "status.h"

#include <fmt/format.h>

#include <set>

#include "codec/json_text.h"

namespace ama {
namespace {

void AppendUpload(std::string* json, const uploader::UploadStats& stats) {
  *json += fmt::format(
      "\"batchesSent\":{},\"recordsUploaded\":{},\"bytesUploaded\":{},\"requests\":{},"
      "\"recordsRejected\":{},\"deadLettersMade\":{},\"retries\":{},"
      "\"requestsInFlight\":{},\"bodyBytesInFlight\":{},\"lastStatus\":{},\"lastError\":",
      stats.batches_sent, stats.records_uploaded, stats.bytes_uploaded, stats.requests,
      stats.records_rejected, stats.dead_letters, stats.retries, stats.requests_in_flight,
      stats.body_bytes_in_flight, stats.last_status);
  codec::AppendJsonString(json, stats.last_error);
}

}  // namespace

std::string HostStatusJson(const std::filesystem::path& state_dir,
                           std::chrono::steady_clock::duration uptime,
                           const std::vector<localstore::StreamStats>& streams,
                           const localstore::QueueStats& queue, const localstore::QuotaStats& quota,
                           const std::map<std::string, uploader::UploadStats>& uploads,
                           const uploader::UploadStats& upload_total) {
  std::string json = "{\"stateDir\":";
  codec::AppendJsonString(&json, state_dir.string());
  json += fmt::format(
      ",\"uptimeSeconds\":{},\"store\":{{\"queuedBatches\":{},\"queuedBytes\":{},"
      "\"heldBatches\":{},\"heldBytes\":{},\"diskFull\":{},\"diskFullEpisodes\":{},"
      "\"quotaBytes\":{},\"storedBytes\":{},\"quotaDroppedRecords\":{},"
      "\"quotaDroppedBytes\":{}}},\"streams\":[",
      std::chrono::duration_cast<std::chrono::seconds>(uptime).count(), queue.queued_batches,
      queue.queued_bytes, queue.held_batches, queue.held_bytes, queue.disk_full,
      queue.disk_full_episodes, quota.quota_bytes, quota.stored_bytes, quota.dropped_records,
      quota.dropped_bytes);
  // Streams the store has and streams the uploader has seen (the latter may have no table yet).
  std::map<std::string, const localstore::StreamStats*> stored;
  for (const localstore::StreamStats& stream : streams) stored[stream.stream_id] = &stream;
  std::set<std::string> ids;
  for (const auto& [id, stream] : stored) ids.insert(id);
  for (const auto& [id, upload] : uploads) ids.insert(id);
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
          "\"backlogBytes\":{},\"quotaDroppedRecords\":{},\"deadLetters\":{},"
          "\"deadLetterRecords\":{},\"deadLetterBytes\":{}",
          stats.committed_records, stats.removed_records, stats.backlog.records,
          stats.backlog.bytes, stats.quota_dropped_records, stats.dead_letters.rows,
          stats.dead_letters.records, stats.dead_letters.bytes);
    }
    auto upload = uploads.find(id);
    json += ',';
    AppendUpload(&json, upload != uploads.end() ? upload->second : uploader::UploadStats{});
    json += '}';
  }
  json += "],\"upload\":{";
  AppendUpload(&json, upload_total);
  json += "}}";
  return json;
}

}  // namespace ama
