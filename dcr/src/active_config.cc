// Resolving a set of configurations into what the host runs (docs/protocol.md §2, last point).

#include "dcr/active_config.h"

#include <algorithm>
#include <set>

#include "json_util.h"

namespace dcr {
namespace {

// Every extension a DCR names, through its data sources or its extensionConfigurations.
std::set<std::string> ExtensionsNamedBy(const Dcr& dcr) {
  std::set<std::string> names;
  for (const DataSource& data_source : dcr.data_sources) {
    if (data_source.kind == "extension") names.insert(data_source.extension_name);
  }
  for (const auto& [name, list] : dcr.extension_configurations) names.insert(name);
  return names;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace

std::optional<std::string> ActiveConfig::ResolveTag(std::string_view extension,
                                                    std::string_view tag) const {
  auto it = streams.find(tag);
  if (it != streams.end() && (extension.empty() || it->second.extension_name == extension)) {
    return it->first;
  }
  if (extension.empty()) return std::nullopt;
  const std::string* match = nullptr;
  for (const auto& [id, route] : streams) {
    if (route.extension_name != extension || route.data_type != tag) continue;
    if (match != nullptr) return std::nullopt;  // ambiguous
    match = &id;
  }
  if (match == nullptr) return std::nullopt;
  return *match;
}

ActiveConfig Resolve(const std::vector<Configuration>& configurations, Diagnostics* diagnostics) {
  ActiveConfig active;
  // Sorted by configurationId so that every choice below is independent of arrival order.
  std::vector<const Configuration*> sorted;
  for (const Configuration& configuration : configurations) sorted.push_back(&configuration);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Configuration* a, const Configuration* b) {
                     return a->configuration_id < b->configuration_id;
                   });
  std::vector<const Configuration*> unique;
  for (const Configuration* configuration : sorted) {
    if (!unique.empty() && unique.back()->configuration_id == configuration->configuration_id) {
      internal::Reporter(configuration->source, diagnostics)
          .Warning("$", "configuration \"" + configuration->configuration_id +
                            "\" is present more than once; the one from " + unique.back()->source +
                            " is used");
      continue;
    }
    unique.push_back(configuration);
  }

  // Extension → the DCRs naming it, lowest configurationId first.
  std::map<std::string, std::vector<const Configuration*>> claims;
  std::set<std::string> in_use;
  for (const Configuration* configuration : unique) {
    internal::Reporter reporter(configuration->source, diagnostics);
    switch (configuration->kind) {
      case ContentKind::kUnknown:
        reporter.Warning("$", "configuration \"" + configuration->configuration_id +
                                  "\" has an unknown content kind; ignored");
        continue;
      case ContentKind::kAgentSettings:
        for (const auto& [name, value] : configuration->agent_settings.settings) {
          auto& settings = active.settings.settings;
          // Not captured as `name`: clang before 16 cannot capture a structured binding.
          const auto& key = name;
          auto it = std::find_if(settings.begin(), settings.end(),
                                 [&](const auto& setting) { return setting.first == key; });
          if (it != settings.end()) {
            it->second = value;
          } else {
            settings.emplace_back(name, value);
          }
        }
        in_use.insert(configuration->configuration_id);
        continue;
      case ContentKind::kDcr:
        break;
    }
    std::set<std::string> named = ExtensionsNamedBy(configuration->dcr);
    if (named.empty()) {
      reporter.Warning("$", "configuration \"" + configuration->configuration_id +
                                "\" names no extension; amahost has nothing to serve from it");
    }
    for (const std::string& extension : named) claims[extension].push_back(configuration);
    for (std::size_t i = 0; i < configuration->dcr.data_sources.size(); ++i) {
      const DataSource& data_source = configuration->dcr.data_sources[i];
      if (data_source.kind == "extension") continue;
      reporter.Warning(internal::IndexPath("$.dataSources", i),
                       "data source \"" + data_source.id + "\" of kind \"" + data_source.kind +
                           "\" is not served by amahost (only extension data sources are)");
    }
  }

  for (const auto& [extension, dcrs] : claims) {
    const Configuration& chosen = *dcrs.front();
    if (dcrs.size() > 1) {
      std::vector<std::string> ignored;
      for (std::size_t i = 1; i < dcrs.size(); ++i) ignored.push_back(dcrs[i]->configuration_id);
      internal::Reporter(chosen.source, diagnostics)
          .Warning("$", "extension " + extension + " is named by " + std::to_string(dcrs.size()) +
                            " DCRs; using " + chosen.configuration_id +
                            " (the lowest configurationId), ignoring " + Join(ignored));
    }
    in_use.insert(chosen.configuration_id);
    ExtensionEntry& entry = active.extensions[extension];
    entry.name = extension;
    entry.configuration_id = chosen.configuration_id;
    for (const auto& [name, list] : chosen.dcr.extension_configurations) {
      if (name == extension) {
        entry.configurations.insert(entry.configurations.end(), list.begin(), list.end());
      }
    }
    for (const DataSource& data_source : chosen.dcr.data_sources) {
      if (data_source.kind != "extension" || data_source.extension_name != extension) continue;
      std::vector<Channel> channels;
      for (const std::string& channel_id : data_source.send_to_channels) {
        for (const Channel& channel : chosen.dcr.channels) {
          if (channel.id == channel_id) channels.push_back(channel);
        }
      }
      for (const StreamBinding& binding : data_source.streams) {
        StreamRoute route{.stream_id = binding.extension_output_stream,
                          .data_type = binding.stream,
                          .solution = binding.solution,
                          .extension_name = extension,
                          .configuration_id = chosen.configuration_id,
                          .channels = channels};
        auto [existing, inserted] = active.streams.emplace(route.stream_id, route);
        if (!inserted) {
          const StreamRoute& first = existing->second;
          internal::Reporter(chosen.source, diagnostics)
              .Warning("$", "stream " + route.stream_id + " of extension " + extension + " in " +
                                chosen.configuration_id + " is already declared for extension " +
                                first.extension_name + " in " + first.configuration_id +
                                "; that one is used");
        }
      }
    }
  }
  active.configuration_ids.assign(in_use.begin(), in_use.end());
  return active;
}

}  // namespace dcr
