#include "metrics.h"

#include <algorithm>
#include <functional>
#include <set>

#include "base/version.h"
#include "codec/prometheus_text.h"

namespace ama {
namespace {

using codec::PrometheusText;
using Type = PrometheusText::Type;

// One output stream as every source sees it; a source that does not know it yet gives zeros.
struct Stream {
  std::string id;
  std::string data_type;
  std::uint64_t received = 0;
  const localstore::StreamStats* stored = nullptr;
  const uploader::UploadStats* upload = nullptr;
};

std::vector<Stream> Streams(const MetricsSnapshot& s) {
  std::set<std::string> ids;
  for (const auto& [id, count] : s.received_by_stream) ids.insert(id);
  for (const localstore::StreamStats& stats : s.streams) ids.insert(stats.stream_id);
  for (const auto& [id, stats] : s.uploads) ids.insert(id);
  // Never uploaded, so its backlog only grows: amahost_diagnostics_* count it instead, and the
  // upload figures (and alerts on them) stay about streams that upload.
  ids.erase(std::string(pipes::kDiagnosticsStreamId));
  std::vector<Stream> streams;
  for (const std::string& id : ids) {
    Stream& stream = streams.emplace_back();
    stream.id = id;
    // "<dcr>:<data source>:<DATATYPE>".
    const std::size_t colon = id.rfind(':');
    stream.data_type = colon == std::string::npos ? id : id.substr(colon + 1);
    auto received = s.received_by_stream.find(id);
    if (received != s.received_by_stream.end()) stream.received = received->second;
    for (const localstore::StreamStats& stats : s.streams) {
      if (stats.stream_id == id) stream.stored = &stats;
    }
    auto upload = s.uploads.find(id);
    if (upload != s.uploads.end()) stream.upload = &upload->second;
  }
  return streams;
}

class Writer {
 public:
  explicit Writer(const std::vector<Stream>& streams) : streams_(streams) {}

  void Counter(std::string_view name, std::string_view help, std::uint64_t value) {
    text_.Family(name, Type::kCounter, help);
    text_.Sample({}, value);
  }
  void Gauge(std::string_view name, std::string_view help, double value) {
    text_.Family(name, Type::kGauge, help);
    text_.Sample({}, value);
  }
  // One sample per stream, labelled stream and data_type.
  template <typename Value>
  void PerStream(std::string_view name, Type type, std::string_view help, Value&& value) {
    text_.Family(name, type, help);
    for (const Stream& stream : streams_) {
      text_.Sample({{"stream", stream.id}, {"data_type", stream.data_type}}, value(stream));
    }
  }
  PrometheusText& text() { return text_; }

