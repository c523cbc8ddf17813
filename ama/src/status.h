#ifndef AMAHOST_AMA_STATUS_H_
#define AMAHOST_AMA_STATUS_H_

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "config_source.h"
#include "localstore/store.h"
#include "pipes/server.h"
#include "uploader/uploader.h"

namespace ama {

// What the "host" member of the AmahostStatus document is made of: snapshots the caller takes.
struct HostStatusInput {
  std::filesystem::path state_dir;
  std::chrono::steady_clock::duration uptime{};
  std::vector<localstore::StreamStats> streams;
  localstore::QueueStats queue;
  localstore::QuotaStats quota;
  localstore::RetentionStats retention;
  std::map<std::string, uploader::UploadStats> uploads;
  uploader::UploadStats upload_total;
  ConfigSourceStatus config_source;
  // False while the host has no configuration to serve (a control plane that has not answered
  // yet, nothing cached): only the config socket is open. `waiting_for` then says what for
  // (ConfigSource::Progress).
  bool configuration_loaded = true;
  std::string waiting_for;
  // The stream ids the active DCRs route. With a configuration loaded, a table of any other
  // stream (but the diagnostics socket's) is "parked": its backlog waits for a route to come
  // back, and the table is closed once empty.
  std::set<std::string> routed_streams;
  pipes::ServerCounters sockets;  // the unknown-stream figures, for the health
  std::int64_t now_unix_ns = 0;   // when the snapshots were taken (the wall clock)
};

// The "host" member of the AmahostStatus document (pipes adds the socket figures around it):
// its health (health.h: the worst problem first, or healthy), the state folder, uptime, the
// store's commit queue (and what a full disk holds back, since when), its quota and retention,
// the configuration source (last success, failing since), and per stream its table, backlog,
// what was dropped (quota, expired) and upload figures (failing since, last success). Pure.
std::string HostStatusJson(const HostStatusInput& input);

}  // namespace ama

#endif  // AMAHOST_AMA_STATUS_H_
