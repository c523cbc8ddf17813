#ifndef AMAHOST_MOCKCLOUD_FAULT_INJECTOR_H_
#define AMAHOST_MOCKCLOUD_FAULT_INJECTOR_H_

#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mockcloud {

// Which requests a fault applies to.
enum class FaultTarget {
  kOds,      // POST /OperationalData.svc/PostJsonDataItems
  kLogs,     // POST /dataCollectionRules/{id}/streams/{stream} (Logs Ingestion)
  kToken,    // GET …/issueIngestionToken
  kControl,  // GET [/dce]…/agentConfigurations
  kAll,      // all of the above (never /ping or the admin API)
};

std::string_view FaultTargetName(FaultTarget target);
std::optional<FaultTarget> ParseFaultTarget(std::string_view name);

// One fault rule, as POST /_mock/faults takes it:
//   {"target":"ods"|"logs"|"token"|"control"|"all", "status":503, "count":2,
//    "retryAfter":1, "retryAfterDate":false, "latencyMs":0, "probability":1.0}
// retryAfterDate (needs retryAfter) sends Retry-After as an HTTP date (IMF-fixdate) at least
// retryAfter seconds ahead, rounded up to the whole second, instead of a number of seconds.
// status 0 = latency only: the request waits latencyMs, then is handled normally.
struct Fault {
  std::uint64_t id = 0;
  FaultTarget target = FaultTarget::kAll;
  int status = 503;                // 0, or 400-599
  int count = 1;                   // how many requests it still applies to, 1-1000000
  std::optional<int> retry_after;  // seconds, 0-86400; sent as Retry-After
  bool retry_after_date = false;   // sent as an HTTP date instead
  int latency_ms = 0;              // 0-60000
  double probability = 1.0;        // 0-1: the chance that a matching request is hit
  std::uint64_t fired = 0;         // requests hit so far
};

// Parses a fault from the JSON body of POST /_mock/faults. Defaults as in Fault. Unknown keys,
// wrong types and out-of-range values are errors, with a message saying which. Pure.
bool ParseFault(const rapidjson::Value& json, Fault* out, std::string* error);

// The fault rules in force, in the order they were added. For each request the first rule whose
// target matches and that has requests left is drawn against its probability; a hit uses one of
// its `count`, and a rule with none left is removed. Pure: the random draw comes from the caller.
// Thread-compatible.
class FaultInjector {
 public:
  // Adds a rule and returns it with its id.
  const Fault& Add(Fault fault);
  // Whether some rule targets requests of `target` (so that Next needs a draw). A caller that
  // draws only then keeps a seeded sequence of draws independent of the requests no rule targets.
  bool Applies(FaultTarget target) const;
  // The fault to apply to a request of `target`, given a uniform draw in [0, 1), or nullopt.
  std::optional<Fault> Next(FaultTarget target, double draw);
  // Removes every rule; returns how many there were.
  std::size_t Clear();

  const std::vector<Fault>& faults() const { return faults_; }
  std::uint64_t fired() const { return fired_; }
  void ResetCounter() { fired_ = 0; }

  // {"faults":[{"id","target","status","remaining","retryAfter","latencyMs","probability",
  //  "fired"}…],"fired":N}
  std::string ToJson() const;

 private:
  std::vector<Fault> faults_;
  std::uint64_t next_id_ = 1;
  std::uint64_t fired_ = 0;
};

// {"id","target","status","remaining","retryAfter","latencyMs","probability","fired"}.
std::string FaultToJson(const Fault& fault);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_FAULT_INJECTOR_H_
