#ifndef AMAHOST_AMA_CONTROL_PLANE_CLIENT_H_
#define AMAHOST_AMA_CONTROL_PLANE_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ama/host_options.h"
#include "base/backoff.h"
#include "base/http.h"
#include "base/logger.h"
#include "dcr/fetcher.h"

namespace ama {

// Asks an AMCS-shaped control plane for changes (docs/protocol.md §1) and decides when to ask next.
//
// - A 421 with x-ms-agent-config-endpoint is followed at once (at most 3 hops in a row) and the
//   endpoint remembered, in memory and in `endpoint_file`, for later calls and restarts; when the
//   remembered endpoint cannot be reached (or answers 404), the next call goes to the handler
//   again, which redirects again if it still should.
// - After an answer (200 or 304) the next call is one refresh period away. After a failure worth
//   retrying — no answer, 401/403 (the token file may be renewed), 408, 429 or 5xx — it is a
//   backoff with full jitter (base doubling to a cap), or the Retry-After the control plane asked
//   for if that is longer. Other failures wait a refresh period.
//
// Thread-compatible: the host's control thread owns it.
class ControlPlaneClient {
 public:
  // `http` and `logger` must outlive the client.
  ControlPlaneClient(const HostOptions& options, base::Logger& logger, base::HttpClient& http,
                     std::filesystem::path endpoint_file);

  // One exchange (following redirects); `next` is set to the wait before the next one.
  dcr::FetchResult Fetch(const std::vector<std::string>& etags_in_use,
                         std::chrono::milliseconds* next);

  // The URL the next call goes to: the remembered endpoint or the handler.
  const std::string& endpoint() const {
    return redirected_.empty() ? options_.handler_url : redirected_;
  }
  std::uint32_t consecutive_failures() const { return failures_; }

 private:
  dcr::FetchResult FetchOnce(const std::string& base_url,
                             const std::vector<std::string>& etags_in_use);
  void Remember(const std::string& endpoint);
  std::string ReadToken() const;

  const HostOptions& options_;
  base::Logger& logger_;
  base::HttpClient& http_;
  std::filesystem::path endpoint_file_;
  std::string redirected_;  // empty: ask the handler
  base::Backoff backoff_;
  std::uint32_t failures_ = 0;
};

}  // namespace ama

#endif  // AMAHOST_AMA_CONTROL_PLANE_CLIENT_H_
