#ifndef AMAHOST_TOOLS_CTAGENT_DIAGNOSTICS_REPORTER_H_
#define AMAHOST_TOOLS_CTAGENT_DIAGNOSTICS_REPORTER_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "agent.h"
#include "base/backoff.h"
#include "base/logger.h"

namespace amahost {
class ExtensionClient;
}

namespace ctagent {

// Reports ctagent's own errors as the real agents may: to the host's diagnostics socket
// (@CAgentStream_CloudAgentInfo_MaExtensionDiagnostics_default_fluent.socket), one record per
// error, tagged with the extension's name, each acked; and to the log. docs/ctagent.md shows the
// record. The host being away costs no wait: a report is queued (at most max_queued, the oldest
// dropped and counted past that) and sent again with backoff on the next Report or Flush.
// Thread-compatible: the agent's thread.
class DiagnosticsReporter final : public ErrorReporter {
 public:
  struct Options {
    std::string instance;  // the host's --instance
    std::string computer;  // the Computer field
    std::size_t max_queued = 100;
  };
  // Throws std::runtime_error for an instance name the host would refuse.
  DiagnosticsReporter(Options options, base::Logger& logger);
  ~DiagnosticsReporter() override;

  void Report(std::string_view what) override;
  void Flush() override;

  // Reports acknowledged by the host, and dropped because too many waited.
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  Options options_;
  base::Logger& logger_;
  std::unique_ptr<amahost::ExtensionClient> client_;
  std::deque<std::string> queued_;  // records (JSON objects) not acknowledged yet
  base::Backoff backoff_;
  std::uint32_t failures_ = 0;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::uint64_t delivered_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace ctagent

#endif  // AMAHOST_TOOLS_CTAGENT_DIAGNOSTICS_REPORTER_H_
