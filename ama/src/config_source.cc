#include "config_source.h"

#include <algorithm>

#include "ama/embedded_dcr.h"
#include "base/files.h"
#include "dcr/loader.h"
#include "dcr/parse.h"

namespace ama {
namespace {

bool SameConfigurations(const std::vector<dcr::Configuration>& a,
                        const std::vector<dcr::Configuration>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].configuration_id != b[i].configuration_id || a[i].etag != b[i].etag ||
        dcr::SerializeContent(a[i]) != dcr::SerializeContent(b[i])) {
      return false;
    }
  }
  return true;
}

std::int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ConfigSource::ConfigSource(const HostOptions& options, base::Logger& logger, base::HttpClient* http)
    : options_(options), logger_(logger), http_(http), cache_(options.effective_config_dir()) {
  if (options.source == HostOptions::DcrSource::kControlPlane) {
    control_plane_ = std::make_unique<ControlPlaneClient>(options, logger, *http,
                                                          cache_.folder() / "mcsendpoint.txt");
  }
  switch (options.source) {
    case HostOptions::DcrSource::kEmbedded:
      status_.kind = "embedded";
      break;
    case HostOptions::DcrSource::kDirectory:
      status_.kind = "directory";
      status_.location = options.dcr_dir.string();
      break;
    case HostOptions::DcrSource::kControlPlane:
      status_.kind = "controlPlane";
      status_.location = control_plane_->endpoint();
      break;
  }
}

void ConfigSource::Attempted(bool ok, const std::string& error) {
  const std::int64_t now = NowUnixNs();
  base::MutexLock lock(&status_mutex_);
  status_.last_attempt_unix_ns = now;
  if (control_plane_) status_.location = control_plane_->endpoint();
  if (ok) {
    status_.last_success_unix_ns = now;
    status_.failing_since_unix_ns = 0;
    status_.failures = 0;
    status_.last_error.clear();
    return;
  }
  if (status_.failing_since_unix_ns == 0) status_.failing_since_unix_ns = now;
  ++status_.failures;
  status_.last_error = error;
}

ConfigSourceStatus ConfigSource::status() const {
  base::MutexLock lock(&status_mutex_);
  return status_;
}

void ConfigSource::Log(const dcr::Diagnostics& diagnostics) {
  for (const dcr::Diagnostic& diagnostic : diagnostics) {
    if (diagnostic.severity == dcr::Diagnostic::Severity::kError) {
      logger_.Error("dcr", "{}", diagnostic.ToString());
    } else {
      logger_.Warning("dcr", "{}", diagnostic.ToString());
    }
  }
}

void ConfigSource::Prepare(std::vector<dcr::Configuration>* configurations) const {
  if (!options_.cloud_endpoint.empty()) {
    for (dcr::Configuration& configuration : *configurations) {
      dcr::RewriteChannelEndpoints(options_.cloud_endpoint, &configuration);
    }
  }
  std::sort(configurations->begin(), configurations->end(),
            [](const dcr::Configuration& a, const dcr::Configuration& b) {
              return a.configuration_id < b.configuration_id;
            });
}

bool ConfigSource::Replace(std::vector<dcr::Configuration> configurations) {
  Prepare(&configurations);
  if (SameConfigurations(configurations, configurations_)) return false;
  configurations_ = std::move(configurations);
  if (std::error_code ec = cache_.Save(configurations_)) {
    logger_.Error("dcr", "cannot write the config cache in {}: {}", cache_.folder().string(),
                  ec.message());
  }
  return true;
}

ConfigSource::Progress ConfigSource::progress() const {
  base::MutexLock lock(&progress_mutex_);
  return progress_;
}

bool ConfigSource::LoadInitial(std::string* error) {
  base::UniqueLock lock(&progress_mutex_);
  progress_.loaded = options_.source != HostOptions::DcrSource::kControlPlane;
  progress_.waiting_for = "the first answer of the control plane at " + options_.handler_url +
                          " (no configuration cached in " + cache_.LkgPath().string() + ")";
  lock.unlock();
  dcr::Diagnostics diagnostics;
  switch (options_.source) {
    case HostOptions::DcrSource::kEmbedded: {
      std::vector<dcr::Configuration> bundled;
      const std::pair<std::string_view, const char*> files[] = {
          {kEmbeddedDcr, "<bundled ama/data/changetracking-linux.json>"},
          {kEmbeddedLogsDcr, "<bundled ama/data/logs-ingestion-example.json>"},
      };
      for (const auto& [json, name] : files) {
        dcr::ConfigurationsResponse response;
        if (!dcr::ParseConfigurationsResponse(json, name, &response, &diagnostics)) {
          Log(diagnostics);
          *error = std::string("the bundled DCR ") + name + " does not parse (a build problem)";
          return false;
        }
        for (dcr::Configuration& configuration : response.added) {
          bundled.push_back(std::move(configuration));
        }
      }
      Log(diagnostics);
      Replace(std::move(bundled));
      return true;
    }
    case HostOptions::DcrSource::kDirectory: {
      std::error_code ec;
      if (!std::filesystem::is_directory(options_.dcr_dir, ec)) {
        *error = "--dcr-dir " + options_.dcr_dir.string() + " is not a readable folder";
        return false;
      }
      std::vector<dcr::Configuration> loaded;
      dcr::TranslationOptions translation;
      translation.agent_resource_id = options_.resource_id;
      if (!dcr::LoadDirectory(options_.dcr_dir, translation, &loaded, &diagnostics)) {
        Log(diagnostics);
        *error = "cannot read --dcr-dir " + options_.dcr_dir.string();
        return false;
      }
      Log(diagnostics);
      if (loaded.empty()) {
        logger_.Warning("dcr", "no usable DCR in {}; only the config socket is open",
                        options_.dcr_dir.string());
      }
      Replace(std::move(loaded));
      return true;
    }
    case HostOptions::DcrSource::kControlPlane: {
      std::vector<dcr::Configuration> cached;
      if (cache_.Load(&cached, &diagnostics)) {
        logger_.Info("dcr",
                     "serving the last known good configuration ({} configurations) from "
                     "{} until the control plane answers",
                     cached.size(), cache_.LkgPath().string());
        configurations_ = std::move(cached);
        Prepare(&configurations_);
        base::MutexLock progress(&progress_mutex_);
        progress_.loaded = true;
      }
      Log(diagnostics);
      return true;
    }
  }
  return true;
}

