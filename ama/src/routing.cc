#include "ama/routing.h"

namespace ama {

long TaggedDataVersions::VersionFor(const std::string& extension, const std::string& fingerprint) {
  auto it = known_.find(extension);
  if (it == known_.end()) {
    known_[extension] = {fingerprint, 1};
    return 1;
  }
  if (it->second.first != fingerprint) {
    it->second.first = fingerprint;
    ++it->second.second;
  }
  return it->second.second;
}

std::shared_ptr<const pipes::RoutingTable> BuildRoutingTable(const dcr::ActiveConfig& config,
                                                             const pipes::SocketNaming& naming,
                                                             TaggedDataVersions* versions,
                                                             bool configuration_loaded) {
  auto table = std::make_shared<pipes::RoutingTable>();
  table->configuration_loaded = configuration_loaded;
  for (const auto& [name, entry] : config.extensions) {
    std::string pipe = pipes::ExtensionSocketAddress(naming, name).Display();
    auto pipe_name = [&pipe](std::string_view) { return pipe; };
    // The version is part of the text, so fingerprint the text built with a fixed version.
    std::optional<std::string> fingerprint = dcr::BuildTaggedData(config, name, 0, pipe_name);
    if (!fingerprint) continue;
    long version = versions->VersionFor(name, *fingerprint);
    pipes::ExtensionRoutes& routes = table->extensions[name];
    routes.tagged_data = *dcr::BuildTaggedData(config, name, version, pipe_name);

    std::map<std::string, int> per_data_type;
    for (const auto& [id, route] : config.streams) {
      if (route.extension_name != name) continue;
      routes.tags[id] = id;
      ++per_data_type[route.data_type];
    }
    for (const auto& [id, route] : config.streams) {
      if (route.extension_name == name && per_data_type[route.data_type] == 1) {
        routes.tags[route.data_type] = id;
      }
    }
  }
  for (const auto& [id, route] : config.streams) table->stream_ids.insert(id);
  return table;
}

std::vector<uploader::Route> BuildUploadRoutes(const dcr::ActiveConfig& config,
                                               base::Logger& logger) {
  std::vector<uploader::Route> routes;
  for (const auto& [id, stream] : config.streams) {
    const dcr::Channel* chosen = nullptr;
    for (const dcr::Channel& channel : stream.channels) {
      if (channel.protocol != "ods" && channel.protocol != "gig") continue;
      if (chosen == nullptr) {
        chosen = &channel;
      } else {
        logger.Warning("ama", "stream {} has more than one upload channel; uploading to {} only",
                       id, chosen->id);
      }
    }
    if (chosen == nullptr) {
      logger.Warning("ama",
                     "stream {} has no ODS or Logs Ingestion channel; its records are kept but "
                     "not uploaded",
                     id);
      continue;
    }
    routes.push_back(uploader::Route{
        .stream_id = id,
        .data_type = stream.data_type,
        .ip_name = stream.solution,
        .configuration_id = stream.configuration_id,
        .channel_id = chosen->id,
        .protocol = chosen->protocol,
        .endpoint = chosen->endpoint,
        .token_endpoint_uri = chosen->token_endpoint_uri,
        .endpoint_uri_template = chosen->endpoint_uri_template,
    });
  }
  return routes;
}

}  // namespace ama
