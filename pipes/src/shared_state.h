#ifndef AMAHOST_PIPES_SHARED_STATE_H_
#define AMAHOST_PIPES_SHARED_STATE_H_

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
#include "read_pacer.h"

namespace pipes {

class Connection;

// What one reporter (a tag) has sent to the diagnostics socket since start.
struct DiagnosticsSource {
  std::uint64_t records = 0;
  std::int64_t last_unix_ns = 0;  // when its last message arrived
  std::string last_record;        // its last record as JSON text, cut at kMaxDiagnosticsText
};

// What the server and its connections share, owned jointly so that a connection finishing after
// the Server object is gone still has it: the options, the routing table, the open connections,
// the server-wide memory budgets and the figures. io-thread only (no lock: nothing here is
// touched from another thread).
class SharedState {
 public:
  SharedState(ServerOptions options, localstore::RecordSink& sink)
      : options_(std::move(options)),
        sink_(sink),
        logger_(*options_.logger),
        read_pacer_(options_.read_pause) {}

  const ServerOptions& options() const { return options_; }
  base::Logger& logger() const { return logger_; }
  localstore::RecordSink& sink() const { return sink_; }
  // The routing table in force; a connection may keep an older one while it uses it.
  const std::shared_ptr<const RoutingTable>& routes() const { return routes_; }
  void SetRoutes(std::shared_ptr<const RoutingTable> routes) { routes_ = std::move(routes); }
  // The name the handshake's PONG gives (options.self_hostname or gethostname()).
  const std::string& self_hostname() const { return self_hostname_; }
  void SetSelfHostname(std::string name) { self_hostname_ = std::move(name); }
  // The AmahostStatus document; "{}" once the server is gone.
  std::string StatusJson() const { return status_json_ ? status_json_() : "{}"; }
  void SetStatusSource(std::function<std::string()> status_json) {
    status_json_ = std::move(status_json);
  }

  // --- Connections. Register returns the connection's id; a connection unregisters once fully
  // closed. Once stopping, the last one to go calls the function Stop() was given.
  std::uint64_t Register(Connection* connection);
  void Unregister(Connection* connection);
  const std::set<Connection*>& connections() const { return connections_; }
  bool stopping() const { return stopping_; }
  // Marks the server stopping; `all_closed` is called once no connection is left (at once when
  // there is none: then it returns false).
  bool Stop(std::function<void()> all_closed);

  // --- The memory budgets (ServerOptions). Connections report what they hold; when the records
  // awaiting commit fall back under the total limit, connections paused by it are resumed.
  void AddInflight(std::size_t bytes);
  void RemoveInflight(std::size_t bytes);
  bool InflightOverTotal() const {
    return counters_.inflight_bytes >= options_.max_inflight_bytes_total;
  }
  // Whether the read buffers may grow by `bytes` more past their first allocation.
  bool BuffersMayGrow(std::size_t bytes) const {
    return counters_.buffer_bytes + bytes <= options_.max_buffer_bytes_total;
  }
  void AddBuffers(std::size_t bytes);
  void RemoveBuffers(std::size_t bytes);
  void WaitForBudget(Connection* connection) { waiting_for_budget_.insert(connection); }

  // --- Read pacing (read_pacer.h): called by a connection after it has handled a read of
  // `bytes` that completed at `now`, its previous one at `previous`; may sleep the io thread.
  void PaceReads(std::size_t bytes, ReadPacer::Clock::time_point previous,
                 ReadPacer::Clock::time_point now);

  // --- Figures. The plain counts connections add to directly; what needs more than an addition
  // has its own operation.
  ServerCounters& counters() { return counters_; }
  const ServerCounters& counters() const { return counters_; }
  // Records handed to the sink for `stream_id` (only ids the routing tables name).
  void NoteStored(const std::string& stream_id, std::uint64_t records) {
    records_received_by_stream_[stream_id] += records;
  }
  const std::map<std::string, std::uint64_t, std::less<>>& records_received_by_stream() const {
    return records_received_by_stream_;
  }
  // Records whose tag names no output stream: counted, with when and which tag came last.
  void NoteUnknownStream(std::string_view tag, std::uint64_t records);
  // Notes a message that arrived on the diagnostics socket: counts it under its tag (at most
  // kMaxDiagnosticsSources tags of at most 128 bytes, the rest under "(other)"), keeps its last
  // record for the status document and logs it under the repeated-warning policy, so a reporter
  // that loops cannot flood the log.
  void NoteDiagnostics(std::string_view tag, std::string_view entries, std::uint32_t count,
                       std::string_view peer);
  const std::map<std::string, DiagnosticsSource, std::less<>>& diagnostics_sources() const {
    return diagnostics_sources_;
  }

  // Logs a warning that a client (or the machine) can repeat under the one policy for them
  // (base/log_throttle.h): the first per `key`, then at most one a minute that counts the ones
  // left out. Keys start with the kind of warning ("unknown_stream:<tag>").
  template <typename... Args>
  void RepeatedWarning(std::string_view key, fmt::format_string<Args...> format, Args&&... args) {
    const std::optional<std::uint64_t> suppressed = repeated_warnings_.Allow(key);
    if (!suppressed) return;
    logger_.Warning("pipes", "{}{}", fmt::format(format, std::forward<Args>(args)...),
                    base::SuppressedNote(*suppressed));
  }

 private:
  const ServerOptions options_;
  localstore::RecordSink& sink_;
  base::Logger& logger_;
  std::shared_ptr<const RoutingTable> routes_;
  std::string self_hostname_;
  std::function<std::string()> status_json_;

  std::set<Connection*> connections_;
  std::set<Connection*> waiting_for_budget_;
  std::uint64_t next_connection_id_ = 1;
  bool stopping_ = false;
  std::function<void()> on_all_closed_;

  ReadPacer read_pacer_;
  ServerCounters counters_;
  std::map<std::string, std::uint64_t, std::less<>> records_received_by_stream_;
  std::map<std::string, DiagnosticsSource, std::less<>> diagnostics_sources_;
  base::LogThrottle repeated_warnings_;
};

}  // namespace pipes

#endif  // AMAHOST_PIPES_SHARED_STATE_H_
