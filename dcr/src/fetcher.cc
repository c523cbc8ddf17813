#include "dcr/fetcher.h"

#include "base/uuid.h"
#include "json_util.h"
#include "resource_id.h"
#include "url_util.h"

namespace dcr {
namespace {

constexpr std::size_t kMaxBodyExcerpt = 512;

// A short, printable, single-line excerpt of an error body, with the token cut out in case a
// server echoes the request back.
std::string BodyExcerpt(std::string body, const std::string& token) {
  if (!token.empty()) {
    for (std::size_t at = body.find(token); at != std::string::npos; at = body.find(token, at)) {
      body.replace(at, token.size(), "<redacted>");
    }
  }
  bool truncated = body.size() > kMaxBodyExcerpt;
  if (truncated) body.resize(kMaxBodyExcerpt);
  for (char& c : body) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) c = byte >= 0x80 ? '?' : ' ';
  }
  if (truncated) body += "...";
  return body;
}

std::vector<std::string> IfNoneMatchValues(const std::vector<std::string>& etags) {
  std::vector<std::string> values;
  std::string current;
  for (const std::string& etag : etags) {
    if (etag.empty() || internal::HasControlCharacter(etag)) continue;
    if (!current.empty() && current.size() + 1 + etag.size() > Fetcher::kMaxIfNoneMatchBytes) {
      values.push_back(std::move(current));
      current.clear();
    }
    if (!current.empty()) current += ',';
    current += etag;
  }
  if (!current.empty()) values.push_back(std::move(current));
  return values;
}

}  // namespace

Fetcher::Fetcher(FetcherOptions options, base::HttpClient& http)
    : options_(std::move(options)), http_(http) {}

std::string Fetcher::AgentConfigurationsUrl() const {
  auto agent = internal::ParseAgentResourceId(options_.agent_resource_id);
  std::string_view handler = internal::TrimTrailingSlashes(options_.handler_url);
  if (!agent || !internal::IsHttpUrl(handler)) return "";
  return std::string(handler) + agent->Path() +
         "/agentConfigurations?platform=linux&includeMeConfig=true&api-version=2022-06-02";
}

FetchResult Fetcher::Fetch(const std::vector<std::string>& etags_in_use) {
  FetchResult result;
  std::string url = AgentConfigurationsUrl();
  if (url.empty()) {
    result.error = "cannot fetch: the handler URL \"" + options_.handler_url +
                   "\" or the agent resource id \"" + options_.agent_resource_id +
                   "\" is not valid";
    return result;
  }
  if (internal::HasControlCharacter(options_.bearer_token) ||
      internal::HasControlCharacter(options_.user_agent)) {
    result.error = "cannot fetch: the bearer token or the user agent contains control characters";
    return result;
  }
  base::HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.timeout = options_.timeout;
  request.max_response_bytes = kMaxDocumentBytes;
  request.headers.push_back({"User-Agent", options_.user_agent});
  request.headers.push_back({"x-ms-client-request-id", base::NewUuid()});
  if (!options_.bearer_token.empty()) {
    request.headers.push_back({"Authorization", "Bearer " + options_.bearer_token});
  }
  for (std::string& value : IfNoneMatchValues(etags_in_use)) {
    request.headers.push_back({"If-None-Match", std::move(value)});
  }

  base::HttpResponse response;
  if (std::error_code ec = http_.Send(request, &response)) {
    result.error = "GET " + url + " failed: " + ec.message();
    return result;
  }
  result.http_status = response.status;
  if (response.status == 304) {
    result.outcome = FetchResult::Outcome::kNotModified;
    return result;
  }
  if (response.status == 200) {
    if (ParseConfigurationsResponse(response.body, url, &result.response, &result.diagnostics)) {
      result.outcome = FetchResult::Outcome::kUpdated;
    } else {
      result.response = ConfigurationsResponse();
      result.error = "GET " + url + ": HTTP 200 with a body that is not a configurations document";
    }
    return result;
  }
  if (const std::string* retry_after = response.FindHeader("Retry-After")) {
    result.retry_after = *retry_after;
  }
  if (response.status == 421) {
    const std::string* endpoint = response.FindHeader("x-ms-agent-config-endpoint");
    if (endpoint != nullptr && internal::IsHttpUrl(*endpoint)) {
      result.redirect_endpoint = *endpoint;
    }
  }
  result.error = "GET " + url + ": HTTP " + std::to_string(response.status) + ": " +
                 BodyExcerpt(std::move(response.body), options_.bearer_token);
  return result;
}

}  // namespace dcr
