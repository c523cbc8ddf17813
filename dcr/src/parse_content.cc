// Reading the agent-side `content` of a DCR (docs/protocol.md §1).

#include <map>
#include <set>

#include "content_reader.h"
#include "url_util.h"

namespace dcr::internal {
namespace {

constexpr std::size_t kMaxIdLength = 1024;
constexpr std::size_t kMaxDataTypeLength = 256;

using rapidjson::SizeType;
using rapidjson::Value;

// Ids end up in messages, log lines, tags and file names (after sanitising): no control bytes.
bool CheckId(const std::string& id, const std::string& path, Reporter* reporter) {
  if (id.size() > kMaxIdLength || HasControlCharacter(id)) {
    reporter->Error(path, "must be at most " + std::to_string(kMaxIdLength) +
                              " characters without control characters");
    return false;
  }
  return true;
}

void ReadChannel(const Value& value, const std::string& path, Reporter* reporter,
                 std::vector<Channel>* channels) {
  if (!value.IsObject()) {
    reporter->Error(path, std::string("expected an object, found ") + TypeName(value));
    return;
  }
  ErrorScope scope(*reporter);
  WarnUnknownMembers(value, path,
                     {"id", "protocol", "endpoint", "tokenEndpointUri", "endpointUriTemplate"},
                     reporter);
  Channel channel;
  if (RequireString(value, "id", path, reporter, &channel.id)) {
    CheckId(channel.id, MemberPath(path, "id"), reporter);
  }
  RequireString(value, "protocol", path, reporter, &channel.protocol);
  OptionalString(value, "endpoint", path, reporter, &channel.endpoint);
  OptionalString(value, "tokenEndpointUri", path, reporter, &channel.token_endpoint_uri);
  OptionalString(value, "endpointUriTemplate", path, reporter, &channel.endpoint_uri_template);
  auto check_url = [&](std::string_view key, const std::string& url, bool required) {
    if (url.empty()) {
      if (required && FindMember(value, key) == nullptr) {
        reporter->Error(MemberPath(path, key),
                        "missing (required for protocol \"" + channel.protocol + "\")");
      } else if (required) {
        reporter->Error(MemberPath(path, key), "must not be empty");
      }
      return;
    }
    if (!IsHttpUrl(url)) reporter->Error(MemberPath(path, key), "not an absolute http(s) URL");
  };
  bool ods = channel.protocol == "ods";
  bool gig = channel.protocol == "gig";
  check_url("endpoint", channel.endpoint, ods);
  check_url("tokenEndpointUri", channel.token_endpoint_uri, ods || gig);
  check_url("endpointUriTemplate", channel.endpoint_uri_template, gig);
  if (!channel.protocol.empty() && !ods && !gig && channel.protocol != "me") {
    reporter->Warning(MemberPath(path, "protocol"),
                      "unknown protocol \"" + channel.protocol + "\": nothing is sent to it");
  }
  for (const Channel& other : *channels) {
    if (!channel.id.empty() && other.id == channel.id) {
      reporter->Error(MemberPath(path, "id"), "duplicate channel id \"" + channel.id + "\"");
    }
  }
  if (scope.ok()) channels->push_back(std::move(channel));
}

struct DataSourceContext {
  const std::string& configuration_id;
  // Every channel id in $.channels, usable or not, so that a bad channel is reported once and
  // not again by each data source sending to it.
  const std::set<std::string>& channel_ids;
  std::set<std::string>* stream_ids;
};

void ReadStream(const Value& value, const std::string& path, const DataSource& data_source,
                const DataSourceContext& context, Reporter* reporter,
                std::vector<StreamBinding>* streams) {
  if (!value.IsObject()) {
    reporter->Error(path, std::string("expected an object, found ") + TypeName(value));
    return;
  }
  ErrorScope scope(*reporter);
  WarnUnknownMembers(value, path, {"stream", "solution", "extensionOutputStream"}, reporter);
  StreamBinding binding;
  if (RequireString(value, "stream", path, reporter, &binding.stream) &&
      !IsSafeName(binding.stream, kMaxDataTypeLength)) {
    reporter->Error(MemberPath(path, "stream"), "a DataType must be 1-" +
                                                    std::to_string(kMaxDataTypeLength) +
                                                    " characters of [A-Za-z0-9._-]");
  }
  RequireString(value, "solution", path, reporter, &binding.solution);
  if (FindMember(value, "extensionOutputStream") != nullptr) {
    RequireString(value, "extensionOutputStream", path, reporter, &binding.extension_output_stream);
  } else if (!binding.stream.empty() && !data_source.id.empty()) {
    binding.extension_output_stream =
        context.configuration_id + ":" + data_source.id + ":" + binding.stream;
  }
  const std::string& id = binding.extension_output_stream;
  if (!id.empty() && CheckId(id, MemberPath(path, "extensionOutputStream"), reporter) &&
      !context.stream_ids->insert(id).second) {
    reporter->Error(MemberPath(path, "extensionOutputStream"),
                    "duplicate stream id \"" + id + "\"");
  }
  if (scope.ok()) streams->push_back(std::move(binding));
}

void ReadDataSource(const Value& value, const std::string& path, const DataSourceContext& context,
                    Reporter* reporter, std::vector<DataSource>* data_sources) {
  if (!value.IsObject()) {
    reporter->Error(path, std::string("expected an object, found ") + TypeName(value));
    return;
  }
  ErrorScope scope(*reporter);
  WarnUnknownMembers(value, path, {"configuration", "id", "kind", "streams", "sendToChannels"},
                     reporter);
  DataSource data_source;
  if (RequireString(value, "id", path, reporter, &data_source.id)) {
    CheckId(data_source.id, MemberPath(path, "id"), reporter);
  }
  RequireString(value, "kind", path, reporter, &data_source.kind);
  const Value* configuration = FindMember(value, "configuration");
  std::string configuration_path = MemberPath(path, "configuration");
  if (configuration != nullptr && !configuration->IsObject()) {
    reporter->Error(configuration_path,
                    std::string("expected an object, found ") + TypeName(*configuration));
  } else if (configuration != nullptr) {
    data_source.configuration_json = CompactJson(*configuration);
  }
  if (data_source.kind == "extension") {
    if (configuration == nullptr) {
      reporter->Error(configuration_path, "missing (required for kind \"extension\")");
    } else if (configuration->IsObject() &&
               RequireString(*configuration, "extensionName", configuration_path, reporter,
                             &data_source.extension_name) &&
               !IsValidExtensionName(data_source.extension_name)) {
      reporter->Error(MemberPath(configuration_path, "extensionName"),
                      "an extension name must be 1-64 characters of [A-Za-z0-9._-]");
    }
  }

  const Value* streams = FindMember(value, "streams");
  std::string streams_path = MemberPath(path, "streams");
  if (streams == nullptr) {
    reporter->Error(streams_path, "missing (an array is required)");
  } else if (!streams->IsArray()) {
    reporter->Error(streams_path, std::string("expected an array, found ") + TypeName(*streams));
  } else {
    for (SizeType i = 0; i < streams->Size(); ++i) {
      ReadStream((*streams)[i], IndexPath(streams_path, i), data_source, context, reporter,
                 &data_source.streams);
    }
  }

  std::string channels_path = MemberPath(path, "sendToChannels");
  if (FindMember(value, "sendToChannels") == nullptr) {
    reporter->Error(channels_path, "missing (an array is required)");
  } else if (OptionalStringArray(value, "sendToChannels", path, reporter,
                                 &data_source.send_to_channels)) {
    for (std::size_t i = 0; i < data_source.send_to_channels.size(); ++i) {
      const std::string& name = data_source.send_to_channels[i];
      if (context.channel_ids.count(name) == 0) {
        reporter->Error(IndexPath(channels_path, i),
                        "no channel with id \"" + name + "\" in $.channels");
      }
    }
    if (data_source.send_to_channels.empty()) {
      reporter->Warning(channels_path, "empty: the records of this data source are never sent");
    }
  }
  if (scope.ok()) data_sources->push_back(std::move(data_source));
}

void ReadExtensionConfiguration(const Value& value, const std::string& path, Reporter* reporter,
                                std::vector<ExtensionConfiguration>* out) {
  if (!value.IsObject()) {
    reporter->Error(path, std::string("expected an object, found ") + TypeName(value));
    return;
  }
  ErrorScope scope(*reporter);
  WarnUnknownMembers(value, path,
                     {"id", "originIds", "extensionSettings", "inputStreams", "outputStreams"},
                     reporter);
  ExtensionConfiguration configuration;
  if (RequireString(value, "id", path, reporter, &configuration.id)) {
    CheckId(configuration.id, MemberPath(path, "id"), reporter);
  }
  OptionalStringArray(value, "originIds", path, reporter, &configuration.origin_ids);
  // Opaque: passed to the extension as they are.
  if (const Value* settings = FindMember(value, "extensionSettings")) {
    configuration.extension_settings_json = CompactJson(*settings);
  }
  if (const Value* input = FindMember(value, "inputStreams")) {
    configuration.input_streams_json = CompactJson(*input);
  }
  const Value* output = FindMember(value, "outputStreams");
  std::string output_path = MemberPath(path, "outputStreams");
  if (output != nullptr && !output->IsObject()) {
    reporter->Error(output_path, std::string("expected an object, found ") + TypeName(*output));
  } else if (output != nullptr) {
    for (const auto& member : output->GetObject()) {
      std::string data_type(member.name.GetString(), member.name.GetStringLength());
      std::string member_path = MemberPath(output_path, data_type);
      if (!member.value.IsString() || member.value.GetStringLength() == 0) {
        reporter->Error(member_path, "expected a non-empty string (a stream id)");
        continue;
      }
      bool duplicate = false;
      for (const auto& [known, id] : configuration.output_streams) duplicate |= known == data_type;
      if (duplicate) {
        reporter->Warning(member_path, "duplicate DataType, the first one is used");
        continue;
      }
      configuration.output_streams.emplace_back(
          data_type, std::string(member.value.GetString(), member.value.GetStringLength()));
    }
  }
  if (scope.ok()) out->push_back(std::move(configuration));
}

using ExtensionConfigurations = decltype(Dcr::extension_configurations);

std::vector<ExtensionConfiguration>& EntryFor(ExtensionConfigurations* all,
                                              const std::string& extension) {
  for (auto& [name, list] : *all) {
    if (name == extension) return list;
  }
  return all->emplace_back(extension, std::vector<ExtensionConfiguration>()).second;
}

void ReadExtensionConfigurations(const Value& value, const std::string& path, Reporter* reporter,
                                 ExtensionConfigurations* out) {
  if (!value.IsObject()) {
    reporter->Error(path, std::string("expected an object, found ") + TypeName(value));
    return;
  }
  for (const auto& member : value.GetObject()) {
    std::string name(member.name.GetString(), member.name.GetStringLength());
    std::string member_path = MemberPath(path, name);
    if (!IsValidExtensionName(name)) {
      reporter->Error(member_path, "an extension name must be 1-64 characters of [A-Za-z0-9._-]");
      continue;
    }
    if (!member.value.IsArray()) {
      reporter->Error(member_path,
                      std::string("expected an array, found ") + TypeName(member.value));
      continue;
    }
    std::vector<ExtensionConfiguration>& list = EntryFor(out, name);
    for (SizeType i = 0; i < member.value.Size(); ++i) {
      ReadExtensionConfiguration(member.value[i], IndexPath(member_path, i), reporter, &list);
    }
  }
}

// An extension data source without an extensionConfigurations entry still has to reach its
// extension, with the settings its `configuration` carries (requirement of docs/dcr.md).
void SynthesiseMissingExtensionConfigurations(const std::string& configuration_id, Dcr* dcr) {
  std::set<std::string> synthesised;
  for (const DataSource& data_source : dcr->data_sources) {
    if (data_source.kind != "extension") continue;
    std::string id = configuration_id + ":" + data_source.id;
    std::vector<ExtensionConfiguration>& list =
        EntryFor(&dcr->extension_configurations, data_source.extension_name);
    ExtensionConfiguration* existing = nullptr;
    for (ExtensionConfiguration& configuration : list) {
      bool covers = configuration.id == id;
      for (const auto& [data_type, stream_id] : configuration.output_streams) {
        for (const StreamBinding& binding : data_source.streams) {
          covers = covers || binding.extension_output_stream == stream_id;
        }
      }
      if (covers) existing = &configuration;
    }
    if (existing != nullptr && synthesised.count(id) == 0) continue;
    if (existing == nullptr) {
      ExtensionConfiguration configuration;
      configuration.id = id;
      rapidjson::Document parsed;
      std::string error;
      if (ParseJson(data_source.configuration_json, &parsed, &error)) {
        if (const Value* settings = FindMember(parsed, "extensionSettings")) {
          configuration.extension_settings_json = CompactJson(*settings);
        }
      }
      list.push_back(std::move(configuration));
      existing = &list.back();
      synthesised.insert(id);
    }
    for (const StreamBinding& binding : data_source.streams) {
      existing->output_streams.emplace_back(binding.stream, binding.extension_output_stream);
    }
  }
}

// Stream ids an extension configuration names but no data source of that extension declares:
// the extension would write records nobody routes.
void WarnUnroutedOutputStreams(const Dcr& dcr, const std::string& path, Reporter* reporter) {
  std::map<std::string, std::string> extension_of_stream;
  for (const DataSource& data_source : dcr.data_sources) {
    for (const StreamBinding& binding : data_source.streams) {
      extension_of_stream[binding.extension_output_stream] = data_source.extension_name;
    }
  }
  for (const auto& [extension, list] : dcr.extension_configurations) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      for (const auto& [data_type, stream_id] : list[i].output_streams) {
        auto it = extension_of_stream.find(stream_id);
        if (it != extension_of_stream.end() && it->second == extension) continue;
        std::string where = MemberPath(
            MemberPath(
                IndexPath(MemberPath(MemberPath(path, "extensionConfigurations"), extension), i),
                "outputStreams"),
            data_type);
        reporter->Warning(where, "no data source of extension \"" + extension +
                                     "\" declares stream \"" + stream_id +
                                     "\": its records will be refused");
      }
    }
  }
}

