#include "pipes/server.h"

#include <unistd.h>

#include <map>

#include "base/version.h"
#include "codec/fluent_entries.h"
#include "codec/json_text.h"
#include "codec/msgpack_json.h"
#include "connection.h"
#include "listener.h"
#include "peer.h"
#include "shared_state.h"

namespace pipes {
namespace {

// RFC 3339 UTC with nanoseconds.
std::string FormatUnixNs(std::int64_t unix_ns) {
  constexpr std::int64_t kNanos = 1'000'000'000;
  return codec::FormatEventTime({unix_ns / kNanos, static_cast<std::uint32_t>(unix_ns % kNanos)});
}

}  // namespace

class Server::Impl {
 public:
  Impl(asio::io_context& io, ServerOptions options, localstore::RecordSink& sink)
      : io_(io), state_(std::make_shared<SharedState>(std::move(options), sink)) {
    state_->SetStatusSource([this] { return StatusJson(); });
    std::string self_hostname = state_->options().self_hostname;
    if (self_hostname.empty()) {
      char host[256] = {};
      self_hostname = ::gethostname(host, sizeof(host) - 1) == 0 ? host : "amahost";
    }
    state_->SetSelfHostname(std::move(self_hostname));
  }

  ~Impl() { state_->SetStatusSource(nullptr); }

  std::error_code Start(std::shared_ptr<const RoutingTable> routes, std::string* failed) {
    state_->SetRoutes(std::move(routes));
    const ServerOptions& options = state_->options();
    // The config socket opens last: once it answers, every socket its replies name listens, so
    // an extension that reads its configuration and connects at once is never refused.
    if (std::error_code ec = OpenExtensionSockets(failed)) return ec;
    if (options.generic_socket) {
      SocketAddress generic = GenericSocketAddress(options.naming);
      if (std::error_code ec = ListenUnix(generic, "", &fixed_)) {
        *failed = generic.Display();
        return ec;
      }
    }
    if (options.diagnostics_socket) {
      SocketAddress diagnostics = DiagnosticsSocketAddress(options.naming);
      if (std::error_code ec =
              ListenUnix(diagnostics, std::string(kDiagnosticsExtension), &fixed_)) {
        *failed = diagnostics.Display();
        return ec;
      }
    }
    if (options.fluent_port != 0) {
      std::unique_ptr<Listener> listener;
      if (std::error_code ec = Listener::OpenTcp(io_, options.fluent_port, &listener)) {
        *failed = "127.0.0.1:" + std::to_string(options.fluent_port);
        state_->logger().Error("pipes", "cannot listen on {}: {}", *failed, ec.message());
        return ec;
      }
      Accept(*listener, "");
      fixed_.push_back(std::move(listener));
    }
    SocketAddress config = ConfigSocketAddress(options.naming);
    if (std::error_code ec = ListenUnix(config, "", &fixed_)) {
      *failed = config.Display();
      return ec;
    }
    return {};
  }

  void Update(std::shared_ptr<const RoutingTable> routes) {
    state_->SetRoutes(std::move(routes));
    if (state_->stopping()) return;
    for (auto it = extension_listeners_.begin(); it != extension_listeners_.end();) {
      if (state_->routes()->extensions.count(it->first) == 0) {
        state_->logger().Info("pipes", "closing {}: no active DCR names {} any more",
                              it->second->display(), it->first);
        it->second->Close();
        it = extension_listeners_.erase(it);
      } else {
        ++it;
      }
    }
    // Their connections finish what they handed to the store (commits and acks), then close:
    // what they would send next has no output stream any more.
    std::vector<Connection*> orphaned;
    for (Connection* connection : state_->connections()) {
      if (!connection->extension().empty() && connection->extension() != kDiagnosticsExtension &&
          state_->routes()->extensions.count(connection->extension()) == 0) {
        orphaned.push_back(connection);
      }
    }
    for (Connection* connection : orphaned) {
      if (state_->connections().count(connection)) connection->Drain();
    }
    // One already in use is logged; the host keeps serving the extensions it could open.
    std::string in_use;
    OpenExtensionSockets(&in_use);
  }

  void Stop(std::function<void()> done) {
    for (auto& listener : fixed_) listener->Close();
    for (auto& [name, listener] : extension_listeners_) listener->Close();
    if (!state_->Stop(std::move(done))) return;
    // Drain may close a connection at once, which erases it from the set.
    std::vector<Connection*> connections(state_->connections().begin(),
                                         state_->connections().end());
    for (Connection* connection : connections) {
      if (state_->connections().count(connection)) connection->Drain();
    }
  }

