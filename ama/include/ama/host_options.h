#ifndef AMAHOST_AMA_HOST_OPTIONS_H_
#define AMAHOST_AMA_HOST_OPTIONS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/logger.h"
#include "httpserver/listen_address.h"
#include "pipes/socket_address.h"

namespace ama {

// Everything `amahost` can be told on its command line; defaults are what a plain `amahost`
// runs with. Plain data.
struct HostOptions {
  enum class DcrSource {
    kEmbedded,      // the bundled DCRs (ama/data/), uploading to mockcloud on loopback
    kDirectory,     // --dcr-dir
    kControlPlane,  // --handler
  };
  DcrSource source = DcrSource::kEmbedded;
  std::filesystem::path dcr_dir;
  std::string handler_url;
  // How often the DCR folder or the control plane is read again.
  std::chrono::milliseconds refresh{std::chrono::minutes(5)};
  // Retries of a failed control-plane call: full-jitter backoff from base, doubling to max.
  std::chrono::milliseconds control_retry_base{std::chrono::seconds(10)};
  std::chrono::milliseconds control_retry_max{std::chrono::minutes(5)};
  // File holding the control plane's bearer token (--handler only); AMAHOST_CONTROL_PLANE_TOKEN
  // is used when no file is given.
  std::filesystem::path token_file;

  std::filesystem::path state_dir = "amahost-state";  // Tables/, agent-id, lock
  std::filesystem::path config_dir;                   // config-cache/; empty = state_dir
  pipes::SocketNaming naming;
  std::uint16_t fluent_port = 0;  // 0 = no loopback TCP fluent port
  // The Forward shared key the TCP port requires (HELO/PING/PONG); empty = no handshake.
  std::string shared_key;
  std::vector<std::uint32_t> allow_uids;
  std::vector<std::uint32_t> allow_gids;
  std::chrono::milliseconds idle_timeout{std::chrono::hours(1)};
  std::size_t max_connections = 1024;

  // When set, every channel's endpoint and tokenEndpointUri point at this base URL.
  std::string cloud_endpoint;
  std::string ca_file;
  std::string resource_id;  // empty = derived from the host name
  std::string region = "local";
  std::string agent_id;  // empty = kept in <state-dir>/agent-id

  // False: keep records in the tables, never upload (offline collection, benchmarks).
  bool upload = true;
  std::chrono::milliseconds upload_window{std::chrono::seconds(60)};
  std::size_t batch_max_records = 10000;
  std::size_t batch_max_bytes = 4 * 1024 * 1024;
  std::chrono::milliseconds retry_base{std::chrono::seconds(1)};
  std::chrono::milliseconds retry_max{std::chrono::minutes(5)};
  // The upload pipeline: worker threads (0 = one per core), requests in flight, and the memory
  // its bodies may take.
  unsigned upload_workers = 0;
  std::size_t upload_max_requests = 8;
  std::size_t upload_budget_bytes = 64 * 1024 * 1024;
  // Proxies and client certificates of every outbound request (httpclient::CurlHttpClientOptions).
  std::string proxy;
  std::string no_proxy;
  bool proxy_loopback = false;
  std::string client_cert;
  std::string client_key;
  bool sync_full = true;
  // --max-disk-quota-mb: caps the store's quota below what AgentSettings allow (tests, small
  // disks); unset = the AgentSettings value (10000 MiB by default).
  std::optional<std::uint64_t> max_disk_quota_mb;
  // --max-age: records whose event time is older than this are removed from the store, counted
  // as `expired` (localstore::StoreOptions::max_age); 0 = keep them until uploaded or dropped.
  std::chrono::milliseconds max_age{0};
  // --table-idle-timeout: a table unused this long is closed until its next use
  // (localstore::StoreOptions::table_idle_timeout); 0 = tables stay open.
  std::chrono::milliseconds table_idle_timeout{std::chrono::minutes(1)};
  // --max-table-pages: caps every table at this many SQLite pages, which the store treats as a
  // full disk (localstore::StoreOptions::max_table_pages); 0 = no cap. A seam for tests.
  std::uint64_t max_table_pages = 0;

  base::LogLevel log_level = base::LogLevel::kInfo;
  base::LogFormat log_format = base::LogFormat::kText;

  // --config: the JSON file read before the command line (empty = none), and its keys that name
  // no option (warned about at start, then ignored).
  std::filesystem::path config_file;
  std::vector<std::string> config_unknown_keys;

  // --http ADDR:PORT: serve /healthz, /readyz, /metrics and /api/v1/status there over plain
  // HTTP (port 0: any free port, written to <state-dir>/http-port); unset = no HTTP server.
  // Loopback only (127.0.0.0/8, ::1) unless http_allow_remote (--http-allow-remote).
  std::optional<httpserver::ListenAddress> http;
  bool http_allow_remote = false;

  std::filesystem::path effective_config_dir() const {
    return config_dir.empty() ? state_dir : config_dir;
  }
};

enum class ParseOutcome { kRun, kHelp, kVersion, kError };

// Parses the arguments after argv[0]. kError sets `message` to what is wrong.
//
// With --config FILE, the file's keys are read first, each as the flag of its name
// (ConfigFileArguments), then the command line, so that a flag given on the command line wins:
// the file's key for that flag is skipped altogether, so a repeatable flag's list on the command
// line replaces the file's list. A key that names no flag is kept in config_unknown_keys; a value
// its flag refuses fails with the file and the key ("FILE: \"upload-window\": needs a number of
// seconds from 0 to 86400, not 'soon'"). Relative paths in the file are relative to the working
// directory, as on the command line.
ParseOutcome ParseHostOptions(const std::vector<std::string>& args, HostOptions* options,
                              std::string* message);

// The --help text.
std::string HostUsage();

// The resource id used when none is given: a VM named after this host in a placeholder
// subscription.
std::string DefaultResourceId();

}  // namespace ama

#endif  // AMAHOST_AMA_HOST_OPTIONS_H_