bool ReadDcr(const Value& content, const std::string& path, const std::string& configuration_id,
             Reporter* reporter, Dcr* out) {
  ErrorScope scope(*reporter);
  WarnUnknownMembers(content, path, {"dataSources", "channels", "extensionConfigurations"},
                     reporter);
  std::set<std::string> channel_ids;
  if (const Value* channels = FindMember(content, "channels")) {
    std::string channels_path = MemberPath(path, "channels");
    if (!channels->IsArray()) {
      reporter->Error(channels_path,
                      std::string("expected an array, found ") + TypeName(*channels));
    } else {
      for (SizeType i = 0; i < channels->Size(); ++i) {
        const Value* id = FindMember((*channels)[i], "id");
        if (id != nullptr && id->IsString()) {
          channel_ids.emplace(id->GetString(), id->GetStringLength());
        }
        ReadChannel((*channels)[i], IndexPath(channels_path, i), reporter, &out->channels);
      }
    }
  }
  std::set<std::string> stream_ids;
  if (const Value* data_sources = FindMember(content, "dataSources")) {
    std::string sources_path = MemberPath(path, "dataSources");
    if (!data_sources->IsArray()) {
      reporter->Error(sources_path,
                      std::string("expected an array, found ") + TypeName(*data_sources));
    } else {
      DataSourceContext context{configuration_id, channel_ids, &stream_ids};
      for (SizeType i = 0; i < data_sources->Size(); ++i) {
        ReadDataSource((*data_sources)[i], IndexPath(sources_path, i), context, reporter,
                       &out->data_sources);
      }
    }
  }
  if (const Value* extensions = FindMember(content, "extensionConfigurations")) {
    ReadExtensionConfigurations(*extensions, MemberPath(path, "extensionConfigurations"), reporter,
                                &out->extension_configurations);
  }
  if (!scope.ok()) return false;
  WarnUnroutedOutputStreams(*out, path, reporter);
  SynthesiseMissingExtensionConfigurations(configuration_id, out);
  return true;
}

