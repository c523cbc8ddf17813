#ifndef AMAHOST_TOOLS_CTAGENT_AGENT_H_
#define AMAHOST_TOOLS_CTAGENT_AGENT_H_

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/backoff.h"
#include "base/logger.h"
#include "collector.h"
#include "settings.h"
#include "snapshot.h"

namespace amahost {
class ExtensionClient;
}

namespace ctagent {

inline constexpr char kExtensionName[] = "ChangeTracking-Linux";

struct AgentOptions {
  std::string instance;              // the host's --instance
  std::filesystem::path state_dir;   // the snapshot's folder
  std::filesystem::path root = "/";  // the machine to collect from
  bool once = false;                 // every enabled collector once, send, exit
  bool dry_run = false;              // print the records as NDJSON, send nothing, keep nothing
  std::chrono::seconds config_refresh{300};
  std::size_t max_pending = 100000;  // records kept while the host is away
  std::string computer;              // the Computer column
  std::string settings_text;         // TaggedData to use instead of asking the host (--settings)
  std::FILE* out = stdout;           // where --dry-run prints
};

// Where ctagent's own errors go: the log (LogErrorReporter, for --dry-run and tests) or also the
// host's diagnostics socket (DiagnosticsReporter).
class ErrorReporter {
 public:
  virtual ~ErrorReporter() = default;
  virtual void Report(std::string_view what) = 0;
  // Delivers what Report could not yet; the agent calls it once a round.
  virtual void Flush() {}
};

class LogErrorReporter final : public ErrorReporter {
 public:
  explicit LogErrorReporter(base::Logger& logger) : logger_(logger) {}
  void Report(std::string_view what) override { logger_.Error("ctagent", "{}", what); }

 private:
  base::Logger& logger_;
};

// The Change Tracking agent's loop: its configuration from the host every config_refresh,
// each enabled collector at its frequency, the diff against the snapshot, the records queued
// with the snapshot and sent in Forward mode, each forgotten once acknowledged (docs/ctagent.md).
// Thread-compatible: one thread runs it.
class Agent {
 public:
  Agent(AgentOptions options, base::Logger& logger, ErrorReporter& errors);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Runs until `wait` returns false (it waits up to the given time for a stop request and says
  // whether to go on) or, with `once`, after one round. Returns the exit code: 0, or 1 when
  // --once could not collect or deliver everything.
  int Run(const std::function<bool(std::chrono::milliseconds)>& wait);

 private:
  enum class ConfigResult { kChanged, kSame, kNone };
  ConfigResult FetchConfig();
  // The last TaggedData received, from the state folder, so that a restart while the host is
  // away still collects (and keeps the records until the host is back).
  bool LoadCachedConfig();
  void ApplySettings(const Settings& settings);
  bool CollectKind(Kind kind, std::int64_t now);
  // Sends the outbox; false when something is left (the host away or not acking).
  bool SendPending();
  bool Enabled(Kind kind) const;
  std::chrono::seconds Frequency(Kind kind) const;

  AgentOptions options_;
  base::Logger& logger_;
  ErrorReporter& errors_;
  std::unique_ptr<Snapshot> snapshot_;
  std::unique_ptr<amahost::ExtensionClient> client_;
  std::optional<Settings> settings_;
  std::string last_config_problem_;
  std::string last_tagged_data_;  // as received, kept in the state folder
  std::map<Kind, std::chrono::steady_clock::time_point> next_collection_;
  base::Backoff send_backoff_;
  std::uint32_t send_failures_ = 0;
  std::chrono::steady_clock::time_point next_send_{};
  std::int64_t dropped_seen_ = 0;
};

}  // namespace ctagent

#endif  // AMAHOST_TOOLS_CTAGENT_AGENT_H_
