#ifndef AMAHOST_MOCKCLOUD_SERVER_H_
#define AMAHOST_MOCKCLOUD_SERVER_H_

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <system_error>

#include "base/logger.h"
#include "mockcloud/certificates.h"
#include "mockcloud/http_message.h"
#include "mockcloud/request_parser.h"

namespace mockcloud {

class Connection;

struct ServerOptions {
  std::uint16_t port = 7443;  // 0 = any free port
  std::size_t max_connections = 256;
  // A connection with no complete read or write for this long is closed (TLS handshake included).
  std::chrono::seconds idle_timeout{60};
  RequestLimits limits;
};

// Called for every complete request, on the io thread.
using RequestHandler = std::function<Reply(const Request&)>;

// Loads the server certificate and key into `context` and restricts it to TLS 1.2 and newer.
// Returns false with a message in `error`.
bool ConfigureServerTls(asio::ssl::context* context, const TlsFiles& files, std::string* error);

// An HTTPS/1.1 server on 127.0.0.1 only (never another address). Keep-alive and pipelining,
// "Expect: 100-continue", an idle timeout per connection, a limit on connections (one over the
// limit is closed at once and logged). Malformed requests are answered with the parser's status
// and the connection is closed. Each request is logged at info: method, path without the query,
// status; never a header (tokens live there).
//
// Runs on one io_context thread; all its members must be called on that thread. The io_context,
// the TLS context, the handler and the logger must outlive it, and it must outlive the
// io_context's run(): Stop() then let run() return.
class Server {
 public:
  Server(asio::io_context& io, asio::ssl::context& tls, RequestHandler handler,
         base::Logger& logger, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens on 127.0.0.1:<options.port> and starts accepting.
  std::error_code Start();
  // The bound port (the one the kernel chose when options.port was 0).
  std::uint16_t port() const { return port_; }
  // Stops accepting and closes every connection.
  void Stop();
  std::size_t connection_count();

 private:
  void Accept();

  asio::ssl::context& tls_;
  RequestHandler handler_;
  base::Logger& logger_;
  ServerOptions options_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::list<std::weak_ptr<Connection>> connections_;
  std::uint64_t next_id_ = 1;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_SERVER_H_
