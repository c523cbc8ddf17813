#include "mockcloud/route.h"

#include <fmt/format.h>

#include <cstddef>

#include "base/http.h"
#include "mockcloud/web_page.h"

namespace mockcloud {
namespace {

bool SegmentIs(const std::string& segment, std::string_view literal) {
  return base::HeaderNameEquals(segment, literal);  // Azure paths are case-insensitive
}

// [locations/{region}/]subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{type}/
// {name}/agentConfigurations[/{configurationId}/channels/{channelId}/issueIngestionToken],
// starting at segment `first`.
void ParseAgentPath(const std::vector<std::string>& s, std::size_t first, Route* route) {
  std::size_t n = s.size();
  std::size_t i = (n >= first + 2 && SegmentIs(s[first], "locations")) ? first + 2 : first;
  if (n < i + 9 || !SegmentIs(s[i], "subscriptions") || !SegmentIs(s[i + 2], "resourceGroups") ||
      !SegmentIs(s[i + 4], "providers") || !SegmentIs(s[i + 8], "agentConfigurations")) {
    return;
  }
  bool control = n == i + 9;
  bool token = n == i + 13 && SegmentIs(s[i + 10], "channels") &&
               SegmentIs(s[i + 12], "issueIngestionToken");
  if (!control && !token) return;
  bool names_ok = i == first || IsResourceName(s[first + 1]);
  for (std::size_t k : {1, 3, 5, 6, 7}) names_ok = names_ok && IsResourceName(s[i + k]);
  if (token) names_ok = names_ok && IsResourceName(s[i + 9]) && IsResourceName(s[i + 11]);
  if (!names_ok) {
    route->kind = Route::Kind::kBadPath;
    return;
  }
  route->kind = control ? Route::Kind::kControl : Route::Kind::kToken;
  route->agent_resource_id = fmt::format("/subscriptions/{}/resourceGroups/{}/providers/{}/{}/{}",
                                         s[i + 1], s[i + 3], s[i + 5], s[i + 6], s[i + 7]);
  if (token) {
    route->configuration_id = s[i + 9];
    route->channel_id = s[i + 11];
  }
}

}  // namespace

bool IsResourceName(std::string_view text) {
  if (text.empty() || text.size() > 256) return false;
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '(' || c == ')';
    if (!ok) return false;
  }
  return true;
}

Route Route::Of(const std::vector<std::string>& s) {
  Route route;
  std::size_t n = s.size();
  if (n == 1 && s[0] == "ping") route.kind = Kind::kPing;
  if (n == 1 && IsWebPagePath(s[0])) {
    route.kind = Kind::kPage;
    route.page_file = s[0];
  }
  if (n == 2 && s[0] == "_mock") {
    route.kind = Kind::kAdmin;
    route.admin_name = s[1];
  }
  if (n == 2 && SegmentIs(s[0], "OperationalData.svc") && SegmentIs(s[1], "PostJsonDataItems")) {
    route.kind = Kind::kOds;
  }
  if (n == 4 && SegmentIs(s[0], "dataCollectionRules") && SegmentIs(s[2], "streams")) {
    route.kind = IsResourceName(s[1]) && IsResourceName(s[3]) ? Kind::kLogs : Kind::kBadPath;
    route.configuration_id = s[1];
    route.stream = s[3];
  }
  // Only the agentConfigurations tree lives under /dce: uploads and /ping stay on the main URL.
  route.dce = n >= 1 && s[0] == kDcePrefix.substr(1);
  if (route.kind == Kind::kNone) ParseAgentPath(s, route.dce ? 1 : 0, &route);
  return route;
}

}  // namespace mockcloud
