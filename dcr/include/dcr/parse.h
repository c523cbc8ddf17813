#ifndef AMAHOST_DCR_PARSE_H_
#define AMAHOST_DCR_PARSE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dcr/diagnostics.h"
#include "dcr/model.h"

namespace dcr {

// Parsing and serialising the JSON shapes of docs/protocol.md §1-§2. Pure functions; thread-safe.
//
// Every problem is reported as a Diagnostic naming `source` and the JSON path. Unknown keys and
// unknown content kinds are warnings, never errors: a newer control plane must not break an older
// host. Both `serviceSettings` and `servicesSettings` are accepted inside extensionSettings (they
// are passed through untouched). In AgentSettings, `settings` may be an array or a JSON string
// holding that array. Diagnostics are appended; a null `diagnostics` is allowed.

// Documents larger than this are refused.
inline constexpr std::size_t kMaxDocumentBytes = 16 * 1024 * 1024;
// JSON nested deeper than this (objects and arrays) is refused: parsing is iterative, but
// serialising and comparing JSON values recurses.
inline constexpr int kMaxJsonDepth = 64;

// Parses one configuration's `content` object (agent-side shape). `configuration_id` and `etag`
// are copied into `out`. Returns false (with at least one error) if the content is unusable; `out`
// is then unspecified. docs/dcr.md lists the required fields.
bool ParseContent(std::string_view json, const std::string& source,
                  const std::string& configuration_id, const std::string& etag, Configuration* out,
                  Diagnostics* diagnostics);

// Parses an AMCS agentConfigurations response body: {"configurations":[{"configurationId",
// "eTag","op","content"}]}. Usable configurations are returned in `added`; ids with op "removed"
// go to `removed`. A configuration with errors is left out: its errors are reported with their
// JSON paths, followed by one error at "$.configurations[i]" whose message names it
// (`configuration "dcr-…" refused (2 errors in it)`), and its id goes to `refused`, so that the
// caller can keep the version it already runs. An entry without a usable configurationId cannot
// be named: it is reported and appears in no list. Only the first entry of an id counts (a later
// one is an error, even when the first was refused). Entries with an unknown op are warned and
// appear in no list. Returns false only when the body itself is unusable (not JSON, too large, no
// "configurations" array).
struct ConfigurationsResponse {
  std::vector<Configuration> added;
  std::vector<std::string> removed;
  std::vector<std::string> refused;  // in document order
};
bool ParseConfigurationsResponse(std::string_view body, const std::string& source,
                                 ConfigurationsResponse* out, Diagnostics* diagnostics);

// Writes the agent-side `content` JSON of a configuration (compact). ParseContent of the result
// gives back an equal Configuration.
std::string SerializeContent(const Configuration& configuration);

// Writes {"configurations":[{"configurationId","eTag","op":"added","content"}...]}.
std::string SerializeConfigurations(const std::vector<Configuration>& configurations);

// What the ARM → agent-side translation needs to know about the agent it translates for.
struct TranslationOptions {
  // The agent's Azure resource id; gives the subscription, resource group and VM name of the
  // tokenEndpointUri.
  std::string agent_resource_id =
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/amahost/providers/"
      "Microsoft.Compute/virtualMachines/amahost";
  // The control-plane base URL the tokenEndpointUri points at.
  std::string handler_url = "https://global.handler.control.monitor.azure.com";
};

// Translates a DCR in the ARM resource shape ({"id","name","location","properties":{
// "immutableId","dataSources":{"extensions":[…]},"destinations":{"logAnalytics":[…]},
// "dataFlows":[…]}}) into the agent-side configuration, as AMCS does (docs/dcr.md has the rules):
// Microsoft-ConfigurationChange → CONFIG_CHANGE_BLOB, Microsoft-ConfigurationChangeV2 →
// CONFIG_CHANGE_BLOB_V2, Microsoft-ConfigurationData → CONFIG_DATA_BLOB_V2 with solution
// ChangeTracking; other streams by MapArmStream. configurationId = immutableId (or a stable
// "dcr-<32 hex>" derived from the resource id, or from `json` when there is no id). The eTag is a
// hash of the translated content, so it changes exactly when the translation does. Returns false
// (with at least one error) if the DCR is unusable.
bool TranslateArmDcr(std::string_view json, const std::string& source,
                     const TranslationOptions& options, Configuration* out,
                     Diagnostics* diagnostics);

// The ODS DataType and solution (IPName) an ARM stream name translates to: the three CT streams
// by AMCS's mapping (compared case-insensitively), every other stream by our rule (docs/dcr.md):
// drop a "Microsoft-" or "Custom-" prefix, CamelCase → UPPER_SNAKE, append "_BLOB" unless the
// result already ends so, solution "LogManagement". `data_type` is empty when nothing is left.
struct OdsStream {
  std::string data_type;
  std::string solution;
};
OdsStream MapArmStream(std::string_view arm_stream);

// Replaces scheme://host[:port] of every channel's endpoint, tokenEndpointUri and
// endpointUriTemplate with `base_url` (e.g. "https://127.0.0.1:7443"; trailing '/' dropped),
// keeping paths and queries. Used to point a DCR at a mock cloud. Does nothing when `base_url` is
// not an absolute http(s) URL; URLs that are not are left as they are.
void RewriteChannelEndpoints(std::string_view base_url, Configuration* configuration);

}  // namespace dcr

#endif  // AMAHOST_DCR_PARSE_H_