 private:
  const std::vector<Stream>& streams_;
  PrometheusText text_;
};

std::uint64_t Upload(const Stream& stream, std::uint64_t uploader::UploadStats::*field) {
  return stream.upload != nullptr ? stream.upload->*field : 0;
}

}  // namespace

MetricsSnapshot CollectMetrics(localstore::Store& store, const uploader::Uploader& uploader,
                               const ConfigSource& config) {
  MetricsSnapshot snapshot;
  snapshot.streams = store.Stats();
  snapshot.queue = store.Queue();
  snapshot.quota = store.Quota();
  snapshot.retention = store.Retention();
  snapshot.commit_latency = store.CommitLatency();
  snapshot.uploads = uploader.StreamStats();
  snapshot.upload_total = uploader.TotalStats();
  snapshot.upload_latency = uploader.RequestLatency();
  snapshot.config = config.progress();
  snapshot.now = std::chrono::system_clock::now();
  return snapshot;
}

std::string MetricsText(const MetricsSnapshot& s) {
  const std::vector<Stream> streams = Streams(s);
  Writer w(streams);
  PrometheusText& text = w.text();
  const pipes::ServerCounters& c = s.sockets;

  text.Family("amahost_build_info", Type::kGauge, "Always 1; the version in its label.");
  text.Sample({{"version", base::kVersion}}, std::uint64_t{1});
  w.Gauge("amahost_ready", "1 when /readyz answers 200, else 0.", s.ready ? 1.0 : 0.0);
  w.Gauge("amahost_uptime_seconds", "Seconds since the host started.",
          std::chrono::duration<double>(s.uptime).count());

  // The extension sockets.
  w.Gauge("amahost_connections_open", "Extension socket connections open now.",
          static_cast<double>(c.connections_open));
  w.Counter("amahost_connections_accepted_total",
            "Extension socket connections accepted (refused ones included).",
            c.connections_accepted);
  w.Counter("amahost_connections_refused_total",
            "Connections refused: over --max-connections or not on the uid/gid allow-lists.",
            c.connections_refused);
  w.Counter("amahost_connections_idle_closed_total",
            "Connections closed after --idle-timeout without traffic.", c.connections_idle_closed);
  w.Counter("amahost_config_requests_total", "AgentTaggedData (and Amahost*) requests answered.",
            c.config_requests);
  w.Counter("amahost_messages_received_total", "Forward messages decoded.", c.messages);
  w.Counter("amahost_records_received_total",
            "Records in the Forward messages decoded, whatever their tag.", c.records_received);
  w.Counter("amahost_records_committed_total",
            "Records durably committed to the tables for the sockets.", c.records_committed);
  w.Counter("amahost_acks_sent_total", "Forward acks written.", c.acks_sent);
  text.Family("amahost_records_dropped_total", Type::kCounter,
              "Records not kept, by reason: unknown_stream (no output stream for their tag), "
              "store_error (the store failed them; not acknowledged), quota (stored, then "
              "dropped as the oldest over the disk quota), expired (older than --max-age by "
              "event time).");
  text.Sample({{"reason", "unknown_stream"}}, c.unknown_stream);
  text.Sample({{"reason", "store_error"}}, c.store_errors);
  text.Sample({{"reason", "quota"}}, s.quota.dropped_records);
  text.Sample({{"reason", "expired"}}, s.retention.expired_records);
  w.Counter("amahost_messages_malformed_total",
            "Messages that broke the format or a limit; each closed its connection.", c.malformed);
  w.Counter("amahost_connections_overload_closed_total",
            "Connections closed because a partial message would pass the buffer budget.",
            c.overload);
  w.Counter("amahost_handshakes_failed_total",
            "TCP connections refused by the Forward shared-key handshake.", c.handshake_failed);
  w.Counter("amahost_diagnostics_records_total",
            "Records extensions reported on the diagnostics socket (kept, never uploaded).",
            c.diagnostics_records);
  w.Gauge("amahost_inflight_bytes", "Bytes of records received and awaiting commit.",
          static_cast<double>(c.inflight_bytes));
  w.Gauge("amahost_buffer_bytes", "Bytes of socket read buffers past their first 64 KiB.",
          static_cast<double>(c.buffer_bytes));

  // Per output stream.
  w.PerStream("amahost_stream_records_received_total", Type::kCounter,
              "Records taken for the stream at the sockets and handed to the store.",
              [](const Stream& stream) { return stream.received; });
  w.PerStream("amahost_stream_records_committed_total", Type::kCounter,
              "Records of the stream committed to its table since the host started.",
              [](const Stream& stream) -> std::uint64_t {
                return stream.stored ? stream.stored->committed_records : 0;
              });
  w.PerStream("amahost_stream_records_uploaded_total", Type::kCounter,
              "Records of the stream accepted by its endpoint (2xx).", [](const Stream& stream) {
                return Upload(stream, &uploader::UploadStats::records_uploaded);
              });
  w.PerStream("amahost_stream_records_rejected_total", Type::kCounter,
              "Records of the stream refused for good: kept as dead letters, or damaged rows.",
              [](const Stream& stream) {
                return Upload(stream, &uploader::UploadStats::records_rejected);
              });
  text.Family("amahost_stream_records_dropped_total", Type::kCounter,
              "Records of the stream dropped after they were stored, by reason: quota, expired "
              "(older than --max-age by event time, also when too old on arrival).");
  for (const Stream& stream : streams) {
    text.Sample({{"stream", stream.id}, {"data_type", stream.data_type}, {"reason", "quota"}},
                stream.stored ? stream.stored->quota_dropped_records : 0);
    text.Sample({{"stream", stream.id}, {"data_type", stream.data_type}, {"reason", "expired"}},
                stream.stored ? stream.stored->expired_records : 0);
  }
  w.PerStream("amahost_stream_backlog_records", Type::kGauge,
              "Records of the stream in its table, waiting to be uploaded.",
              [](const Stream& stream) -> std::uint64_t {
                return stream.stored ? stream.stored->backlog.records : 0;
              });
  w.PerStream("amahost_stream_backlog_bytes", Type::kGauge,
              "Bytes of those records (as received, before compression).",
              [](const Stream& stream) -> std::uint64_t {
                return stream.stored ? stream.stored->backlog.bytes : 0;
              });
  const auto now = s.now;
  w.PerStream("amahost_stream_oldest_record_age_seconds", Type::kGauge,
              "How long ago the stream's next row to upload was received; 0 with no backlog.",
              [now](const Stream& stream) {
                if (!stream.stored || stream.stored->oldest_received_unix_ns == 0) return 0.0;
                const auto received = std::chrono::system_clock::time_point(
                    std::chrono::duration_cast<std::chrono::system_clock::duration>(
                        std::chrono::nanoseconds(stream.stored->oldest_received_unix_ns)));
                return std::max(0.0, std::chrono::duration<double>(now - received).count());
              });
  w.PerStream("amahost_stream_dead_letters", Type::kGauge,
              "Dead letters the stream's table holds (amactl deadletter list).",
              [](const Stream& stream) -> std::uint64_t {
                return stream.stored ? stream.stored->dead_letters.rows : 0;
              });
  w.PerStream("amahost_stream_dead_letter_records", Type::kGauge, "Records in those dead letters.",
              [](const Stream& stream) -> std::uint64_t {
                return stream.stored ? stream.stored->dead_letters.records : 0;
              });
  w.PerStream(
      "amahost_stream_upload_requests_total", Type::kCounter,
      "Upload requests of the stream answered or failed, retries included.",
      [](const Stream& stream) { return Upload(stream, &uploader::UploadStats::requests); });
  w.PerStream("amahost_stream_upload_retries_total", Type::kCounter,
              "Failed upload attempts of the stream followed by a retry.",
              [](const Stream& stream) { return Upload(stream, &uploader::UploadStats::retries); });
  w.PerStream(
      "amahost_stream_uploaded_bytes_total", Type::kCounter,
      "Compressed body bytes of the stream accepted by its endpoint.",
      [](const Stream& stream) { return Upload(stream, &uploader::UploadStats::bytes_uploaded); });

  // The store.
  w.Gauge("amahost_store_queued_batches",
          "Batches appended and not yet committed (held by a full disk included).",
          static_cast<double>(s.queue.queued_batches));
  w.Gauge("amahost_store_queued_bytes", "Bytes of those batches.",
          static_cast<double>(s.queue.queued_bytes));
  w.Counter("amahost_store_commits_total",
            "Transactions that committed rows, one per table per group commit: with WAL and "
            "synchronous=FULL, one fsync each.",
            s.queue.commits);
  w.Gauge("amahost_store_tables", "Tables (one per stream with data).",
          static_cast<double>(s.queue.tables));
  w.Gauge("amahost_store_open_tables",
          "Tables with their connection open; the others are closed while idle "
          "(--table-idle-timeout).",
          static_cast<double>(s.queue.open_tables));
  w.Gauge("amahost_store_held_batches", "Batches held by a full disk, not acknowledged.",
          static_cast<double>(s.queue.held_batches));
  w.Gauge("amahost_store_held_bytes", "Bytes of those batches.",
          static_cast<double>(s.queue.held_bytes));
  w.Gauge("amahost_store_disk_full", "1 while some stream's batches are held by a full disk.",
          s.queue.disk_full ? 1.0 : 0.0);
  w.Counter("amahost_store_disk_full_episodes_total",
            "Times a stream's batches started being held by a full disk.",
            s.queue.disk_full_episodes);
  w.Gauge("amahost_store_quota_bytes", "The disk quota in bytes of records; 0 = none.",
          static_cast<double>(s.quota.quota_bytes));
  w.Gauge("amahost_store_stored_bytes",
          "Bytes of records the tables hold (dead letters included): what the quota bounds.",
          static_cast<double>(s.quota.stored_bytes));
  text.Family("amahost_store_commit_duration_seconds", Type::kHistogram,
              "From a batch's Append to its durable commit: queueing, compression, transaction, "
              "fsync, and any time held by a full disk.");
  text.Histogram({}, s.commit_latency);

  // Uploads.
  text.Family("amahost_upload_request_duration_seconds", Type::kHistogram,
              "Upload requests from their start to their answer, by protocol (ods, gig = Logs "
              "Ingestion); transport failures not counted.");
  for (const auto& [protocol, latency] : s.upload_latency) {
    text.Histogram({{"protocol", protocol}}, latency);
  }
  w.Gauge("amahost_upload_requests_in_flight", "Upload requests awaiting an answer.",
          static_cast<double>(s.upload_total.requests_in_flight));
  w.Gauge("amahost_upload_body_bytes_in_flight",
          "Bytes of upload bodies built, in flight or waiting for a retry.",
          static_cast<double>(s.upload_total.body_bytes_in_flight));

  // The control plane.
  text.Family("amahost_control_plane_fetches_total", Type::kCounter,
              "Calls to the control plane (--handler) by result: updated (200), not_modified "
              "(304), failed (no answer, or an error status).");
  text.Sample({{"result", "updated"}}, s.config.fetches_updated);
  text.Sample({{"result", "not_modified"}}, s.config.fetches_not_modified);
  text.Sample({{"result", "failed"}}, s.config.fetches_failed);
  return text.Take();
}

}  // namespace ama
