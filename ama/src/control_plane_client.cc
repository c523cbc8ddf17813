#include "control_plane_client.h"

#include <algorithm>
#include <cstdlib>

#include "base/files.h"
#include "base/version.h"

namespace ama {
namespace {

constexpr int kMaxRedirects = 3;

bool Retryable(int status) {
  return status == 0 || status == 401 || status == 403 || status == 408 || status == 429 ||
         status >= 500;
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

ControlPlaneClient::ControlPlaneClient(const HostOptions& options, base::Logger& logger,
                                       base::HttpClient& http, std::filesystem::path endpoint_file)
    : options_(options),
      logger_(logger),
      http_(http),
      endpoint_file_(std::move(endpoint_file)),
      backoff_(options.control_retry_base,
               std::max(options.control_retry_base, options.control_retry_max)) {
  std::string remembered;
  if (!base::ReadFile(endpoint_file_, 4096, &remembered)) {
    remembered = Trim(std::move(remembered));
    if (remembered.starts_with("https://") || remembered.starts_with("http://")) {
      redirected_ = remembered;
      logger_.Info("dcr", "asking {} for configurations, as the control plane said before ({})",
                   redirected_, endpoint_file_.string());
    }
  }
}

std::string ControlPlaneClient::ReadToken() const {
  if (!options_.token_file.empty()) {
    std::string token;
    if (std::error_code ec = base::ReadFile(options_.token_file, 64 * 1024, &token)) {
      logger_.Error("dcr", "cannot read the token file {}: {}", options_.token_file.string(),
                    ec.message());
      return {};
    }
    return Trim(std::move(token));
  }
  const char* from_environment = std::getenv("AMAHOST_CONTROL_PLANE_TOKEN");
  return from_environment != nullptr ? from_environment : "";
}

dcr::FetchResult ControlPlaneClient::FetchOnce(const std::string& base_url,
                                               const std::vector<std::string>& etags_in_use) {
  dcr::FetcherOptions fetcher_options;
  fetcher_options.handler_url = base_url;
  fetcher_options.agent_resource_id = options_.resource_id;
  fetcher_options.user_agent = std::string("amahost/") + base::kVersion + "-linux";
  fetcher_options.bearer_token = ReadToken();
  dcr::Fetcher fetcher(fetcher_options, http_);
  return fetcher.Fetch(etags_in_use);
}

void ControlPlaneClient::Remember(const std::string& endpoint) {
  redirected_ = endpoint;
  // The first call of a new host may come before the cache has written anything.
  if (!endpoint.empty()) base::CreateDirectories(endpoint_file_.parent_path());
  std::error_code ec = endpoint.empty()
                           ? base::RemoveFileDurably(endpoint_file_)
                           : base::WriteFileAtomically(endpoint_file_, endpoint + "\n");
  if (ec) {
    logger_.Warning("dcr", "cannot update {}: {}", endpoint_file_.string(), ec.message());
  }
}

dcr::FetchResult ControlPlaneClient::Fetch(const std::vector<std::string>& etags_in_use,
                                           std::chrono::milliseconds* next) {
  dcr::FetchResult result = FetchOnce(endpoint(), etags_in_use);
  for (int hop = 0;
       hop < kMaxRedirects && result.http_status == 421 && !result.redirect_endpoint.empty();
       ++hop) {
    logger_.Info("dcr", "the control plane redirects to {} (HTTP 421); asking there from now on",
                 result.redirect_endpoint);
    Remember(result.redirect_endpoint);
    result = FetchOnce(endpoint(), etags_in_use);
  }
  if (result.outcome != dcr::FetchResult::Outcome::kFailed) {
    failures_ = 0;
    *next = options_.refresh;
    return result;
  }
  if (!redirected_.empty() && (result.http_status == 0 || result.http_status == 404)) {
    logger_.Warning("dcr", "{} did not answer as a control plane; asking {} again next time",
                    redirected_, options_.handler_url);
    Remember("");
  }
  if (!Retryable(result.http_status)) {
    *next = options_.refresh;
    return result;
  }
  std::chrono::milliseconds wait = backoff_.Delay(failures_++);
  if (!result.retry_after.empty()) {
    if (auto asked = base::ParseRetryAfter(result.retry_after, std::chrono::system_clock::now())) {
      wait = std::max(wait, *asked);
    }
  }
  *next = wait;
  return result;
}

}  // namespace ama
