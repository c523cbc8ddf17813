#ifndef AMAHOST_AMA_HTTP_ENDPOINTS_H_
#define AMAHOST_AMA_HTTP_ENDPOINTS_H_

#include <asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "base/logger.h"
#include "httpserver/http_message.h"
#include "httpserver/listen_address.h"
#include "httpserver/server.h"

namespace ama {

// What the endpoints answer with. Called on the HTTP thread; each must be thread-safe.
struct EndpointSources {
  // Why the host is not ready (starting, waiting for its first configuration, stopping); empty
  // when it is.
  std::function<std::string()> not_ready;
  // The AmahostStatus document (what `amactl status --json` prints); none when the host cannot
  // build it now (starting, stopped, or its io thread did not answer in time).
  std::function<std::optional<std::string>()> status_json;
  // The Prometheus exposition; none as above.
  std::function<std::optional<std::string>()> metrics;
};

// Routes one request (pure but for the sources it calls):
//   GET /healthz         200 "ok"
//   GET /readyz          200 "ready", or 503 with the reason
//   GET /metrics         200 text/plain; version=0.0.4 (the exposition format), or 503
//   GET /api/v1/status   200 application/json, the AmahostStatus document, or 503
// HEAD is not served; another method on these paths is 405 (with Allow: GET), another path 404.
// The query string is ignored.
httpserver::Reply HandleEndpoint(const httpserver::Request& request,
                                 const EndpointSources& sources);

// The host's --http server: HandleEndpoint over plain HTTP on one address, on a thread and
// io_context of its own, so that nothing a scraper does (slow reads, many connections, parsing)
// takes time from the io thread that serves the extension sockets. Bounded: 16 connections, a
// request line of 2 KiB, 8 KiB of headers, no body; idle connections close after 30 s.
//
// Start() and Stop() from one thread (the host's); port() after a successful Start().
class HttpEndpoints {
 public:
  // `logger` must outlive it; `sources` are called until Stop() returns.
  HttpEndpoints(httpserver::ListenAddress listen, EndpointSources sources, base::Logger& logger);
  ~HttpEndpoints();  // Stop()
  HttpEndpoints(const HttpEndpoints&) = delete;
  HttpEndpoints& operator=(const HttpEndpoints&) = delete;

  // Binds and starts the thread.
  std::error_code Start();
  // The bound port (the kernel's choice when the address asked for port 0).
  std::uint16_t port() const { return server_.port(); }
  // Closes the listener and every connection and joins the thread. Idempotent.
  void Stop();

 private:
  asio::io_context io_{1};
  httpserver::Server server_;
  std::thread thread_;
};

}  // namespace ama

#endif  // AMAHOST_AMA_HTTP_ENDPOINTS_H_
