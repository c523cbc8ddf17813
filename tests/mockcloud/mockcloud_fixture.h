#ifndef AMAHOST_TESTS_MOCKCLOUD_MOCKCLOUD_FIXTURE_H_
#define AMAHOST_TESTS_MOCKCLOUD_MOCKCLOUD_FIXTURE_H_

#include <rapidjson/document.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/http.h"
#include "httpclient/curl_http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace testing {

// A real `mockcloud` process for tests (the binary at MOCKCLOUD_BINARY), on a free loopback port
// with its own state folder, plus a client for its admin API (docs/mockcloud.md).
//
//   testing::MockCloudProcess cloud;                  // started and listening, or it throws
//   httpclient::CurlHttpClient client({.ca_file = cloud.ca_file()});
//   ... point the code under test at cloud.base_url() ...
//   CHECK(cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 3);
//
// Every method throws std::runtime_error, with the child's log appended, when mockcloud cannot be
// started or reached or answers an admin call with an error: a test that uses it fails loudly.
// Not thread-safe: use one instance from one thread.
class MockCloudProcess {
 public:
  struct Options {
    std::optional<std::filesystem::path> dcr_dir = {};  // --dcr-dir
    int token_max_age_seconds = 0;                      // --token-max-age; 0 = mockcloud's default
    std::vector<std::string> extra_args = {};
    bool redirect_to_dce = false;            // --redirect-to-dce
    bool memory = false;                     // --memory: nothing on disk
    bool discard = false;                    // --discard: items counted, not kept
    std::optional<std::uint64_t> seed = {};  // --seed
    int threads = 0;                         // --threads; 0 = mockcloud's default
    // --require-client-cert; the fixture's own calls then present client_cert_file().
    bool require_client_cert = false;
  };

  // One injected fault (POST /_mock/faults); see docs/mockcloud.md.
  struct Fault {
    std::string target = "all";  // "ods", "logs", "token", "control" or "all"
    int status = 503;            // 0 = latency only
    int count = 1;
    int retry_after = -1;           // seconds; < 0 = no Retry-After header
    bool retry_after_date = false;  // Retry-After as an HTTP date, retry_after seconds ahead
    int latency_ms = 0;
    double probability = 1.0;
  };

  // The control-plane counters of GET /_mock/stats (docs/mockcloud.md, "Admin API").
  struct ControlPlaneStats {
    std::uint64_t calls = 0;                      // agentConfigurations requests, direct and /dce
    std::uint64_t direct_calls = 0;               // without the /dce prefix
    std::uint64_t dce_calls = 0;                  // under /dce
    std::uint64_t redirects = 0;                  // answered 421 by redirect mode
    std::uint64_t ok = 0;                         // answered 200
    std::uint64_t not_modified = 0;               // answered 304
    std::map<int, std::uint64_t> statuses;        // every status answered, faults included
    std::string last_path;                        // "direct", "dce", or "" before the first call
    std::vector<std::string> last_if_none_match;  // the eTags the last call sent
  };

  // One configuration the control plane serves now (GET /_mock/configurations).
  struct ServedConfiguration {
    std::string configuration_id;
    std::string etag;
    std::string source;  // file name in the DCR folder
  };

  // Starts mockcloud and waits (up to 20 s) until it listens.
  MockCloudProcess();
  explicit MockCloudProcess(Options options);
  // Stops it with SIGTERM (SIGKILL after 10 s), prints its log to stderr if it did not exit
  // cleanly, and removes its state folder.
  ~MockCloudProcess();
  MockCloudProcess(const MockCloudProcess&) = delete;
  MockCloudProcess& operator=(const MockCloudProcess&) = delete;

  const std::string& base_url() const { return base_url_; }  // "https://127.0.0.1:<port>"
  // Where redirect mode sends the control plane: base_url() + "/dce".
  std::string dce_url() const { return base_url_ + "/dce"; }
  std::string ca_file() const { return (state_dir() / "ca.pem").string(); }
  // The client certificate mockcloud issues from its CA, and its key (curl --cert/--key); made
  // at every start, required by Options::require_client_cert.
  std::string client_cert_file() const { return (state_dir() / "client.pem").string(); }
  std::string client_key_file() const { return (state_dir() / "client.key").string(); }
  std::uint16_t port() const { return port_; }
  std::filesystem::path state_dir() const { return dir_.path() / "state"; }

  // The DataItems received for `data_type` (all types when empty), in arrival order, each as
  // compact JSON text.
  std::vector<std::string> Items(std::string_view data_type = {});
  // The same, parsed: a JSON array.
  rapidjson::Document ItemsDocument(std::string_view data_type = {});
  std::size_t ItemCount(std::string_view data_type = {});
  // GET /_mock/stats and /_mock/requests, parsed.
  rapidjson::Document Stats();
  rapidjson::Document Requests();

  ControlPlaneStats ControlStats();
  // GET /_mock/configurations, parsed: {"resourceId","configurations":[{"configurationId","eTag",
  // "source"}]}, what the control plane serves now for the agent `resource_id`
  // ("/subscriptions/…"; empty = the agent of the last agentConfigurations request, which must
  // then exist), in file order.
  rapidjson::Document Configurations(std::string_view resource_id = {});
  // The same, as structs.
  std::vector<ServedConfiguration> ServedConfigurations(std::string_view resource_id = {});

  // Redirect mode (POST /_mock/redirect): on, agentConfigurations requests without the /dce
  // prefix are answered 421 with x-ms-agent-config-endpoint: dce_url().
  void SetRedirect(bool enabled);
  bool RedirectEnabled();

  void SetFault(const Fault& fault);
  void ClearFaults();
  // Clears items, requests, faults and counters; redirect mode goes back to Options.
  void Reset();
  // Stops mockcloud and starts it again on the same port with the same state folder.
  void Restart();
  // Stops it (SIGTERM) and returns its exit status as waitpid reports it.
  int Stop();

  // One HTTPS exchange with mockcloud (path like "/ping"), verifying its certificate (and
  // presenting client_cert_file() when Options::require_client_cert).
  base::HttpResponse Send(std::string method, std::string_view path, std::string body = {},
                          std::vector<base::HttpHeader> headers = {});

  // A fresh ingestion token (issueIngestionToken for `configuration_id`), for uploads.
  std::string IngestionToken(std::string_view configuration_id = "dcr-1");

  // Everything mockcloud has printed (stdout and stderr).
  std::string Log() const;

 private:
  void Start(std::uint16_t port);
  rapidjson::Document AdminJson(std::string method, std::string_view path, std::string body = {});
  [[noreturn]] void Fail(const std::string& what) const;

  Options options_;
  TempDir dir_;
  httpclient::CurlGlobal curl_global_;
  // Presents client_cert_file() when Options::require_client_cert.
  std::unique_ptr<httpclient::CurlHttpClient> client_;
  std::unique_ptr<ChildProcess> child_;
  std::string base_url_;
  std::uint16_t port_ = 0;
};

}  // namespace testing

#endif  // AMAHOST_TESTS_MOCKCLOUD_MOCKCLOUD_FIXTURE_H_
