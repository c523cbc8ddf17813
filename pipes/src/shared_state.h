#ifndef AMAHOST_PIPES_SHARED_STATE_H_
#define AMAHOST_PIPES_SHARED_STATE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/log_throttle.h"
#include "base/logger.h"
#include "localstore/record_sink.h"
#include "pipes/routing_table.h"
#include "pipes/server.h"

namespace pipes {

class Connection;

// What one reporter (a tag) has sent to the diagnostics socket since start.
struct DiagnosticsSource {
  std::uint64_t records = 0;
  std::int64_t last_unix_ns = 0;  // when its last message arrived
  std::string last_record;        // its last record as JSON text, cut at kMaxDiagnosticsText
};

// State the server and its connections share, owned jointly so that a connection finishing
// after the Server object is gone still has it. io-thread only.
struct SharedState {
  SharedState(ServerOptions options_in, localstore::RecordSink& sink_in)
      : options(std::move(options_in)), sink(sink_in), logger(*options.logger) {}

  void Register(Connection* connection);
  // Called by a connection once it is fully closed.
  void Unregister(Connection* connection);

  // The memory budgets (ServerOptions). Connections report what they hold; when the records
  // awaiting commit fall back under the total limit, connections paused by it are resumed.
  void AddInflight(std::size_t bytes);
  void RemoveInflight(std::size_t bytes);
  bool InflightOverTotal() const {
    return counters.inflight_bytes >= options.max_inflight_bytes_total;
  }
  // Whether the read buffers may grow by `bytes` more past their first allocation.
  bool BuffersMayGrow(std::size_t bytes) const {
    return counters.buffer_bytes + bytes <= options.max_buffer_bytes_total;
  }
  void AddBuffers(std::size_t bytes);
  void RemoveBuffers(std::size_t bytes);
  void WaitForBudget(Connection* connection) { waiting_for_budget.insert(connection); }

  ServerOptions options;
  localstore::RecordSink& sink;
  base::Logger& logger;
  std::shared_ptr<const RoutingTable> routes;
  ServerCounters counters;
  // Records handed to the sink, per stream id (bounded: only ids the routing tables name).
  std::map<std::string, std::uint64_t, std::less<>> records_received_by_stream;
  // Logs a warning that a client (or the machine) can repeat under the one policy for them
  // (base/log_throttle.h): the first per `key`, then at most one a minute that counts the ones
  // left out. Keys start with the kind of warning ("unknown_stream:<tag>").
  template <typename... Args>
  void RepeatedWarning(std::string_view key, fmt::format_string<Args...> format, Args&&... args) {
    const std::optional<std::uint64_t> suppressed = repeated_warnings.Allow(key);
    if (!suppressed) return;
    logger.Warning("pipes", "{}{}", fmt::format(format, std::forward<Args>(args)...),
                   base::SuppressedNote(*suppressed));
  }
  base::LogThrottle repeated_warnings;

  // Notes a message that arrived on the diagnostics socket: counts it under its tag (at most
  // kMaxDiagnosticsSources tags of at most 128 bytes, the rest under "(other)"), keeps its last
  // record for the status document and logs it under the repeated-warning policy, so a reporter
  // that loops cannot flood the log.
  void NoteDiagnostics(std::string_view tag, std::string_view entries, std::uint32_t count,
                       std::string_view peer);
  std::map<std::string, DiagnosticsSource, std::less<>> diagnostics_sources;
  std::set<Connection*> connections;
  std::set<Connection*> waiting_for_budget;
  // Builds the AmahostStatus document (set by the server).
  std::function<std::string()> status_json;
  std::uint64_t next_connection_id = 1;
  std::string self_hostname;  // options.self_hostname or gethostname()
  bool stopping = false;
  std::function<void()> on_all_closed;
};

}  // namespace pipes

#endif  // AMAHOST_PIPES_SHARED_STATE_H_
