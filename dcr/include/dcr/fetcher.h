#ifndef AMAHOST_DCR_FETCHER_H_
#define AMAHOST_DCR_FETCHER_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "base/http.h"
#include "dcr/diagnostics.h"
#include "dcr/parse.h"

namespace dcr {

struct FetcherOptions {
  // Control-plane base URL, e.g. "https://global.handler.control.monitor.azure.com".
  std::string handler_url;
  // The agent's resource id: /subscriptions/{sub}/resourceGroups/{rg}/providers/
  // Microsoft.Compute/virtualMachines/{vm} (or Microsoft.HybridCompute/machines/{name}).
  std::string agent_resource_id;
  // "amahost/<version>-linux".
  std::string user_agent;
  // Sent as "Authorization: Bearer <token>" when not empty. Never logged.
  std::string bearer_token;
  std::chrono::milliseconds timeout{30000};
};

// The outcome of one control-plane call.
struct FetchResult {
  enum class Outcome {
    kUpdated,      // 200: `response` holds what was added or removed
    kNotModified,  // 304
    kFailed,       // transport error, or a status other than 200/304: `error` says which
  };
  Outcome outcome = Outcome::kFailed;
  int http_status = 0;  // 0 when no response arrived
  // Why it failed: the URL, the transport error or the status and a bounded (512-byte), sanitised
  // excerpt of the body. Never contains the bearer token.
  std::string error;
  // 421: the x-ms-agent-config-endpoint header (an http(s) URL) the control plane redirects to;
  // empty otherwise. The caller decides whether to follow it.
  std::string redirect_endpoint;
  // The Retry-After header of a failed call (429, 503, …), as sent; empty when there was none.
  std::string retry_after;
  ConfigurationsResponse response;
  Diagnostics diagnostics;  // problems in the configurations received
};

// Fetches agent configurations from an AMCS-shaped control plane (docs/protocol.md §1). No threads
// and no timers: the caller decides when to call Fetch(). Thread-compatible.
class Fetcher {
 public:
  // `http` must outlive the Fetcher.
  Fetcher(FetcherOptions options, base::HttpClient& http);

  // GET {handler}/subscriptions/…/agentConfigurations?platform=linux&includeMeConfig=true&
  // api-version=2022-06-02 with User-Agent, x-ms-client-request-id (a new UUID per call),
  // Authorization and, when `etags_in_use` is not empty, If-None-Match: the eTags joined by ",",
  // split over several If-None-Match headers so that none passes kMaxIfNoneMatchBytes (an eTag
  // longer than that gets a header of its own). Empty eTags and eTags with control characters are
  // left out. A 200 body is parsed with ParseConfigurationsResponse (source = the URL); a body it
  // cannot use makes the outcome kFailed. Fails without a request when the options are invalid
  // (agent_resource_id not a VM or Arc machine id, handler_url not http(s), control characters
  // in the token or user agent).
  FetchResult Fetch(const std::vector<std::string>& etags_in_use);

  // The URL Fetch() requests, or "" when handler_url or agent_resource_id is invalid.
  std::string AgentConfigurationsUrl() const;

  static constexpr std::size_t kMaxIfNoneMatchBytes = 8192;

 private:
  FetcherOptions options_;
  base::HttpClient& http_;
};

}  // namespace dcr

#endif  // AMAHOST_DCR_FETCHER_H_