  ServerCounters counters() const { return state_->counters(); }
  std::map<std::string, std::uint64_t> RecordsReceivedByStream() const {
    return {state_->records_received_by_stream().begin(),
            state_->records_received_by_stream().end()};
  }

  std::vector<std::string> ListeningAddresses() const {
    std::vector<std::string> addresses;
    for (const auto& listener : fixed_) {
      if (!state_->stopping()) addresses.push_back(listener->display());
    }
    for (const auto& [name, listener] : extension_listeners_) {
      if (!state_->stopping()) addresses.push_back(listener->display());
    }
    return addresses;
  }

  std::string StatusJson() const {
    const ServerCounters& c = state_->counters();
    std::string json = "{\"version\":";
    codec::AppendJsonString(&json, base::kVersion);
    json += ",\"sockets\":[";
    bool first = true;
    for (const std::string& address : ListeningAddresses()) {
      if (!first) json += ',';
      first = false;
      codec::AppendJsonString(&json, address);
    }
    json += fmt::format(
        "],\"counters\":{{\"connectionsAccepted\":{},\"connectionsRefused\":{},"
        "\"connectionsIdleClosed\":{},\"connectionsOpen\":{},\"configRequests\":{},"
        "\"messages\":{},\"recordsReceived\":{},\"recordsCommitted\":{},\"acksSent\":{},"
        "\"handshakeFailed\":{},\"dropped\":{{\"unknown_stream\":{},\"malformed\":{},"
        "\"overload\":{},\"store_error\":{}}},\"inflightBytes\":{},\"inflightBytesPeak\":{},"
        "\"bufferBytes\":{},"
        "\"bufferBytesPeak\":{},\"lastUnknownStream\":",
        c.connections_accepted, c.connections_refused, c.connections_idle_closed,
        c.connections_open, c.config_requests, c.messages, c.records_received, c.records_committed,
        c.acks_sent, c.handshake_failed, c.unknown_stream, c.malformed, c.overload, c.store_errors,
        c.inflight_bytes, c.inflight_bytes_peak, c.buffer_bytes, c.buffer_bytes_peak);
    if (c.unknown_stream_last_unix_ns == 0) {
      json += "null";
    } else {
      json += "{\"tag\":";
      codec::AppendJsonString(&json, c.unknown_stream_last_tag);
      json += ",\"time\":";
      codec::AppendJsonString(&json, FormatUnixNs(c.unknown_stream_last_unix_ns));
      json += '}';
    }
    json += "},\"diagnostics\":";
    AppendDiagnostics(&json);
    json += ",\"connections\":[";
    first = true;
    for (const Connection* connection : state_->connections()) {
      if (!first) json += ',';
      first = false;
      connection->AppendStatus(&json);
    }
    json += "],\"host\":";
    std::string host = state_->options().host_status ? state_->options().host_status() : "";
    json += host.empty() ? "{}" : host;
    json += '}';
    return json;
  }

 private:
  // {"socket":"@…","records":N,"sources":[{"tag","records","lastTime","lastRecord"}]}, or null
  // without the diagnostics socket.
  void AppendDiagnostics(std::string* json) const {
    if (!state_->options().diagnostics_socket) {
      *json += "null";
      return;
    }
    std::uint64_t records = 0;
    for (const auto& [tag, source] : state_->diagnostics_sources()) records += source.records;
    *json += "{\"socket\":";
    codec::AppendJsonString(json, DiagnosticsSocketAddress(state_->options().naming).Display());
    *json += fmt::format(",\"records\":{},\"sources\":[", records);
    bool first = true;
    for (const auto& [tag, source] : state_->diagnostics_sources()) {
      if (!first) *json += ',';
      first = false;
      *json += "{\"tag\":";
      codec::AppendJsonString(json, tag);
      *json += fmt::format(",\"records\":{},\"lastTime\":", source.records);
      codec::AppendJsonString(json, FormatUnixNs(source.last_unix_ns));
      *json += ",\"lastRecord\":";
      codec::AppendJsonString(json, source.last_record);
      *json += '}';
    }
    *json += "]}";
  }

