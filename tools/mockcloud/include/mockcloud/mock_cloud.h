#ifndef AMAHOST_MOCKCLOUD_MOCK_CLOUD_H_
#define AMAHOST_MOCKCLOUD_MOCK_CLOUD_H_

#include <chrono>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/logger.h"
#include "mockcloud/admin_api.h"
#include "mockcloud/control_plane.h"
#include "mockcloud/fault_injector.h"
#include "mockcloud/http_message.h"
#include "mockcloud/item_store.h"
#include "mockcloud/route.h"
#include "mockcloud/token_issuer.h"
#include "mockcloud/upload_parser.h"

namespace mockcloud {

struct MockCloudOptions {
  std::optional<std::filesystem::path> dcr_dir;  // none = no configurations
  std::chrono::seconds token_max_age{3600};
  UploadLimits upload_limits;
  // Start in redirect mode (ServiceSettings::redirect_to_dce; --redirect-to-dce).
  bool redirect_to_dce = false;
};

// The Azure side of amahost, as a request → reply function with no sockets: routes each request
// to the control plane, the token endpoint, the ODS and Logs Ingestion endpoints or the admin API
// (docs/mockcloud.md lists them), applies injected faults, and records uploads in the store.
// Refused uploads are logged at warning with the reason; tokens are never logged.
//
// The control plane is also served under /dce, as the data collection endpoint an AMCS redirect
// names. In redirect mode, agentConfigurations requests on the direct paths are answered 421 with
// x-ms-agent-config-endpoint: <base url>/dce; token and upload requests never are. Injected
// faults come first: a faulted direct request gets the fault, not the 421.
//
// Thread-compatible: mockcloud calls it from its one io thread.
class MockCloud {
 public:
  MockCloud(MockCloudOptions options, ItemStore& store, base::Logger& logger);

  // The URL clients reach mockcloud at ("https://127.0.0.1:<port>"); channels in served DCRs are
  // pointed there. Set once the port is known, before the first request.
  void set_base_url(std::string base_url) { base_url_ = std::move(base_url); }
  const std::string& base_url() const { return base_url_; }

  Reply Handle(const Request& request);

 private:
  Response HandleFault(const Request& request, const Route& route, const Fault& fault);
  Response HandleControl(const Request& request, const Route& route);
  Response Redirect();
  // Counts an agentConfigurations request before it is answered, and its answer after.
  void CountControlRequest(const Request& request, const Route& route);
  void CountControlAnswer(const Response& response);
  Response HandleToken(const Route& route);
  Response HandleOds(const Request& request, const QueryParams& params);
  Response HandleLogs(const Request& request, const Route& route, const QueryParams& params);
  // Records an upload request's outcome (and its items when 2xx) and returns the response.
  Response Finish(UploadRecord record, const std::vector<std::string>& items, Response response);
  std::optional<Response> CheckToken(const Request& request, UploadRecord* record);

  MockCloudOptions options_;
  ItemStore& store_;
  base::Logger& logger_;
  std::string base_url_ = "https://127.0.0.1";
  std::mt19937_64 random_;
  TokenIssuer tokens_;
  FaultInjector faults_;
  ServiceCounters counters_;
  ServiceSettings settings_;
  ControlPlane control_;
  AdminApi admin_;
};

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_MOCK_CLOUD_H_
