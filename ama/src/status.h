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

// The "host" member of the AmahostStatus document (pipes adds the socket figures around it):
// the state folder, uptime, the store's commit queue (and what a full disk holds back), and per
// stream its table, backlog and upload figures.
// `streams` and `uploads` are snapshots taken by the caller. Pure.
std::string HostStatusJson(const std::filesystem::path& state_dir,
                           std::chrono::steady_clock::duration uptime,
                           const std::vector<localstore::StreamStats>& streams,
                           const localstore::QueueStats& queue, const localstore::QuotaStats& quota,
                           const std::map<std::string, uploader::UploadStats>& uploads,
                           const uploader::UploadStats& upload_total);

}  // namespace ama

#endif  // AMAHOST_AMA_STATUS_H_
