#ifndef AMAHOST_HTTPSERVER_CONNECTION_H_
#define AMAHOST_HTTPSERVER_CONNECTION_H_

#include <array>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/logger.h"
#include "httpserver/request_parser.h"
#include "httpserver/server.h"

namespace httpserver {

// One accepted connection of Server, plain TCP or TLS: (TLS handshake, then) read → parse →
// handle → write, in turn, until the client or an error closes it. Owned by the handlers in
// flight (shared_ptr); the Server only keeps a weak_ptr to close it on Stop().
//
// Runs on the strand its socket was accepted with: every member but Stop() is called there.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `tls` null: plain TCP. `tls` and `refusals` (the Server's) must outlive it.
  Connection(asio::ip::tcp::socket socket, asio::ssl::context* tls, RequestHandler handler,
             base::Logger& logger, const ServerOptions& options, std::uint64_t id,
             RefusalLog& refusals);

  void Start();
  // Close(), on the connection's strand; from any thread.
  void Stop();
  // Closes the socket now; pending operations end with operation_aborted. Idempotent.
  void Close();

 private:
  // Calls fn(stream) with the TLS stream or the plain socket: the same Asio operations on either.
  template <typename Fn>
  void WithStream(Fn&& fn) {
    if (tls_) {
      fn(*tls_);
    } else {
      fn(*plain_);
    }
  }
  asio::ip::tcp::socket& socket() { return tls_ ? tls_->next_layer() : *plain_; }

  void ReadMore();
  void Process();
  void Respond(const Request& request, Reply reply);
  void Send(std::string bytes, bool keep_alive);
  // Ends a connection after a "Connection: close" response (TLS close_notify, or for plain TCP
  // a half-close and DrainPlain), closing it after kShutdownTimeout at the latest.
  void Shutdown();
  void DrainPlain();
  void ArmIdleTimer(std::chrono::steady_clock::duration timeout);
  // TLS: notes why the client's certificate did not verify (for HandshakeFailed).
  void WatchClientCertificate();
  // Logs a failed handshake: a refused client certificate at warning (once per peer and reason),
  // anything else at debug.
  void HandshakeFailed(const std::error_code& error);

  // Exactly one of the two is set.
  std::optional<asio::ssl::stream<asio::ip::tcp::socket>> tls_;
  std::optional<asio::ip::tcp::socket> plain_;
  asio::steady_timer idle_timer_;
  asio::steady_timer delay_timer_;
  RequestHandler handler_;
  base::Logger& logger_;
  ServerOptions options_;
  std::uint64_t id_;
  RefusalLog& refusals_;
  // Why the client's certificate did not verify, from the verify callback; empty if it did.
  std::string certificate_problem_;
  RequestParser parser_;
  std::array<char, 16 * 1024> read_buffer_;
  std::string pending_;  // bytes read but not yet parsed (pipelined requests)
  std::string write_buffer_;
  bool continue_sent_ = false;
  bool closed_ = false;
};

}  // namespace httpserver

#endif  // AMAHOST_HTTPSERVER_CONNECTION_H_
