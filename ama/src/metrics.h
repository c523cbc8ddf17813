#ifndef AMAHOST_AMA_METRICS_H_
#define AMAHOST_AMA_METRICS_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/histogram.h"
#include "config_source.h"
#include "localstore/store.h"
#include "pipes/server.h"
#include "uploader/uploader.h"

namespace ama {

// Everything /metrics shows, gathered by the host: the sockets' figures on the io thread, the
// rest from the thread-safe Stats calls of the store, the uploader and the config source. Plain
// data.
struct MetricsSnapshot {
  pipes::ServerCounters sockets;
  std::map<std::string, std::uint64_t> received_by_stream;
  std::vector<localstore::StreamStats> streams;
  localstore::QueueStats queue;
  localstore::QuotaStats quota;
  localstore::RetentionStats retention;
  base::HistogramSnapshot commit_latency;
  std::map<std::string, uploader::UploadStats> uploads;
  uploader::UploadStats upload_total;
  std::map<std::string, base::HistogramSnapshot> upload_latency;  // by protocol
  ConfigSource::Progress config;
  bool ready = false;
  std::chrono::steady_clock::duration uptime{};
  std::chrono::system_clock::time_point now;  // for the age of the oldest records
};

// The figures of the store, the uploader and the config source (thread-safe calls), with `now`;
// the caller adds the sockets', readiness and uptime.
MetricsSnapshot CollectMetrics(localstore::Store& store, const uploader::Uploader& uploader,
                               const ConfigSource& config);

// The Prometheus text exposition (format 0.0.4) of `snapshot`: every metric README's table
// lists, prefixed amahost_. Per-stream metrics carry `stream` (the stream id) and `data_type`
// (its last part, the DATATYPE). Pure.
std::string MetricsText(const MetricsSnapshot& snapshot);

}  // namespace ama

#endif  // AMAHOST_AMA_METRICS_H_
