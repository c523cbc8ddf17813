#ifndef AMAHOST_DCR_MODEL_H_
#define AMAHOST_DCR_MODEL_H_

#include <string>
#include <utility>
#include <vector>

namespace dcr {

// The agent-side model of the configurations AMCS hands an agent (docs/protocol.md §1-§2;
// docs/protocol.md §1). Plain data: copyable, no behaviour, thread-compatible.
//
// Opaque sub-documents that the host only passes through to extensions (extensionSettings,
// inputStreams, a data source's `configuration`) are kept as compact JSON text so that they reach
// the extension byte-for-byte as the control plane wrote them (modulo whitespace). Those *_json
// fields must hold valid JSON; a serialiser that meets one that does not writes {} instead.
//
// operator== compares every field (source included); it exists so that tests and the cache can
// tell whether a configuration changed.

// One entry of `channels`.
struct Channel {
  std::string id;                     // "ods-<workspace guid>"
  std::string protocol;               // "ods", "gig", "me", ... (only "ods" is uploaded today)
  std::string endpoint;               // ods: "https://<ws>.ods.opinsights.azure.com"
  std::string token_endpoint_uri;     // GET → {"configurationId","ingestionAuthToken"}
  std::string endpoint_uri_template;  // gig: with a "<STREAM>" placeholder

  friend bool operator==(const Channel&, const Channel&) = default;
};

// One entry of a data source's `streams`.
struct StreamBinding {
  std::string stream;                   // the ODS DATATYPE, e.g. "CONFIG_CHANGE_BLOB_V2"
  std::string solution;                 // the ODS IPName, e.g. "ChangeTracking"
  std::string extension_output_stream;  // the stream id "<dcr>:<data source>:<DATATYPE>"

  friend bool operator==(const StreamBinding&, const StreamBinding&) = default;
};

// One entry of `dataSources`.
struct DataSource {
  std::string id;                         // "CTDataSource-Linux"
  std::string kind;                       // "extension", "winEventLog", ...
  std::string extension_name;             // configuration.extensionName, for kind "extension"
  std::string configuration_json = "{}";  // the whole `configuration` object
  std::vector<StreamBinding> streams;
  std::vector<std::string> send_to_channels;

  friend bool operator==(const DataSource&, const DataSource&) = default;
};

// One element of `extensionConfigurations.<ExtensionName>`.
struct ExtensionConfiguration {
  std::string id;  // "<dcr>:<data source>"
  std::vector<std::string> origin_ids;
  std::string extension_settings_json = "{}";
  std::string input_streams_json = "{}";
  // DATATYPE → stream id, in document order.
  std::vector<std::pair<std::string, std::string>> output_streams;

  friend bool operator==(const ExtensionConfiguration&, const ExtensionConfiguration&) = default;
};

// The content of a DCR.
struct Dcr {
  std::vector<DataSource> data_sources;
  std::vector<Channel> channels;
  // ExtensionName → configurations, in document order.
  std::vector<std::pair<std::string, std::vector<ExtensionConfiguration>>> extension_configurations;

  friend bool operator==(const Dcr&, const Dcr&) = default;
};

// `{"kind":"AgentSettings","settings":[{"name","value"}]}`; values are kept as text.
struct AgentSettings {
  std::vector<std::pair<std::string, std::string>> settings;

  friend bool operator==(const AgentSettings&, const AgentSettings&) = default;
};

enum class ContentKind { kDcr, kAgentSettings, kUnknown };

// One configuration as the control plane sends it, or as loaded from a file or the cache.
struct Configuration {
  std::string configuration_id;  // "dcr-<32 hex>" for DCRs
  std::string etag;
  ContentKind kind = ContentKind::kDcr;
  Dcr dcr;                       // when kind == kDcr
  AgentSettings agent_settings;  // when kind == kAgentSettings
  // When kind == kUnknown: the content as received (compact JSON), kept so that the cache can
  // hand it back unchanged.
  std::string unknown_content_json;
  // Where it came from ("dcrs/ct.json", a URL, a chunk file), for messages only.
  std::string source;

  friend bool operator==(const Configuration&, const Configuration&) = default;
};

}  // namespace dcr

#endif  // AMAHOST_DCR_MODEL_H_
