#include "resource_id.h"

#include <vector>

#include "derived_ids.h"

namespace dcr::internal {
namespace {

bool IsSegment(std::string_view text, bool allow_punctuation) {
  // Azure names never end with '.', which also keeps "." and ".." out of URL paths.
  if (text.empty() || text.size() > 90 || text.back() == '.') return false;
  for (char c : text) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (allow_punctuation) ok = ok || c == '.' || c == '_' || c == '(' || c == ')';
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string_view> Split(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash - start));
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

}  // namespace

std::string AgentResourceId::Path() const {
  return "/subscriptions/" + subscription + "/resourceGroups/" + resource_group + "/providers/" +
         provider_type + "/" + name;
}

std::optional<AgentResourceId> ParseAgentResourceId(std::string_view id) {
  std::vector<std::string_view> parts = Split(id);
  // "", subscriptions, {sub}, resourceGroups, {rg}, providers, {namespace}, {type}, {name}
  if (parts.size() != 9 || !parts[0].empty()) return std::nullopt;
  // Azure resource ids compare case-insensitively.
  auto is = [&](std::size_t i, std::string_view word) { return AsciiLower(parts[i]) == word; };
  if (!is(1, "subscriptions") || !is(3, "resourcegroups") || !is(5, "providers")) {
    return std::nullopt;
  }
  AgentResourceId out;
  if (is(6, "microsoft.compute") && is(7, "virtualmachines")) {
    out.provider_type = "Microsoft.Compute/virtualMachines";
  } else if (is(6, "microsoft.hybridcompute") && is(7, "machines")) {
    out.provider_type = "Microsoft.HybridCompute/machines";
  } else {
    return std::nullopt;
  }
  if (!IsSegment(parts[2], false) || !IsSegment(parts[4], true) || !IsSegment(parts[8], true)) {
    return std::nullopt;
  }
  out.subscription = parts[2];
  out.resource_group = parts[4];
  out.name = parts[8];
  return out;
}

}  // namespace dcr::internal
