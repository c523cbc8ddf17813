// ARM resource DCR → agent-side configuration, as AMCS does it server-side (docs/dcr.md).

#include <map>
#include <set>

#include "base/uuid.h"
#include "dcr/parse.h"
#include "derived_ids.h"
#include "json_util.h"
#include "resource_id.h"
#include "url_util.h"

namespace dcr {
namespace {

using internal::FindMember;
using internal::IndexPath;
using internal::MemberPath;
using internal::Reporter;
using internal::TypeName;
using rapidjson::SizeType;
using rapidjson::Value;

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// What the ARM DCR's destinations and dataFlows say about where each stream goes.
struct Routing {
  std::set<std::string> destination_names;                  // of every kind
  std::map<std::string, std::string> workspace_of;          // Log Analytics name → workspace id
  std::map<std::string, std::vector<std::string>> streams;  // lower-case stream → workspace ids
};

void ReadDestinations(const Value& properties, Reporter* reporter, Routing* routing) {
  const Value* destinations = FindMember(properties, "destinations");
  if (destinations == nullptr) return;
  const std::string path = "$.properties.destinations";
  if (!destinations->IsObject()) {
    reporter->Error(path, std::string("expected an object, found ") + TypeName(*destinations));
    return;
  }
  for (const auto& member : destinations->GetObject()) {
    std::string kind(member.name.GetString(), member.name.GetStringLength());
    std::string kind_path = MemberPath(path, kind);
    bool log_analytics = kind == "logAnalytics";
    // ARM writes most kinds as arrays, azureMonitorMetrics as a single object.
    bool single = !log_analytics && member.value.IsObject();
    if (!member.value.IsArray() && !single) {
      reporter->Error(kind_path, std::string("expected an array, found ") + TypeName(member.value));
      continue;
    }
    if (!log_analytics) {
      reporter->Warning(
          kind_path, "destinations of kind \"" + kind + "\" are not supported by amahost; ignored");
    }
    SizeType count = single ? 1 : member.value.Size();
    for (SizeType i = 0; i < count; ++i) {
      const Value& destination = single ? member.value : member.value[i];
      std::string destination_path = single ? kind_path : IndexPath(kind_path, i);
      if (!destination.IsObject()) {
        reporter->Error(destination_path,
                        std::string("expected an object, found ") + TypeName(destination));
        continue;
      }
      std::string name;
      if (!internal::RequireString(destination, "name", destination_path, reporter, &name)) {
        continue;
      }
      if (!routing->destination_names.insert(name).second) {
        reporter->Error(MemberPath(destination_path, "name"),
                        "duplicate destination name \"" + name + "\"");
        continue;
      }
      if (!log_analytics) continue;
      internal::WarnUnknownMembers(destination, destination_path,
                                   {"name", "workspaceResourceId", "workspaceId"}, reporter);
      std::string resource_id;
      std::string workspace_id;
      internal::OptionalString(destination, "workspaceResourceId", destination_path, reporter,
                               &resource_id);
      internal::OptionalString(destination, "workspaceId", destination_path, reporter,
                               &workspace_id);
      if (!workspace_id.empty()) {
        // It becomes a host name: only a GUID is acceptable.
        if (!base::IsUuid(workspace_id)) {
          reporter->Error(MemberPath(destination_path, "workspaceId"), "not a GUID");
          continue;
        }
        workspace_id = internal::AsciiLower(workspace_id);
      } else if (!resource_id.empty()) {
        workspace_id = internal::DerivedGuid(internal::AsciiLower(resource_id));
      } else {
        reporter->Error(destination_path, "needs a workspaceId or a workspaceResourceId");
        continue;
      }
      routing->workspace_of[name] = workspace_id;
    }
  }
}

void ReadDataFlows(const Value& properties, Reporter* reporter, Routing* routing) {
  const Value* flows = FindMember(properties, "dataFlows");
  if (flows == nullptr) return;
  const std::string path = "$.properties.dataFlows";
  if (!flows->IsArray()) {
    reporter->Error(path, std::string("expected an array, found ") + TypeName(*flows));
    return;
  }
  for (SizeType i = 0; i < flows->Size(); ++i) {
    const Value& flow = (*flows)[i];
    std::string flow_path = IndexPath(path, i);
    if (!flow.IsObject()) {
      reporter->Error(flow_path, std::string("expected an object, found ") + TypeName(flow));
      continue;
    }
    internal::WarnUnknownMembers(
        flow, flow_path,
        {"streams", "destinations", "transformKql", "outputStream", "builtInTransform"}, reporter);
    std::string transform;
    internal::OptionalString(flow, "transformKql", flow_path, reporter, &transform);
    if (!transform.empty() && transform != "source") {
      reporter->Warning(MemberPath(flow_path, "transformKql"),
                        "transformations are not applied by amahost");
    }
    if (FindMember(flow, "outputStream") != nullptr) {
      reporter->Warning(MemberPath(flow_path, "outputStream"), "not applied by amahost");
    }
    std::vector<std::string> streams;
    std::vector<std::string> destinations;
    for (std::string_view key : {"streams", "destinations"}) {
      if (FindMember(flow, key) == nullptr) {
        reporter->Error(MemberPath(flow_path, key), "missing (an array is required)");
      }
    }
    internal::OptionalStringArray(flow, "streams", flow_path, reporter, &streams);
    internal::OptionalStringArray(flow, "destinations", flow_path, reporter, &destinations);
    std::vector<std::string> workspaces;
    for (std::size_t d = 0; d < destinations.size(); ++d) {
      if (routing->destination_names.count(destinations[d]) == 0) {
        reporter->Error(IndexPath(MemberPath(flow_path, "destinations"), d),
                        "no destination named \"" + destinations[d] + "\"");
        continue;
      }
      auto it = routing->workspace_of.find(destinations[d]);
      if (it != routing->workspace_of.end()) workspaces.push_back(it->second);
    }
    for (const std::string& stream : streams) {
      std::vector<std::string>& targets = routing->streams[internal::AsciiLower(stream)];
      for (const std::string& workspace : workspaces) {
        bool known = false;
        for (const std::string& target : targets) known = known || target == workspace;
        if (!known) targets.push_back(workspace);
      }
    }
  }
}

struct Translation {
  std::string configuration_id;
  std::string origin_id;         // the resource id, may be empty
  std::string token_uri_prefix;  // "{handler}{agent path}/agentConfigurations/{cfg}/channels/"
  std::string token_uri_query;   // "/issueIngestionToken?operatingLocation=…"
};

void TranslateExtension(const Value& extension, const std::string& path,
                        const Translation& translation, const Routing& routing, Reporter* reporter,
                        Configuration* out) {
  if (!extension.IsObject()) {
    reporter->Error(path, std::string("expected an object, found ") + TypeName(extension));
    return;
  }
  internal::ErrorScope scope(*reporter);
  internal::WarnUnknownMembers(
      extension, path,
      {"name", "extensionName", "streams", "extensionSettings", "inputDataSources"}, reporter);
  if (FindMember(extension, "inputDataSources") != nullptr) {
    reporter->Warning(MemberPath(path, "inputDataSources"), "not supported by amahost; ignored");
  }
  std::string name;
  std::string extension_name;
  std::vector<std::string> streams;
  if (internal::RequireString(extension, "name", path, reporter, &name) &&
      (name.size() > 1024 || internal::HasControlCharacter(name))) {
    reporter->Error(MemberPath(path, "name"),
                    "must be at most 1024 characters without control characters");
  }
  if (internal::RequireString(extension, "extensionName", path, reporter, &extension_name) &&
      !internal::IsSafeName(extension_name, 64)) {
    reporter->Error(MemberPath(path, "extensionName"),
                    "an extension name must be 1-64 characters of [A-Za-z0-9._-]");
  }
  if (FindMember(extension, "streams") == nullptr) {
    reporter->Error(MemberPath(path, "streams"), "missing (an array is required)");
  }
  internal::OptionalStringArray(extension, "streams", path, reporter, &streams);
  for (const DataSource& existing : out->dcr.data_sources) {
    if (existing.id == name) {
      reporter->Error(MemberPath(path, "name"), "duplicate data source name \"" + name + "\"");
    }
  }
  if (!scope.ok()) return;

  ExtensionConfiguration configuration;
  configuration.id = translation.configuration_id + ":" + name;
  if (!translation.origin_id.empty()) configuration.origin_ids.push_back(translation.origin_id);
  if (const Value* settings = FindMember(extension, "extensionSettings")) {
    configuration.extension_settings_json = internal::CompactJson(*settings);
  }
  // The agent-side shape routes per data source, so streams with different destinations go to
  // separate data sources that share the ARM data source's name (stream ids stay unique).
  std::vector<DataSource> groups;
  std::set<std::string> data_types;
  std::string streams_path = MemberPath(path, "streams");
  for (std::size_t i = 0; i < streams.size(); ++i) {
    std::string stream_path = IndexPath(streams_path, i);
    OdsStream mapped = MapArmStream(streams[i]);
    if (mapped.data_type.empty()) {
      reporter->Error(stream_path, "\"" + streams[i] + "\" cannot be translated to a DataType");
      continue;
    }
    if (!data_types.insert(mapped.data_type).second) {
      reporter->Warning(stream_path, "translates to DataType " + mapped.data_type +
                                         " like an earlier stream; ignored");
      continue;
    }
    auto flow = routing.streams.find(internal::AsciiLower(streams[i]));
    if (flow == routing.streams.end() || flow->second.empty()) {
      reporter->Warning(stream_path, "no dataFlow sends \"" + streams[i] +
                                         "\" to a Log Analytics destination; not collected");
      continue;
    }
    std::vector<std::string> channels;
    for (const std::string& workspace : flow->second) channels.push_back("ods-" + workspace);
    DataSource* group = nullptr;
    for (DataSource& candidate : groups) {
      if (candidate.send_to_channels == channels) group = &candidate;
    }
    if (group == nullptr) {
      group = &groups.emplace_back();
      group->id = name;
      group->kind = "extension";
      group->extension_name = extension_name;
      group->configuration_json = internal::JsonOut()
                                      .BeginObject()
                                      .Key("extensionName")
                                      .String(extension_name)
                                      .EndObject()
                                      .Take();
      group->send_to_channels = channels;
    }
    std::string stream_id = translation.configuration_id + ":" + name + ":" + mapped.data_type;
    group->streams.push_back(StreamBinding{.stream = mapped.data_type,
                                           .solution = mapped.solution,
                                           .extension_output_stream = stream_id});
    configuration.output_streams.emplace_back(mapped.data_type, stream_id);
  }
  if (groups.empty()) {
    reporter->Warning(path, "data source \"" + name + "\" has no stream to collect; ignored");
    return;
  }
  for (DataSource& group : groups) {
    for (const std::string& channel_id : group.send_to_channels) {
      bool known = false;
      for (const Channel& channel : out->dcr.channels) known = known || channel.id == channel_id;
      if (known) continue;
      std::string workspace = channel_id.substr(4);
      out->dcr.channels.push_back(
          Channel{.id = channel_id,
                  .protocol = "ods",
                  .endpoint = "https://" + workspace + ".ods.opinsights.azure.com",
                  .token_endpoint_uri =
                      translation.token_uri_prefix + channel_id + translation.token_uri_query,
                  .endpoint_uri_template = ""});
    }
    out->dcr.data_sources.push_back(std::move(group));
  }
  std::vector<ExtensionConfiguration>* list = nullptr;
  for (auto& [extension_key, configurations] : out->dcr.extension_configurations) {
    if (extension_key == extension_name) list = &configurations;
  }
  if (list == nullptr) {
    list = &out->dcr.extension_configurations
                .emplace_back(extension_name, std::vector<ExtensionConfiguration>())
                .second;
  }
  list->push_back(std::move(configuration));
}

// "East US" → "eastus", as ARM normalises locations; anything unusual is percent-encoded.
std::string NormaliseLocation(std::string_view location) {
  std::string compact;
  for (char c : internal::AsciiLower(location)) {
    if (c != ' ') compact += c;
  }
  return internal::PercentEncode(compact);
}

}  // namespace

OdsStream MapArmStream(std::string_view arm_stream) {
  std::string lower = internal::AsciiLower(arm_stream);
  if (lower == "microsoft-configurationchange") return {"CONFIG_CHANGE_BLOB", "ChangeTracking"};
  if (lower == "microsoft-configurationchangev2") {
    return {"CONFIG_CHANGE_BLOB_V2", "ChangeTracking"};
  }
  if (lower == "microsoft-configurationdata") return {"CONFIG_DATA_BLOB_V2", "ChangeTracking"};
  std::string_view name = arm_stream;
  if (lower.starts_with("microsoft-")) {
    name.remove_prefix(10);
  } else if (lower.starts_with("custom-")) {
    name.remove_prefix(7);
  }
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (!IsUpper(c) && !IsLower(c) && !IsDigit(c)) {
      if (!out.empty() && out.back() != '_') out += '_';
      continue;
    }
    if (IsUpper(c) && i > 0 && !out.empty() && out.back() != '_') {
      char previous = name[i - 1];
      bool next_lower = i + 1 < name.size() && IsLower(name[i + 1]);
      // "configurationChange" and "v2Data" split before the capital; "HTTPLogs" splits before
      // the capital that starts the next word.
      if (IsLower(previous) || IsDigit(previous) || (IsUpper(previous) && next_lower)) out += '_';
    }
    out += IsLower(c) ? static_cast<char>(c - 'a' + 'A') : c;
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.empty()) return {};
  if (!out.ends_with("_BLOB")) out += "_BLOB";
  return {out, "LogManagement"};
}

