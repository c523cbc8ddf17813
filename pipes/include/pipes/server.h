#ifndef AMAHOST_PIPES_SERVER_H_
#define AMAHOST_PIPES_SERVER_H_

#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "base/logger.h"
#include "localstore/record_sink.h"
#include "pipes/forward_decoder.h"
#include "pipes/routing_table.h"
#include "pipes/socket_address.h"

namespace pipes {

struct ServerOptions {
  SocketNaming naming;
  // Also listen on "<instance_>default_fluent.socket" (a socket of no single extension, like the
  // config socket), as mdsd's default_fluent.socket.
  bool generic_socket = true;
  // Also listen on the diagnostics socket (DiagnosticsSocketAddress), as AMA does: records sent
  // there, whatever their tag, go to kDiagnosticsStreamId and show in the status document.
  bool diagnostics_socket = true;
  // Also listen on this loopback TCP port (AMA uses 28230); 0 = no TCP listener.
  std::uint16_t fluent_port = 0;
  // When set, every connection on the TCP port must pass the Forward shared-key handshake
  // (HELO/PING/PONG) before anything else. Only the TCP port: the clients that use a shared key
  // (fluentd, fluent-bit) do it over TCP, and a HELO would confuse Unix-socket clients that do not
  // expect one. Never logged.
  std::string shared_key;
  // The hostname PONG names (and hashes); empty = gethostname().
  std::string self_hostname;
  // When either list is non-empty, a Unix-socket peer whose uid is not in allow_uids and whose
  // gid is not in allow_gids is refused (logged and closed at once).
  std::vector<std::uint32_t> allow_uids;
  std::vector<std::uint32_t> allow_gids;
  ForwardLimits limits;
  // A message larger than this (as buffered) is malformed: it bounds each connection's buffer.
  std::size_t max_message_bytes = 16 * 1024 * 1024;
  // A connection stops reading while this many bytes of its records await commit.
  std::size_t max_inflight_bytes_per_connection = 8 * 1024 * 1024;
  // Every connection stops reading while this many bytes of records await commit in all.
  std::size_t max_inflight_bytes_total = 128 * 1024 * 1024;
  // Read buffers may grow past their first 64 KiB only while all buffers together stay under
  // this; a connection whose partial message would pass it is closed (counted as overload).
  std::size_t max_buffer_bytes_total = 256 * 1024 * 1024;
  std::size_t max_connections = 1024;
  // A connection that sends nothing for this long (while it waits for no commit) is closed.
  std::chrono::milliseconds idle_timeout{std::chrono::hours(1)};
  // Read pacing (docs/design.md, "Message mode"): after a small read that came right after the
  // connection's previous one, the io thread pauses this long before reading again, so that
  // clients writing one small message at a time are read many messages at once; 0 = never.
  std::chrono::microseconds read_pause{100};
  // Answers an AmahostStatus request's "host" member: a JSON object (ours; ama fills it with
  // the store's and the uploader's figures). Called on the io thread. May be empty.
  std::function<std::string()> host_status;
  // Answers the host's own requests (ours: `"Request":"AmahostDeadLetter"`, …; any Request that
  // starts with "Amahost" but is not the status request): gets the request's JSON text and
  // whether the peer may change the host's state (a Unix-socket peer running as root or as the
  // host's own user), and returns the whole reply, a JSON object. Called on the io thread. May
  // be empty (such requests are then refused).
  std::function<std::string(std::string_view request_json, bool privileged)> host_command;
  // While the routing table has no configuration (RoutingTable::configuration_loaded false):
  // what the host waits for, for the config reply ("the first answer of the control plane at
  // …"). Called on the io thread. May be empty.
  std::function<std::string()> waiting_for_configuration;
  // Must outlive the Server. Never null.
  base::Logger* logger = nullptr;
};

// What the status document keeps of the diagnostics socket's records: the reporters (tags) of
// at most 128 bytes, at most this many (the rest counted together as "(other)"), and each one's
// last record as JSON text cut to this many bytes (then ending in "…").
inline constexpr std::size_t kMaxDiagnosticsSources = 64;
inline constexpr std::size_t kMaxDiagnosticsText = 1024;

// Counters since start (docs/protocol.md §3 names the drop reasons), and gauges.
struct ServerCounters {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;  // over max_connections, or not on the allow-lists
  std::uint64_t connections_idle_closed = 0;
  std::uint64_t config_requests = 0;
  std::uint64_t messages = 0;
  std::uint64_t records_received = 0;
  std::uint64_t records_committed = 0;
  std::uint64_t acks_sent = 0;
  std::uint64_t unknown_stream = 0;       // records not accepted: no output stream for their tag
  std::uint64_t malformed = 0;            // messages that closed their connection
  std::uint64_t overload = 0;             // connections closed to keep within the buffer budget
  std::uint64_t handshake_failed = 0;     // TCP connections refused by the shared-key handshake
  std::uint64_t store_errors = 0;         // records the store failed to commit (not acked)
  std::uint64_t diagnostics_records = 0;  // records received on the diagnostics socket
  // The last message refused as unknown_stream: when (ns since the Unix epoch; 0 = never) and
  // its tag.
  std::int64_t unknown_stream_last_unix_ns = 0;
  std::string unknown_stream_last_tag;
  // Gauges: bytes awaiting commit and bytes of read buffers, now and at their highest.
  std::size_t inflight_bytes = 0;
  std::size_t inflight_bytes_peak = 0;
  std::size_t buffer_bytes = 0;
  std::size_t buffer_bytes_peak = 0;
  std::size_t connections_open = 0;
};

// The extension sockets: the config socket, the diagnostics socket, one data socket per
// extension in the routing table, and the connections on them. Each connection may carry
// AgentTaggedData requests (msgpack str/bin or raw JSON) and Fluent Forward messages; records go to
// the RecordSink and a message's ack is written only after its records are committed.
//
// Threads: every method must be called on the io_context's thread, which also runs all socket
// work. Commit completions arrive on the sink's thread and are posted back to the io thread.
class Server {
 public:
  // `io` and `sink` must outlive the Server (and every connection it started).
  Server(asio::io_context& io, ServerOptions options, localstore::RecordSink& sink);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds one socket per extension of `routes`, the generic socket, the TCP port if asked, and
  // last the config socket, so that whatever a config reply names already listens. Fails, with
  // the address in `failed`, if a fixed socket cannot be bound or another process listens on an
  // extension's socket; an extension socket that fails otherwise is logged and skipped.
  std::error_code Start(std::shared_ptr<const RoutingTable> routes, std::string* failed = nullptr);

  // Applies a new routing table: opens sockets for new extensions; closes the sockets of removed
  // ones, whose connections stop reading, see their records already handed over committed and
  // acknowledged, then close. Other connections resolve tags against the new table from their
  // next message on, undisturbed.
  void Update(std::shared_ptr<const RoutingTable> routes);

  // Stops accepting and reading; each connection closes once the records it handed to the sink
  // are committed and their acks written. `done` runs (on the io thread) when the last has
  // closed.
  void Stop(std::function<void()> done);

  ServerCounters counters() const;
  // Records taken for each output stream (received and handed to the sink) since Start.
  std::map<std::string, std::uint64_t> RecordsReceivedByStream() const;
  // The sockets listening now: generic, diagnostics, TCP, config, then extension sockets by name
  // ("@name", "/path" or "127.0.0.1:port").
  std::vector<std::string> ListeningAddresses() const;
  // The AmahostStatus document: counters, sockets, open connections with their own counters,
  // and the host_status member.
  std::string StatusJson() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace pipes

#endif  // AMAHOST_PIPES_SERVER_H_
