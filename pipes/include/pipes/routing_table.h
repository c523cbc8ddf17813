#ifndef AMAHOST_PIPES_ROUTING_TABLE_H_
#define AMAHOST_PIPES_ROUTING_TABLE_H_

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "pipes/socket_address.h"

namespace pipes {

// What the sockets need to know of the active configuration, built by ama from the DCRs so that
// pipes stays ignorant of DCR JSON. Immutable once built; shared as
// shared_ptr<const RoutingTable>.

// The stream, and so the table, of every record that arrives on the diagnostics socket
// (socket_address.h), whatever its tag: kept on this machine, never uploaded.
inline constexpr std::string_view kDiagnosticsStreamId =
    "amahost:diagnostics:MaExtensionDiagnostics";

struct ExtensionRoutes {
  // The TaggedData JSON text that answers this extension's AgentTaggedData request.
  std::string tagged_data;
  // Record tag → stream id: each of the extension's stream ids maps to itself, and each DATATYPE
  // that names exactly one of its streams maps to that stream.
  std::map<std::string, std::string, std::less<>> tags;
};

struct RoutingTable {
  // False while the host has no configuration at all yet (a control plane that has not
  // answered, nothing cached): the config socket then tells a client to ask again later rather
  // than that no DCR names its extension.
  bool configuration_loaded = true;
  // Extensions with a data socket, by name.
  std::map<std::string, ExtensionRoutes, std::less<>> extensions;
  // Every stream id of every extension: the tags accepted on sockets that belong to no single
  // extension (the config socket).
  std::set<std::string, std::less<>> stream_ids;

  // The stream a record tagged `tag` goes to when sent on the socket of `extension` (empty:
  // a socket of no single extension; kDiagnosticsExtension: the diagnostics socket, where any
  // tag goes to kDiagnosticsStreamId).
  std::optional<std::string> Resolve(std::string_view extension, std::string_view tag) const {
    if (extension == kDiagnosticsExtension) return std::string(kDiagnosticsStreamId);
    if (extension.empty()) {
      auto it = stream_ids.find(tag);
      if (it == stream_ids.end()) return std::nullopt;
      return *it;
    }
    auto ext = extensions.find(extension);
    if (ext == extensions.end()) return std::nullopt;
    auto it = ext->second.tags.find(tag);
    if (it == ext->second.tags.end()) return std::nullopt;
    return it->second;
  }
};

}  // namespace pipes

#endif  // AMAHOST_PIPES_ROUTING_TABLE_H_
