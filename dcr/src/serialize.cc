// Writing the agent-side shapes back out (the cache's chunk and lkg files, mockcloud's answers).

#include "dcr/parse.h"
#include "json_util.h"
#include "url_util.h"

namespace dcr {
namespace {

using internal::JsonOut;

// The data source's `configuration` with extensionName forced to the model's extension_name, so
// that a hand-built model cannot serialise to content that parses differently.
std::string ConfigurationJson(const DataSource& data_source) {
  rapidjson::Document document;
  std::string error;
  if (!internal::ParseJson(data_source.configuration_json, &document, &error) ||
      !document.IsObject()) {
    document.SetObject();
  }
  if (data_source.kind == "extension" && !data_source.extension_name.empty()) {
    auto& allocator = document.GetAllocator();
    rapidjson::Value name(data_source.extension_name, allocator);
    auto it = document.FindMember("extensionName");
    if (it != document.MemberEnd()) {
      it->value = name;
    } else {
      document.AddMember("extensionName", name, allocator);
    }
  }
  return internal::CompactJson(document);
}

void WriteDcr(const Dcr& dcr, JsonOut* out) {
  out->BeginObject().Key("dataSources").BeginArray();
  for (const DataSource& data_source : dcr.data_sources) {
    out->BeginObject();
    out->Key("configuration").TrustedJson(ConfigurationJson(data_source));
    out->Key("id").String(data_source.id);
    out->Key("kind").String(data_source.kind);
    out->Key("streams").BeginArray();
    for (const StreamBinding& binding : data_source.streams) {
      out->BeginObject();
      out->Key("stream").String(binding.stream);
      out->Key("solution").String(binding.solution);
      out->Key("extensionOutputStream").String(binding.extension_output_stream);
      out->EndObject();
    }
    out->EndArray();
    out->Key("sendToChannels").BeginArray();
    for (const std::string& channel : data_source.send_to_channels) out->String(channel);
    out->EndArray();
    out->EndObject();
  }
  out->EndArray();

  out->Key("channels").BeginArray();
  for (const Channel& channel : dcr.channels) {
    out->BeginObject();
    if (!channel.endpoint.empty()) out->Key("endpoint").String(channel.endpoint);
    if (!channel.token_endpoint_uri.empty()) {
      out->Key("tokenEndpointUri").String(channel.token_endpoint_uri);
    }
    if (!channel.endpoint_uri_template.empty()) {
      out->Key("endpointUriTemplate").String(channel.endpoint_uri_template);
    }
    out->Key("id").String(channel.id);
    out->Key("protocol").String(channel.protocol);
    out->EndObject();
  }
  out->EndArray();

  out->Key("extensionConfigurations").BeginObject();
  for (const auto& [extension, list] : dcr.extension_configurations) {
    out->Key(extension).BeginArray();
    for (const ExtensionConfiguration& configuration : list) {
      out->BeginObject();
      out->Key("id").String(configuration.id);
      out->Key("originIds").BeginArray();
      for (const std::string& origin : configuration.origin_ids) out->String(origin);
      out->EndArray();
      out->Key("extensionSettings").Json(configuration.extension_settings_json);
      out->Key("inputStreams").Json(configuration.input_streams_json);
      out->Key("outputStreams").BeginObject();
      for (const auto& [data_type, stream_id] : configuration.output_streams) {
        out->Key(data_type).String(stream_id);
      }
      out->EndObject();
      out->EndObject();
    }
    out->EndArray();
  }
  out->EndObject();
  out->EndObject();
}

void WriteAgentSettings(const AgentSettings& settings, JsonOut* out) {
  out->BeginObject().Key("kind").String("AgentSettings").Key("settings").BeginArray();
  for (const auto& [name, value] : settings.settings) {
    out->BeginObject().Key("name").String(name).Key("value").String(value).EndObject();
  }
  out->EndArray().EndObject();
}

void WriteContent(const Configuration& configuration, JsonOut* out) {
  switch (configuration.kind) {
    case ContentKind::kDcr:
      WriteDcr(configuration.dcr, out);
      return;
    case ContentKind::kAgentSettings:
      WriteAgentSettings(configuration.agent_settings, out);
      return;
    case ContentKind::kUnknown:
      out->Json(configuration.unknown_content_json);
      return;
  }
}

}  // namespace

std::string SerializeContent(const Configuration& configuration) {
  JsonOut out;
  WriteContent(configuration, &out);
  return out.Take();
}

std::string SerializeConfigurations(const std::vector<Configuration>& configurations) {
  JsonOut out;
  out.BeginObject().Key("configurations").BeginArray();
  for (const Configuration& configuration : configurations) {
    out.BeginObject();
    out.Key("configurationId").String(configuration.configuration_id);
    out.Key("eTag").String(configuration.etag);
    out.Key("op").String("added");
    out.Key("content");
    WriteContent(configuration, &out);
    out.EndObject();
  }
  out.EndArray().EndObject();
  return out.Take();
}

void RewriteChannelEndpoints(std::string_view base_url, Configuration* configuration) {
  std::string_view base = internal::TrimTrailingSlashes(base_url);
  if (!internal::IsHttpUrl(base)) return;
  auto rewrite = [&](std::string* url) {
    std::size_t origin = internal::HttpOriginLength(*url);
    if (origin != 0) *url = std::string(base) + url->substr(origin);
  };
  for (Channel& channel : configuration->dcr.channels) {
    rewrite(&channel.endpoint);
    rewrite(&channel.token_endpoint_uri);
    rewrite(&channel.endpoint_uri_template);
  }
}

}  // namespace dcr
