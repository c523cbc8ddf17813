#ifndef AMAHOST_DCR_PARSE_H_
#define AMAHOST_DCR_PARSE_H_

#include <string>
#include <string_view>
#include <vector>

#include "dcr/diagnostics.h"
#include "dcr/model.h"

namespace dcr {

// Parsing and serialising the JSON shapes of PROTOCOL.md §1-§2. Pure functions; thread-safe.
//
// Every problem is reported as a Diagnostic naming `source` and the JSON path. Unknown keys and
// unknown content kinds are warnings, never errors: a newer control plane must not break an older
// host. Both `serviceSettings` and `servicesSettings` are accepted inside extensionSettings (they
// are passed through untouched). In AgentSettings, `settings` may be an array or a JSON string
// holding that array.

// Parses one configuration's `content` object (agent-side shape). `configuration_id` and `etag`
// are copied into `out`. Returns false (with at least one error) if the content is unusable.
bool ParseContent(std::string_view json, const std::string& source,
                  const std::string& configuration_id, const std::string& etag,
                  Configuration* out, Diagnostics* diagnostics);

// Parses an AMCS agentConfigurations response body: {"configurations":[{"configurationId",
// "eTag","op","content"}]}. Configurations with errors are left out (and reported); the others
// are returned in `added`; ids with op "removed" go to `removed`.
struct ConfigurationsResponse {
  std::vector<Configuration> added;
  std::vector<std::string> removed;
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
// ChangeTracking; other streams by the documented rule. configurationId = immutableId (or a
// stable id derived from the resource id when absent).
bool TranslateArmDcr(std::string_view json, const std::string& source,
                     const TranslationOptions& options, Configuration* out,
                     Diagnostics* diagnostics);

// Replaces scheme://host[:port] of every channel's endpoint and tokenEndpointUri with
// `base_url` (e.g. "https://127.0.0.1:7443"), keeping paths and queries. Used to point a DCR at
// a mock cloud.
void RewriteChannelEndpoints(std::string_view base_url, Configuration* configuration);

}  // namespace dcr

#endif  // AMAHOST_DCR_PARSE_H_
