#ifndef AMAHOST_AMA_ROUTING_H_
#define AMAHOST_AMA_ROUTING_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/logger.h"
#include "dcr/active_config.h"
#include "pipes/routing_table.h"
#include "pipes/socket_address.h"
#include "uploader/uploader.h"

namespace ama {

// Translates the active DCRs into each module's own terms (leveldb's Options pattern): the
// sockets' routing table and the uploader's routes. The leaf modules never see DCR JSON.

// TaggedData `version` per extension: it goes up each time the extension's TaggedData changes,
// and stays put across rebuilds that leave it unchanged. Thread-compatible.
class TaggedDataVersions {
 public:
  long VersionFor(const std::string& extension, const std::string& fingerprint);

 private:
  std::map<std::string, std::pair<std::string, long>> known_;
};

// The sockets' routes for `config`. `configuration_loaded`: false while the host has no
// configuration yet (RoutingTable::configuration_loaded).
std::shared_ptr<const pipes::RoutingTable> BuildRoutingTable(const dcr::ActiveConfig& config,
                                                             const pipes::SocketNaming& naming,
                                                             TaggedDataVersions* versions,
                                                             bool configuration_loaded = true);

// One route per stream with an ODS channel; streams without one are logged and left out (their
// records stay in the store).
std::vector<uploader::Route> BuildUploadRoutes(const dcr::ActiveConfig& config,
                                               base::Logger& logger);

}  // namespace ama

#endif  // AMAHOST_AMA_ROUTING_H_