  // Opens the sockets of extensions that have none. One that cannot be opened is logged and
  // skipped, except one another process listens on: that is returned (with its address in
  // `failed`), since records meant for this host would reach the other one.
  std::error_code OpenExtensionSockets(std::string* failed) {
    for (const auto& [name, routes] : state_->routes()->extensions) {
      if (extension_listeners_.count(name)) continue;
      if (name == kDiagnosticsExtension) {
        state_->RepeatedWarning("reserved:" + name,
                                "a DCR names an extension '{}', the name of the diagnostics "
                                "socket; no data socket opened for it",
                                name);
        continue;
      }
      if (!IsValidExtensionName(name)) {
        state_->logger().Error("pipes",
                               "extension name '{}' is not usable in a socket name "
                               "(1-64 of A-Z a-z 0-9 . _ -); no socket opened for it",
                               name);
        continue;
      }
      std::vector<std::unique_ptr<Listener>> opened;
      SocketAddress address = ExtensionSocketAddress(state_->options().naming, name);
      std::error_code ec = ListenUnix(address, name, &opened);
      if (!ec) {
        extension_listeners_[name] = std::move(opened.front());
      } else if (ec == std::errc::address_in_use) {
        *failed = address.Display();
        return ec;
      }
    }
    return {};
  }

  std::error_code ListenUnix(const SocketAddress& address, const std::string& extension,
                             std::vector<std::unique_ptr<Listener>>* into) {
    std::unique_ptr<Listener> listener;
    if (std::error_code ec = Listener::OpenUnix(io_, address, &listener)) {
      std::string hint;
      if (ec == std::errc::address_in_use) {
        hint = " (another amahost or AMA is listening there; use --instance to run several)";
      } else if (ec == std::errc::file_exists) {
        hint = " (a file that is not a socket is in the way)";
      }
      state_->logger().Error("pipes", "cannot listen on {}: {}{}", address.Display(), ec.message(),
                             hint);
      return ec;
    }
    Accept(*listener, extension);
    into->push_back(std::move(listener));
    return {};
  }

  // The Listener outlives its accept loop (it stops it when closed or destroyed); the state is
  // reached through a weak pointer because connections may outlive this Impl.
  void Accept(Listener& listener, std::string extension) {
    std::weak_ptr<SharedState> weak = state_;
    std::string name = listener.display();
    bool handshake = !listener.is_unix() && !state_->options().shared_key.empty();
    listener.AcceptLoop(
        [weak, extension, name, handshake](std::error_code ec, Listener::Socket socket) {
          auto state = weak.lock();
          if (!state || state->stopping()) return;
          if (ec) {
            // EMFILE and the like: the client is left waiting; only this line says why.
            state->RepeatedWarning("accept:" + name + ":" + ec.message(), "accept on {} failed: {}",
                                   name, ec.message());
            return;
          }
          ++state->counters().connections_accepted;
          PeerInfo peer = ReadPeer(socket.native_handle());
          if (state->connections().size() >= state->options().max_connections) {
            ++state->counters().connections_refused;
            state->RepeatedWarning("refused:max",
                                   "refusing {} on {}: {} connections are open (the limit)",
                                   peer.Describe(), name, state->connections().size());
            return;
          }
          if (!PeerAllowed(peer, state->options().allow_uids, state->options().allow_gids)) {
            ++state->counters().connections_refused;
            state->RepeatedWarning(fmt::format("refused:uid{}:gid{}", peer.uid, peer.gid),
                                   "refusing {} on {}: not on the uid/gid allow-list",
                                   peer.Describe(), name);
            return;
          }
          std::make_shared<Connection>(std::move(socket), state, extension, name, std::move(peer),
                                       handshake)
              ->Start();
        });
  }

  asio::io_context& io_;
  std::shared_ptr<SharedState> state_;
  std::vector<std::unique_ptr<Listener>> fixed_;  // config, generic, TCP
  std::map<std::string, std::unique_ptr<Listener>> extension_listeners_;
};

Server::Server(asio::io_context& io, ServerOptions options, localstore::RecordSink& sink)
    : impl_(std::make_shared<Impl>(io, std::move(options), sink)) {}

Server::~Server() = default;

std::error_code Server::Start(std::shared_ptr<const RoutingTable> routes, std::string* failed) {
  std::string ignored;
  return impl_->Start(std::move(routes), failed != nullptr ? failed : &ignored);
}

void Server::Update(std::shared_ptr<const RoutingTable> routes) {
  impl_->Update(std::move(routes));
}

void Server::Stop(std::function<void()> done) { impl_->Stop(std::move(done)); }

ServerCounters Server::counters() const { return impl_->counters(); }

std::map<std::string, std::uint64_t> Server::RecordsReceivedByStream() const {
  return impl_->RecordsReceivedByStream();
}

std::vector<std::string> Server::ListeningAddresses() const { return impl_->ListeningAddresses(); }

std::string Server::StatusJson() const { return impl_->StatusJson(); }

}  // namespace pipes