ConfigSource::RefreshResult ConfigSource::Refresh() {
  switch (options_.source) {
    case HostOptions::DcrSource::kEmbedded:
      return {false, options_.refresh};
    case HostOptions::DcrSource::kDirectory: {
      std::vector<dcr::Configuration> loaded;
      dcr::Diagnostics diagnostics;
      dcr::TranslationOptions translation;
      translation.agent_resource_id = options_.resource_id;
      if (!dcr::LoadDirectory(options_.dcr_dir, translation, &loaded, &diagnostics)) {
        Log(diagnostics);
        logger_.Error("dcr", "cannot read {}; keeping the configuration in use",
                      options_.dcr_dir.string());
        Attempted(false, "cannot read " + options_.dcr_dir.string());
        return {false, options_.refresh};
      }
      Log(diagnostics);
      Attempted(true, {});
      return {Replace(std::move(loaded)), options_.refresh};
    }
    case HostOptions::DcrSource::kControlPlane:
      return RefreshFromControlPlane();
  }
  return {false, options_.refresh};
}

ConfigSource::RefreshResult ConfigSource::RefreshFromControlPlane() {
  std::vector<std::string> etags;
  for (const dcr::Configuration& configuration : configurations_) {
    if (!configuration.etag.empty()) etags.push_back(configuration.etag);
  }
  RefreshResult refresh;
  dcr::FetchResult result = control_plane_->Fetch(etags, &refresh.next);
  Attempted(result.outcome != dcr::FetchResult::Outcome::kFailed, result.error);
  Log(result.diagnostics);
  {
    base::MutexLock lock(&progress_mutex_);
    switch (result.outcome) {
      case dcr::FetchResult::Outcome::kFailed:
        ++progress_.fetches_failed;
        if (!progress_.loaded) {
          progress_.waiting_for = "the first answer of the control plane at " +
                                  options_.handler_url +
                                  " (none cached); it failed: " + result.error;
        }
        break;
      case dcr::FetchResult::Outcome::kNotModified:
        ++progress_.fetches_not_modified;
        progress_.loaded = true;
        break;
      case dcr::FetchResult::Outcome::kUpdated:
        ++progress_.fetches_updated;
        progress_.loaded = true;
        break;
    }
  }
  switch (result.outcome) {
    case dcr::FetchResult::Outcome::kFailed:
      logger_.Error("dcr",
                    "could not get the configuration: {}; keeping the {} configurations in use; "
                    "asking again in {} ms",
                    result.error, configurations_.size(), refresh.next.count());
      return refresh;
    case dcr::FetchResult::Outcome::kNotModified:
    case dcr::FetchResult::Outcome::kUpdated:
      break;
  }
  for (const std::string& refused : result.response.refused) {
    logger_.Error("dcr",
                  "configuration {} from the control plane refused (see the errors above); "
                  "keeping the version in use",
                  refused);
  }
  // A configuration without an eTag (recovered from chunk files) was not in If-None-Match, so
  // the control plane sends it again if it still has it: one it did not send is gone.
  std::map<std::string, dcr::Configuration> by_id;
  for (dcr::Configuration& configuration : configurations_) {
    if (configuration.etag.empty()) {
      bool sent = false;
      for (const dcr::Configuration& added : result.response.added) {
        sent = sent || added.configuration_id == configuration.configuration_id;
      }
      bool refused = std::find(result.response.refused.begin(), result.response.refused.end(),
                               configuration.configuration_id) != result.response.refused.end();
      if (!sent && !refused) {
        logger_.Info("dcr",
                     "configuration {} (from the cache, without an eTag) is no longer "
                     "served by the control plane; dropped",
                     configuration.configuration_id);
        continue;
      }
    }
    by_id[configuration.configuration_id] = configuration;
  }
  for (const std::string& removed : result.response.removed) {
    logger_.Info("dcr", "configuration {} removed by the control plane", removed);
    by_id.erase(removed);
  }
  for (dcr::Configuration& added : result.response.added) {
    logger_.Info("dcr", "configuration {} (eTag {}) from the control plane", added.configuration_id,
                 added.etag);
    by_id[added.configuration_id] = std::move(added);
  }
  std::vector<dcr::Configuration> next;
  for (auto& [id, configuration] : by_id) next.push_back(std::move(configuration));
  if (result.outcome == dcr::FetchResult::Outcome::kNotModified) {
    logger_.Debug("dcr", "control plane: no change");
  }
  refresh.changed = Replace(std::move(next));
  return refresh;
}

std::string ConfigSource::Describe() const {
  switch (options_.source) {
    case HostOptions::DcrSource::kEmbedded:
      return "the bundled DCRs (ama/data/): ChangeTracking-Linux to ODS, LogsIngestion-Example "
             "to Logs Ingestion";
    case HostOptions::DcrSource::kDirectory:
      return "DCR files in " + options_.dcr_dir.string();
    case HostOptions::DcrSource::kControlPlane:
      return "the control plane at " + options_.handler_url;
  }
  return {};
}

}  // namespace ama
