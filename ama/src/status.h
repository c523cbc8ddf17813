#ifndef AMAHOST_AMA_STATUS_H_
#define AMAHOST_AMA_STATUS_H_

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "localstore/store.h"
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
};

// The "host" member of the AmahostStatus document (pipes adds the socket figures around it):
// the state folder, uptime, the store's commit queue (and what a full disk holds back), its
// quota and retention, and per stream its table, backlog, what was dropped (quota, expired) and
// upload figures. Pure.
std::string HostStatusJson(const HostStatusInput& input);

}  // namespace ama

#endif  // AMAHOST_AMA_STATUS_H_
