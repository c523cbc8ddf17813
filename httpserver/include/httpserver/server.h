#ifndef AMAHOST_HTTPSERVER_SERVER_H_
#define AMAHOST_HTTPSERVER_SERVER_H_

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <system_error>
#include <unordered_set>

#include "base/logger.h"
#include "base/thread_annotations.h"
#include "httpserver/http_message.h"
#include "httpserver/request_parser.h"

namespace httpserver {

class Connection;

// Which TLS client refusals were logged already, so that each (peer, reason) is logged once.
// Bounded: after 1024 different ones it forgets them all and starts over. Thread-safe.
class RefusalLog {
 public:
  // True the first time `key` is seen (the caller then logs it).
  bool First(const std::string& key) LOCKS_EXCLUDED(mutex_);

 private:
  base::Mutex mutex_;
  std::unordered_set<std::string> seen_ GUARDED_BY(mutex_);
};

struct ServerOptions {
  // Where to listen. The server binds what it is given: which addresses are acceptable is the
  // caller's decision (mockcloud: loopback only; amahost: loopback unless --http-allow-remote).
  asio::ip::address address = asio::ip::address_v4::loopback();
  std::uint16_t port = 0;  // 0 = any free port
  // Connections open at once; one over the limit is closed at accept and logged.
  std::size_t max_connections = 256;
  // A connection with no complete read or write for this long is closed (TLS handshake included).
  std::chrono::seconds idle_timeout{60};
  RequestLimits limits;
  // TLS only. The TLS context requires client certificates (ConfigureServerTls): a handshake
  // that fails for want of one, or for one that does not verify, is logged at warning with the
  // peer, the reason and client_cert_hint (what to present), once per peer and reason (the first
  // 1024 of them; then it starts over).
  bool require_client_cert = false;
  std::string client_cert_hint;
  // Every request is logged at this level: method, path without the query, status.
  base::LogLevel request_log_level = base::LogLevel::kInfo;
};

// Called for every complete request, on one of the threads running the io_context: for requests
// on different connections, on several at once. The Reply's delay holds the response back.
using RequestHandler = std::function<Reply(const Request&)>;

// The PEM files of a TLS server.
struct ServerTlsFiles {
  std::filesystem::path certificate{};  // the server's certificate (chain)
  std::filesystem::path key{};          // its private key
  std::filesystem::path client_ca{};    // the CA client certificates must chain to (if required)
};

// Loads the server certificate and key into `context` and restricts it to TLS 1.2 and newer.
// With `require_client_cert`, every client must present a certificate that chains to
// files.client_ca and may be used for client authentication, or the handshake fails; the CA is
// named in the certificate request. Without it, no client certificate is asked for.
// Returns false with a message in `error`.
bool ConfigureServerTls(asio::ssl::context* context, const ServerTlsFiles& files,
                        std::string* error, bool require_client_cert = false);

// An HTTP/1.1 server over plain TCP or TLS, on the address and port of its options.
// Keep-alive and pipelining, "Expect: 100-continue", an idle timeout per connection, a limit on
// connections (one over the limit is closed at once and logged), every request bounded by
// RequestLimits and every response framed by Content-Length. Malformed requests are answered
// with the parser's status and a JSON body, and the connection is closed. Each request is logged
// (ServerOptions::request_log_level): method, path without the query, status; never a header
// (tokens live there) nor the query.
//
// Any number of threads may run the io_context. Each connection lives on a strand of its own,
// so that its reads, writes, timers and handler calls never overlap while different connections
// are served in parallel (TLS, parsing and the handler included); the acceptor has a strand too.
// Start() and port() before the io_context runs; Stop() and connection_count() from any thread.
// The io_context, the TLS context, the handler and the logger must outlive it, and it must
// outlive the io_context's run(): Stop(), let run() return on every thread, then destroy it.
class Server {
 public:
  // `tls` null: plain HTTP. Otherwise HTTPS with that context (see ConfigureServerTls).
  Server(asio::io_context& io, asio::ssl::context* tls, RequestHandler handler,
         base::Logger& logger, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens on options.address:options.port and starts accepting.
  std::error_code Start();
  // The bound port (the one the kernel chose when options.port was 0).
  std::uint16_t port() const { return port_; }
  // Stops accepting and closes every connection, on the acceptor's strand (at once when called
  // there, else soon after it returns).
  void Stop() LOCKS_EXCLUDED(mutex_);
  // Connections open now.
  std::size_t connection_count() LOCKS_EXCLUDED(mutex_);
  // Connections accepted and served since Start (not those closed over the limit).
  std::uint64_t accepted_count() LOCKS_EXCLUDED(mutex_);

 private:
  void Accept();
  void StopNow() LOCKS_EXCLUDED(mutex_);
  std::size_t CountConnections() EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  asio::io_context& io_;
  asio::ssl::context* tls_;
  RequestHandler handler_;
  base::Logger& logger_;
  ServerOptions options_;
  // Used on their strand only (the acceptor's executor).
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::uint16_t port_ = 0;
  RefusalLog refusals_;

  base::Mutex mutex_;
  std::list<std::weak_ptr<Connection>> connections_ GUARDED_BY(mutex_);
  std::uint64_t next_id_ GUARDED_BY(mutex_) = 1;
  bool stopped_ GUARDED_BY(mutex_) = false;
};

}  // namespace httpserver

#endif  // AMAHOST_HTTPSERVER_SERVER_H_
