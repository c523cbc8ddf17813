#ifndef AMAHOST_MOCKCLOUD_CONTROL_PLANE_H_
#define AMAHOST_MOCKCLOUD_CONTROL_PLANE_H_

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/logger.h"
#include "mockcloud/http_message.h"

namespace mockcloud {

// The AMCS agentConfigurations endpoint (docs/protocol.md §1) served from a folder of DCR files.

// One configuration as served: its id, the content JSON and eTag = hex SHA-256 of that JSON, and
// the name of the file in the DCR folder it came from.
struct ServedConfiguration {
  std::string configuration_id;
  std::string etag;
  std::string content_json;
  std::string source;
};

// The eTags of every If-None-Match header: comma-separated lists, whitespace trimmed, a W/
// prefix and surrounding quotes removed, "*" and empty elements ignored. Pure.
std::vector<std::string> ParseIfNoneMatch(const std::vector<std::string>& header_values);

// What to send a client that holds `client_etags`: every current configuration whose eTag the
// client did not send (op "added"), and the ids of configurations that the client holds (an eTag
// of it is in `known_etags`, eTag → configurationId) but that no longer exist (op "removed").
// Pure.
struct ConfigurationDelta {
  std::vector<const ServedConfiguration*> added;  // point into `current`
  std::vector<std::string> removed;
};
ConfigurationDelta ComputeDelta(const std::vector<ServedConfiguration>& current,
                                const std::vector<std::string>& client_etags,
                                const std::unordered_map<std::string, std::string>& known_etags);

// {"configurations":[{"configurationId","eTag","op":"added","content":{…}},
//                    {"configurationId","op":"removed"}]}. Pure.
std::string SerializeDelta(const ConfigurationDelta& delta);

// Answers agentConfigurations requests. The DCR folder is read again on every request (so files
// may change while mockcloud runs) with dcr::LoadDirectory; ARM-shaped DCRs are translated for
// the VM named in the request path, and every channel's endpoint and tokenEndpointUri is pointed
// at mockcloud itself (dcr::RewriteChannelEndpoints). Without a folder every answer is
// 200 {"configurations":[]}.
//
// Remembers eTag → configurationId for everything it served (at most max_known_etags, then it
// starts over), to answer "removed". Thread-compatible.
class ControlPlane {
 public:
  ControlPlane(std::optional<std::filesystem::path> dcr_dir, base::Logger& logger,
               std::size_t max_known_etags = 100000);

  // `agent_resource_id` = "/subscriptions/…/providers/Microsoft.Compute/virtualMachines/<vm>";
  // `base_url` = "https://127.0.0.1:<port>". 200 with the delta, or 304 when the client sent
  // If-None-Match and nothing changed; 500 if the folder cannot be read.
  Response Answer(const std::string& agent_resource_id,
                  const std::vector<std::string>& if_none_match, const std::string& base_url);

  // The configurations as they would be served now (for tests and the admin API); false with
  // `error` when the folder cannot be read. Does not change what Answer() remembers.
  bool Load(const std::string& agent_resource_id, const std::string& base_url,
            std::vector<ServedConfiguration>* out, std::string* error);

 private:
  std::optional<std::filesystem::path> dcr_dir_;
  base::Logger& logger_;
  std::size_t max_known_etags_;
  std::unordered_map<std::string, std::string> known_etags_;
  std::string last_diagnostics_;  // logged again only when they change
};

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_CONTROL_PLANE_H_
