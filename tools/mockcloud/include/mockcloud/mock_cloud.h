#ifndef AMAHOST_MOCKCLOUD_MOCK_CLOUD_H_
#define AMAHOST_MOCKCLOUD_MOCK_CLOUD_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/logger.h"
#include "base/thread_annotations.h"
#include "mockcloud/admin_api.h"
#include "mockcloud/control_plane.h"
#include "mockcloud/fault_injector.h"
#include "mockcloud/http_message.h"
#include "mockcloud/item_store.h"
#include "mockcloud/route.h"
#include "mockcloud/schema_check.h"
#include "mockcloud/table_schema.h"
#include "mockcloud/token_issuer.h"
#include "mockcloud/upload_parser.h"

namespace mockcloud {

struct MockCloudOptions {
  std::optional<std::filesystem::path> dcr_dir;  // none = no configurations
  std::chrono::seconds token_max_age{3600};
  UploadLimits upload_limits;
  // Start in redirect mode (ServiceSettings::redirect_to_dce; --redirect-to-dce).
  bool redirect_to_dce = false;
  // Seeds the generator that fault probabilities are drawn from (--seed), so that the same
  // requests in the same order meet the same faults; POST /_mock/reset seeds it again. None = a
  // random seed, not repeated by a reset.
  std::optional<std::uint64_t> seed;
  // The tables that accepted DataItems are checked against, by DataType or stream (--schema):
  // what Azure would do with the records. The check reports, never refuses.
  SchemaSet schemas = SchemaSet::Builtin();
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
// Uploads are checked as the store needs them: with their item texts, or only counted when the
// store discards items (ItemStore::keeps_items()). The items of an accepted upload whose DataType
// (or stream) has a table in options.schemas are checked against it while they are read; the
// report goes to /_mock/requests, the counts to /_mock/stats, and a summary to the log at
// warning: the first at once, then at most one every kSchemaWarningInterval, saying how many
// were left out.
//
// Thread-safe: Handle() may run on many threads at once. Faults, tokens, counters, settings, the
// control plane and the admin API are serialised by one mutex; the store has its own. An upload
// holds the first only to draw its fault and check its token, and the store's only to record
// itself, so that the costly part (inflating and reading the JSON) runs in parallel.
class MockCloud {
 public:
  static constexpr std::chrono::seconds kSchemaWarningInterval{10};

  MockCloud(MockCloudOptions options, ItemStore& store, base::Logger& logger);

  // The URL clients reach mockcloud at ("https://127.0.0.1:<port>"); channels in served DCRs are
  // pointed there. Set once the port is known, before the first request.
  void set_base_url(std::string base_url) { base_url_ = std::move(base_url); }
  const std::string& base_url() const { return base_url_; }

  Reply Handle(const Request& request) LOCKS_EXCLUDED(mutex_);

 private:
  // The fault for a request of `target`, if one applies.
  std::optional<Fault> DrawFault(FaultTarget target) LOCKS_EXCLUDED(mutex_);
  Response HandleFault(const Request& request, const Route& route, const Fault& fault);
  Response HandleControl(const Request& request, const Route& route)
      EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  Response Redirect() EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Counts an agentConfigurations request before it is answered, and its answer after.
  void CountControlRequest(const Request& request, const Route& route)
      EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void CountControlAnswer(const Response& response) EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  Response HandleToken(const Route& route) EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  Response HandleOds(const Request& request, const QueryParams& params) LOCKS_EXCLUDED(mutex_);
  Response HandleLogs(const Request& request, const Route& route, const QueryParams& params)
      LOCKS_EXCLUDED(mutex_);
  // Records an upload request's outcome (and its items when 2xx) and returns the response.
  // `schema`: what the check made of the items of an accepted upload; null for a refused one.
  Response Finish(UploadRecord record, DataItems items, Response response,
                  const SchemaResult* schema = nullptr) LOCKS_EXCLUDED(mutex_);
  // Counts an accepted upload's schema result and logs its problems, rate-limited.
  void NoteSchema(const UploadRecord& record, const SchemaResult& schema) LOCKS_EXCLUDED(mutex_);
  std::optional<Response> CheckToken(const Request& request, UploadRecord* record)
      LOCKS_EXCLUDED(mutex_);
  // A new record of an upload to `endpoint` ("ods" or "logs"), with what the headers say.
  static UploadRecord NewRecord(const Request& request, std::string_view endpoint);

  const MockCloudOptions options_;
  ItemStore& store_;
  base::Logger& logger_;
  const ItemCapture capture_;
  std::string base_url_ = "https://127.0.0.1";  // set before the threads start

  base::Mutex mutex_;
  std::mt19937_64 random_ GUARDED_BY(mutex_);
  TokenIssuer tokens_ GUARDED_BY(mutex_);
  FaultInjector faults_ GUARDED_BY(mutex_);
  ServiceCounters counters_ GUARDED_BY(mutex_);
  ServiceSettings settings_ GUARDED_BY(mutex_);
  ControlPlane control_ GUARDED_BY(mutex_);
  // Schema warnings: when the last was logged, and how many were left out since.
  std::optional<std::chrono::steady_clock::time_point> last_schema_warning_ GUARDED_BY(mutex_);
  std::uint64_t schema_warnings_left_out_ GUARDED_BY(mutex_) = 0;
  // Holds references to the members above: called with mutex_ held. It takes the store's lock
  // inside ours, never the other way round.
  AdminApi admin_ GUARDED_BY(mutex_);
};

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_MOCK_CLOUD_H_
