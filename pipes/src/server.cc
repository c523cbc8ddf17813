#include "pipes/server.h"

#include <map>

#include "connection.h"
#include "listener.h"
#include "shared_state.h"

namespace pipes {

bool LogThrottle::Allow(std::string_view key) {
  auto now = std::chrono::steady_clock::now();
  auto it = last_.find(key);
  if (it != last_.end()) {
    if (now - it->second < interval_) return false;
    it->second = now;
    return true;
  }
  if (last_.size() >= kMaxKeys) last_.clear();
  last_.emplace(std::string(key), now);
  return true;
}

void SharedState::Unregister(Connection* connection) {
  connections.erase(connection);
  if (stopping && connections.empty() && on_all_closed) {
    auto done = std::move(on_all_closed);
    on_all_closed = nullptr;
    done();
  }
}

class Server::Impl {
 public:
  Impl(asio::io_context& io, ServerOptions options, localstore::RecordSink& sink)
      : io_(io), state_(std::make_shared<SharedState>(std::move(options), sink)) {}

  std::error_code Start(std::shared_ptr<const RoutingTable> routes) {
    state_->routes = std::move(routes);
    SocketAddress config = ConfigSocketAddress(state_->options.naming);
    if (std::error_code ec = Listen(config, "")) return ec;
    config_listener_name_ = config.Display();
    OpenExtensionSockets();
    return {};
  }

  void Update(std::shared_ptr<const RoutingTable> routes) {
    state_->routes = std::move(routes);
    if (state_->stopping) return;
    for (auto it = extension_listeners_.begin(); it != extension_listeners_.end();) {
      if (state_->routes->extensions.count(it->first) == 0) {
        state_->logger.Info("pipes", "closing {}: no active DCR names {} any more",
                            it->second->address().Display(), it->first);
        it->second->Close();
        it = extension_listeners_.erase(it);
      } else {
        ++it;
      }
    }
    OpenExtensionSockets();
  }

  void Stop(std::function<void()> done) {
    state_->stopping = true;
    for (auto& [name, listener] : listeners_) listener->Close();
    listeners_.clear();
    for (auto& [name, listener] : extension_listeners_) listener->Close();
    extension_listeners_.clear();
    if (state_->connections.empty()) {
      done();
      return;
    }
    state_->on_all_closed = std::move(done);
    // Drain may close a connection at once, which erases it from the set.
    std::vector<Connection*> connections(state_->connections.begin(), state_->connections.end());
    for (Connection* connection : connections) {
      if (state_->connections.count(connection)) connection->Drain();
    }
  }

  ServerCounters counters() const { return state_->counters; }

  std::vector<SocketAddress> ListeningAddresses() const {
    std::vector<SocketAddress> addresses;
    for (const auto& [name, listener] : listeners_) addresses.push_back(listener->address());
    for (const auto& [name, listener] : extension_listeners_) {
      addresses.push_back(listener->address());
    }
    return addresses;
  }

 private:
  void OpenExtensionSockets() {
    for (const auto& [name, routes] : state_->routes->extensions) {
      if (extension_listeners_.count(name)) continue;
      if (!IsValidExtensionName(name)) {
        state_->logger.Error("pipes",
                             "extension name '{}' is not usable in a socket name "
                             "(1-64 of A-Z a-z 0-9 . _ -); no socket opened for it",
                             name);
        continue;
      }
      Listen(ExtensionSocketAddress(state_->options.naming, name), name);
    }
  }

  std::error_code Listen(const SocketAddress& address, const std::string& extension) {
    std::unique_ptr<Listener> listener;
    if (std::error_code ec = Listener::Open(io_, address, &listener)) {
      std::string hint;
      if (ec == std::errc::address_in_use) {
        hint = " (another amahost or AMA is listening there; use --instance to run several)";
      } else if (ec == std::errc::file_exists) {
        hint = " (a file that is not a socket is in the way)";
      }
      state_->logger.Error("pipes", "cannot listen on {}: {}{}", address.Display(), ec.message(),
                           hint);
      return ec;
    }
    state_->logger.Info("pipes", "listening on {}", address.Display());
    Listener* raw = listener.get();
    if (extension.empty()) {
      listeners_[address.Display()] = std::move(listener);
    } else {
      extension_listeners_[extension] = std::move(listener);
    }
    Accept(raw, extension, std::weak_ptr<SharedState>(state_));
    return {};
  }

  // The listener is owned by this Impl; the handler checks the shared state still exists and the
  // acceptor is open before touching either.
  void Accept(Listener* listener, std::string extension, std::weak_ptr<SharedState> weak) {
    listener->acceptor().async_accept(
        [this, listener, extension, weak](const asio::error_code& ec,
                                          asio::local::stream_protocol::socket socket) {
          auto state = weak.lock();
          if (!state || ec == asio::error::operation_aborted) return;
          if (!listener->acceptor().is_open()) return;
          if (!ec) {
            ++state->counters.connections_accepted;
            if (state->connections.size() >= state->options.max_connections) {
              ++state->counters.connections_refused;
              state->logger.Warning("pipes", "refusing a connection on {}: {} connections open",
                                    listener->address().Display(), state->connections.size());
            } else {
              std::make_shared<Connection>(std::move(socket), state, extension,
                                           listener->address().Display())
                  ->Start();
            }
          } else {
            state->logger.Warning("pipes", "accept on {} failed: {}", listener->address().Display(),
                                  ec.message());
          }
          Accept(listener, extension, weak);
        });
  }

  asio::io_context& io_;
  std::shared_ptr<SharedState> state_;
  std::string config_listener_name_;
  std::map<std::string, std::unique_ptr<Listener>> listeners_;
  std::map<std::string, std::unique_ptr<Listener>> extension_listeners_;
};

Server::Server(asio::io_context& io, ServerOptions options, localstore::RecordSink& sink)
    : impl_(std::make_shared<Impl>(io, std::move(options), sink)) {}

Server::~Server() = default;

std::error_code Server::Start(std::shared_ptr<const RoutingTable> routes) {
  return impl_->Start(std::move(routes));
}

void Server::Update(std::shared_ptr<const RoutingTable> routes) {
  impl_->Update(std::move(routes));
}

void Server::Stop(std::function<void()> done) { impl_->Stop(std::move(done)); }

ServerCounters Server::counters() const { return impl_->counters(); }

std::vector<SocketAddress> Server::ListeningAddresses() const {
  return impl_->ListeningAddresses();
}

}  // namespace pipes