bool TranslateArmDcr(std::string_view json, const std::string& source,
                     const TranslationOptions& options, Configuration* out,
                     Diagnostics* diagnostics) {
  Reporter reporter(source, diagnostics);
  *out = Configuration();
  out->source = source;
  rapidjson::Document document;
  std::string error;
  if (!internal::ParseJson(json, &document, &error)) {
    reporter.Error("$", error);
    return false;
  }
  if (!document.IsObject()) {
    reporter.Error("$", std::string("expected an object, found ") + TypeName(document));
    return false;
  }
  internal::WarnUnknownMembers(document, "$",
                               {"id", "name", "type", "location", "kind", "properties", "tags",
                                "identity", "etag", "systemData", "apiVersion", "dependsOn"},
                               &reporter);
  Translation translation;
  std::string location;
  std::string immutable_id;
  internal::OptionalString(document, "id", "$", &reporter, &translation.origin_id);
  internal::OptionalString(document, "location", "$", &reporter, &location);
  const Value* properties = FindMember(document, "properties");
  if (properties == nullptr || !properties->IsObject()) {
    reporter.Error("$.properties",
                   properties == nullptr
                       ? "missing (an object is required)"
                       : std::string("expected an object, found ") + TypeName(*properties));
    return false;
  }
  internal::WarnUnknownMembers(*properties, "$.properties",
                               {"description", "immutableId", "dataCollectionEndpointId",
                                "dataSources", "destinations", "dataFlows", "streamDeclarations",
                                "provisioningState", "metadata", "references", "agentSettings"},
                               &reporter);
  if (FindMember(*properties, "immutableId") != nullptr &&
      internal::RequireString(*properties, "immutableId", "$.properties", &reporter,
                              &immutable_id) &&
      (immutable_id.size() > 1024 || internal::HasControlCharacter(immutable_id))) {
    reporter.Error("$.properties.immutableId",
                   "must be at most 1024 characters without control characters");
  }
  if (location.empty()) {
    reporter.Warning("$.location", "missing: the tokenEndpointUri gets an empty operatingLocation");
  }
  auto agent = internal::ParseAgentResourceId(options.agent_resource_id);
  if (!agent) {
    reporter.Error("$", "the agent resource id \"" + options.agent_resource_id +
                            "\" is not a virtual machine or Arc machine resource id");
  }
  std::string_view handler = internal::TrimTrailingSlashes(options.handler_url);
  if (!internal::IsHttpUrl(handler)) {
    reporter.Error(
        "$", "the handler URL \"" + options.handler_url + "\" is not an absolute http(s) URL");
  }
  if (reporter.error_count() != 0) return false;

  translation.configuration_id =
      !immutable_id.empty()
          ? immutable_id
          : internal::DerivedDcrId(translation.origin_id.empty()
                                       ? std::string(json)
                                       : internal::AsciiLower(translation.origin_id));
  translation.token_uri_prefix = std::string(handler) + agent->Path() + "/agentConfigurations/" +
                                 internal::PercentEncode(translation.configuration_id) +
                                 "/channels/";
  translation.token_uri_query =
      "/issueIngestionToken?operatingLocation=" + NormaliseLocation(location) +
      "&platform=linux&includeMeConfig=true&api-version=2022-06-02";
  out->configuration_id = translation.configuration_id;
  out->kind = ContentKind::kDcr;

  Routing routing;
  ReadDestinations(*properties, &reporter, &routing);
  ReadDataFlows(*properties, &reporter, &routing);
  const Value* data_sources = FindMember(*properties, "dataSources");
  if (data_sources != nullptr && !data_sources->IsObject()) {
    reporter.Error("$.properties.dataSources",
                   std::string("expected an object, found ") + TypeName(*data_sources));
  } else if (data_sources != nullptr) {
    for (const auto& member : data_sources->GetObject()) {
      std::string kind(member.name.GetString(), member.name.GetStringLength());
      std::string kind_path = MemberPath("$.properties.dataSources", kind);
      if (kind != "extensions") {
        reporter.Warning(kind_path, "data sources of kind \"" + kind +
                                        "\" are not translated (amahost serves extensions); "
                                        "ignored");
        continue;
      }
      if (!member.value.IsArray()) {
        reporter.Error(kind_path,
                       std::string("expected an array, found ") + TypeName(member.value));
        continue;
      }
      for (SizeType i = 0; i < member.value.Size(); ++i) {
        TranslateExtension(member.value[i], IndexPath(kind_path, i), translation, routing,
                           &reporter, out);
      }
    }
  }
  if (reporter.error_count() != 0) return false;
  if (out->dcr.data_sources.empty()) {
    reporter.Warning("$.properties.dataSources", "no extension data source to translate");
  }
  out->etag = internal::Fnv1a128Hex(SerializeContent(*out));
  return true;
}

}  // namespace dcr