bool ReadAgentSettings(const Value& content, const std::string& path, Reporter* reporter,
                       AgentSettings* out) {
  ErrorScope scope(*reporter);
  WarnUnknownMembers(content, path, {"kind", "settings"}, reporter);
  std::string settings_path = MemberPath(path, "settings");
  const Value* settings = FindMember(content, "settings");
  rapidjson::Document from_string;
  if (settings != nullptr && settings->IsString()) {
    // Cached chunk files hold `settings` as a JSON string (docs/protocol.md §1-§2).
    std::string error;
    if (!ParseJson(std::string_view(settings->GetString(), settings->GetStringLength()),
                   &from_string, &error)) {
      reporter->Error(settings_path, "a string that is not JSON: " + error);
      return false;
    }
    settings = &from_string;
  }
  if (settings == nullptr) {
    reporter->Error(settings_path, "missing (an array is required)");
    return false;
  }
  if (!settings->IsArray()) {
    reporter->Error(settings_path, std::string("expected an array, found ") + TypeName(*settings));
    return false;
  }
  for (SizeType i = 0; i < settings->Size(); ++i) {
    const Value& setting = (*settings)[i];
    std::string setting_path = IndexPath(settings_path, i);
    if (!setting.IsObject()) {
      reporter->Error(setting_path, std::string("expected an object, found ") + TypeName(setting));
      continue;
    }
    WarnUnknownMembers(setting, setting_path, {"name", "value"}, reporter);
    std::string name;
    if (!RequireString(setting, "name", setting_path, reporter, &name)) continue;
    const Value* value = FindMember(setting, "value");
    if (value == nullptr || value->IsNull()) {
      reporter->Error(MemberPath(setting_path, "value"), "missing");
      continue;
    }
    std::string text = value->IsString() ? std::string(value->GetString(), value->GetStringLength())
                                         : CompactJson(*value);
    out->settings.emplace_back(std::move(name), std::move(text));
  }
  return scope.ok();
}

}  // namespace

