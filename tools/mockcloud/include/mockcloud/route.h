#ifndef AMAHOST_MOCKCLOUD_ROUTE_H_
#define AMAHOST_MOCKCLOUD_ROUTE_H_

#include <string>
#include <string_view>
#include <vector>

namespace mockcloud {

// Which endpoint a request path names (docs/mockcloud.md lists them). Pure; thread-safe.
struct Route {
  enum class Kind {
    kNone,     // no endpoint: 404
    kBadPath,  // an endpoint, but a name in it holds characters we refuse: 400
    kPing,     // /ping
    kControl,  // [/dce][/locations/{region}]/subscriptions/…/agentConfigurations
    kToken,    // [/dce][/locations/{region}]/subscriptions/…/issueIngestionToken
    kOds,      // /OperationalData.svc/PostJsonDataItems
    kLogs,     // /dataCollectionRules/{id}/streams/{stream}
    kAdmin,    // /_mock/{name}
    kPage,     // / and the web page's files (/app.js, …): IsWebPagePath
  };
  Kind kind = Kind::kNone;
  // Control and token paths under the /dce prefix (the data collection endpoint mockcloud plays
  // when it redirects the control plane).
  bool dce = false;
  // Control and token: "/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{type}/
  // {name}", rebuilt from the decoded segments.
  std::string agent_resource_id;
  std::string configuration_id;  // token; the DCR immutable id for logs
  std::string channel_id;        // token
  std::string stream;            // logs
  std::string admin_name;        // admin
  std::string page_file;         // page: "" for "/", else the file's name

  // Classifies the percent-decoded path segments (SplitPath). Azure's fixed words
  // (subscriptions, resourceGroups, …) match case-insensitively; "ping", "_mock" and "dce" match
  // exactly.
  static Route Of(const std::vector<std::string>& segments);
};

// The path prefix under which mockcloud serves the control plane as a data collection endpoint.
inline constexpr std::string_view kDcePrefix = "/dce";

// The URL of that endpoint: `base_url` ("https://127.0.0.1:<port>") followed by kDcePrefix.
inline std::string DceUrl(std::string_view base_url) {
  return std::string(base_url) + std::string(kDcePrefix);
}

// Azure resource names and ids: 1-256 letters, digits and "._-()". Anything else in a name we
// echo into JSON or a token is refused rather than escaped, to keep them recognisable.
bool IsResourceName(std::string_view text);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_ROUTE_H_
