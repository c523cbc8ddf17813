#ifndef AMAHOST_AMA_HEALTH_H_
#define AMAHOST_AMA_HEALTH_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace ama {

// A problem the host has now: what `amactl status` names on its first line.
struct HealthProblem {
  std::string kind;     // one of the kinds below
  std::string message;  // one line: what is wrong, since when, and the error when there is one

  friend bool operator==(const HealthProblem&, const HealthProblem&) = default;
};

// Drops, refusals and expiries count as a current problem for this long after the last one.
inline constexpr std::chrono::minutes kRecentProblem{10};

// The host's current problems, worst first; none = healthy. The order puts a cause before its
// consequences, and what keeps records from being stored or delivered before what is already
// taken care of:
//   waitingForConfiguration  no configuration is loaded yet (the control plane has not answered
//                   and nothing is cached): only the config socket is open; says why (the
//                   control plane's last error) and replaces configSource
//   diskFull        the store holds batches it cannot commit: clients wait, nothing is acked
//   uploadsFailing  a stream's uploads fail and are retried; names the one failing longest
//                   (the usual cause of the two below)
//   quotaDrops      the quota dropped records in the last kRecentProblem
//   configSource    the control plane does not answer (or the DCR folder cannot be read); the
//                   configuration in use is kept
//   unknownStream   records were refused for a tag with no output stream in the last
//                   kRecentProblem (a missing or outdated DCR)
//   deadLetters     dead letters are kept: a receiver refused records for good
//   expired         retention (--max-age) removed records in the last kRecentProblem
// Times in messages are UTC, as in the log. Pure.
std::vector<HealthProblem> AssessHealth(const HostStatusInput& input);

// The first line of `amactl status`: the worst problem's message, or "healthy".
std::string HealthSummary(const std::vector<HealthProblem>& problems);

// "10:42:07 UTC" when `unix_ns` is on the same UTC day as `now_unix_ns`, else
// "2026-11-21 10:42:07 UTC".
std::string FormatClock(std::int64_t unix_ns, std::int64_t now_unix_ns);
// A rough length for people: "45 s", "5 min", "3 h", "2 d" (rounded down; negative = "0 s").
std::string FormatAge(std::int64_t ns);

}  // namespace ama

#endif  // AMAHOST_AMA_HEALTH_H_
