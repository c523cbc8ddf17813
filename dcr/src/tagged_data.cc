// The TaggedData of an AgentTaggedData reply (docs/protocol.md §3).

#include "dcr/active_config.h"
#include "json_util.h"

namespace dcr {

std::optional<std::string> BuildTaggedDataWithNames(
    const ActiveConfig& config, std::string_view extension, long version,
    const std::map<std::string, std::string, std::less<>>& pipe_names) {
  auto entry = config.extensions.find(extension);
  if (entry == config.extensions.end()) return std::nullopt;
  internal::JsonOut out;
  out.BeginObject();
  out.Key("schemaVersion").Int(1);
  out.Key("version").Int(version);
  out.Key("extensionName").String(extension);
  out.Key("extensionConfigurations").BeginArray();
  for (const ExtensionConfiguration& configuration : entry->second.configurations) {
    out.BeginObject();
    out.Key("id").String(configuration.id);
    out.Key("originIds").BeginArray();
    for (const std::string& origin : configuration.origin_ids) out.String(origin);
    out.EndArray();
    out.Key("extensionSettings").Json(configuration.extension_settings_json);
    out.Key("inputStreams").Json(configuration.input_streams_json);
    out.Key("outputStreams").BeginObject();
    for (const auto& [data_type, stream_id] : configuration.output_streams) {
      out.Key(data_type).String(stream_id);
    }
    out.EndObject();
    out.EndObject();
  }
  out.EndArray();
  out.Key("outputStreamDefinitions").BeginObject();
  for (const auto& [stream_id, route] : config.streams) {
    if (route.extension_name != extension) continue;
    auto name = pipe_names.find(stream_id);
    if (name == pipe_names.end()) continue;
    out.Key(stream_id).BeginObject().Key("namedPipe").String(name->second).EndObject();
  }
  out.EndObject();
  out.EndObject();
  return out.Take();
}

}  // namespace dcr