bool IsValidExtensionName(std::string_view name) { return IsSafeName(name, 64); }

bool ReadContent(const Value& content, const std::string& path, const std::string& configuration_id,
                 const std::string& etag, Reporter* reporter, Configuration* out) {
  *out = Configuration();
  out->configuration_id = configuration_id;
  out->etag = etag;
  out->source = reporter->source();
  if (!content.IsObject()) {
    reporter->Error(path, std::string("expected an object, found ") + TypeName(content));
    return false;
  }
  if (const Value* kind = FindMember(content, "kind")) {
    if (!kind->IsString()) {
      reporter->Error(MemberPath(path, "kind"),
                      std::string("expected a string, found ") + TypeName(*kind));
      return false;
    }
    std::string_view name(kind->GetString(), kind->GetStringLength());
    if (name == "AgentSettings") {
      out->kind = ContentKind::kAgentSettings;
      return ReadAgentSettings(content, path, reporter, &out->agent_settings);
    }
    out->kind = ContentKind::kUnknown;
    out->unknown_content_json = CompactJson(content);
    reporter->Warning(MemberPath(path, "kind"),
                      "unknown content kind \"" + std::string(name) + "\", ignored");
    return true;
  }
  if (FindMember(content, "dataSources") == nullptr && FindMember(content, "channels") == nullptr &&
      FindMember(content, "extensionConfigurations") == nullptr) {
    reporter->Error(
        path, "neither a DCR (dataSources, channels, extensionConfigurations) nor a \"kind\"");
    return false;
  }
  out->kind = ContentKind::kDcr;
  return ReadDcr(content, path, configuration_id, reporter, &out->dcr);
}

}  // namespace dcr::internal
