#ifndef AMAHOST_DCR_RESOURCE_ID_H_
#define AMAHOST_DCR_RESOURCE_ID_H_

// The agent's Azure resource id, as the fetcher and the ARM translation put it into URLs.
// Internal to dcr.

#include <optional>
#include <string>
#include <string_view>

namespace dcr::internal {

struct AgentResourceId {
  std::string subscription;
  std::string resource_group;
  std::string
      provider_type;  // "Microsoft.Compute/virtualMachines" or "Microsoft.HybridCompute/machines"
  std::string name;

  // "/subscriptions/{sub}/resourceGroups/{rg}/providers/{provider_type}/{name}", fixed words in
  // their canonical case.
  std::string Path() const;
};

// Accepts /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm}
// and …/providers/Microsoft.HybridCompute/machines/{name}, fixed words in any case. Every variable
// segment must be 1-90 characters of [A-Za-z0-9._()-] (subscription: [A-Za-z0-9-]) not ending
// with '.', so that it can go into a URL path unescaped. nullopt otherwise.
std::optional<AgentResourceId> ParseAgentResourceId(std::string_view id);

}  // namespace dcr::internal

#endif  // AMAHOST_DCR_RESOURCE_ID_H_
