#ifndef AMAHOST_AMA_CONFIG_SOURCE_H_
#define AMAHOST_AMA_CONFIG_SOURCE_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ama/host_options.h"
#include "base/http.h"
#include "base/logger.h"
#include "base/thread_annotations.h"
#include "control_plane_client.h"
#include "dcr/config_cache.h"
#include "dcr/fetcher.h"
#include "dcr/model.h"

namespace ama {

// How the configuration source is doing, for the host's status: whether its last attempts to
// read the folder or to ask the control plane failed, and since when. Times are ns since the
// Unix epoch, 0 = never.
struct ConfigSourceStatus {
  std::string kind;      // "embedded", "directory" or "controlPlane"
  std::string location;  // the folder, or the URL asked next (the handler or a 421's endpoint)
  std::int64_t last_attempt_unix_ns = 0;
  std::int64_t last_success_unix_ns = 0;   // the last folder read, or 200/304 answer
  std::int64_t failing_since_unix_ns = 0;  // the first failure since the last success; 0 = none
  std::uint64_t failures = 0;              // attempts failed in a row
  std::string last_error;                  // of the last attempt, while failing
};

// Where the host's configurations come from — the bundled DCR, a folder of DCR files or an
// AMCS-shaped control plane — and the config-chunk cache that mirrors what is in use.
//
// Thread-compatible: the host uses it at start-up, then only from its control thread; except
// status() and progress(), which any thread may call.
class ConfigSource {
 public:
  // Whether there is a configuration to serve, and what the control plane answered so far.
  struct Progress {
    // The bundled DCRs or the folder once read; with a control plane, a cached last known good
    // set or the control plane's first answer (updated or not modified).
    bool loaded = false;
    std::string waiting_for;  // when not loaded: what for, and the last failure
    // Control-plane fetches by outcome (dcr::FetchResult::Outcome).
    std::uint64_t fetches_updated = 0;
    std::uint64_t fetches_not_modified = 0;
    std::uint64_t fetches_failed = 0;
  };

  // `http` is used for the control plane only and must outlive the ConfigSource (may be null
  // for the other sources).
  ConfigSource(const HostOptions& options, base::Logger& logger, base::HttpClient* http);

  // Loads the set to start with: the bundled DCR, the folder, or (control plane) the last known
  // good set from the cache — the control plane itself is asked by the first Refresh(), so that
  // extensions are served at once. Fails only when a folder cannot be read or the bundled DCR is
  // broken.
  bool LoadInitial(std::string* error);

  struct RefreshResult {
    bool changed = false;              // the set changed (and the cache was rewritten)
    std::chrono::milliseconds next{};  // when to refresh again
  };
  // Reads the folder again or asks the control plane for changes.
  RefreshResult Refresh();

  const std::vector<dcr::Configuration>& configurations() const { return configurations_; }
  // One line for the start-up banner: where the DCRs come from.
  std::string Describe() const;
  // A snapshot of how refreshing goes. Thread-safe.
  ConfigSourceStatus status() const;
  Progress progress() const;

 private:
  void Log(const dcr::Diagnostics& diagnostics);
  void Prepare(std::vector<dcr::Configuration>* configurations) const;
  bool Replace(std::vector<dcr::Configuration> configurations);
  RefreshResult RefreshFromControlPlane();
  // Records the outcome of one attempt to read the folder or ask the control plane.
  void Attempted(bool ok, const std::string& error);

  const HostOptions& options_;
  base::Logger& logger_;
  base::HttpClient* http_;
  dcr::ConfigCache cache_;
  std::unique_ptr<ControlPlaneClient> control_plane_;  // --handler only
  std::vector<dcr::Configuration> configurations_;     // sorted by configurationId

  mutable base::Mutex status_mutex_;
  ConfigSourceStatus status_ GUARDED_BY(status_mutex_);
  mutable base::Mutex progress_mutex_;
  Progress progress_ GUARDED_BY(progress_mutex_);
};

}  // namespace ama

#endif  // AMAHOST_AMA_CONFIG_SOURCE_H_
