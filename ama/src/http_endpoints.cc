#include "http_endpoints.h"

#include <asio/post.hpp>

namespace ama {
namespace {

constexpr char kExpositionType[] = "text/plain; version=0.0.4; charset=utf-8";

httpserver::ServerOptions EndpointServerOptions(const httpserver::ListenAddress& listen) {
  httpserver::ServerOptions options;
  options.address = listen.address;
  options.port = listen.port;
  // A scraper or two, a curl or two: nobody needs more, and none of it may cost the host much.
  options.max_connections = 16;
  options.idle_timeout = std::chrono::seconds(30);
  options.limits.max_request_line = 2 * 1024;
  options.limits.max_header_bytes = 8 * 1024;
  options.limits.max_headers = 32;
  options.limits.max_body = 0;
  // A scrape every few seconds would fill an info log.
  options.request_log_level = base::LogLevel::kDebug;
  return options;
}

httpserver::Reply Answer(httpserver::Response response) {
  // Every answer is about now: no cache may keep it.
  response.AddHeader("Cache-Control", "no-store");
  return httpserver::Reply{.response = std::move(response)};
}

httpserver::Reply Unavailable(std::string_view what, const EndpointSources& sources) {
  std::string why = sources.not_ready();
  if (why.empty()) why = "the host did not answer in time";
  return Answer(httpserver::TextResponse(503, std::string(what) + why + "\n"));
}

}  // namespace

httpserver::Reply HandleEndpoint(const httpserver::Request& request,
                                 const EndpointSources& sources) {
  const std::string& path = request.path;
  const bool known =
      path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/api/v1/status";
  if (!known) {
    return Answer(httpserver::TextResponse(
        404, "not found: amahost serves GET /healthz, /readyz, /metrics and /api/v1/status\n"));
  }
  if (request.method != "GET") {
    httpserver::Response response =
        httpserver::TextResponse(405, "method not allowed: " + path + " takes GET\n");
    response.AddHeader("Allow", "GET");
    return Answer(std::move(response));
  }
  if (path == "/healthz") return Answer(httpserver::TextResponse(200, "ok\n"));
  if (path == "/readyz") {
    std::string why = sources.not_ready();
    if (!why.empty()) return Answer(httpserver::TextResponse(503, "not ready: " + why + "\n"));
    return Answer(httpserver::TextResponse(200, "ready\n"));
  }
  if (path == "/metrics") {
    std::optional<std::string> text = sources.metrics();
    if (!text) return Unavailable("no metrics now: ", sources);
    return Answer(httpserver::TextResponse(200, std::move(*text), kExpositionType));
  }
  std::optional<std::string> status = sources.status_json();
  if (!status) return Unavailable("no status now: ", sources);
  return Answer(httpserver::JsonResponse(200, std::move(*status)));
}

HttpEndpoints::HttpEndpoints(httpserver::ListenAddress listen, EndpointSources sources,
                             base::Logger& logger)
    : server_(
          io_, nullptr,
          [sources = std::move(sources)](const httpserver::Request& request) {
            return HandleEndpoint(request, sources);
          },
          logger, EndpointServerOptions(listen)) {}

HttpEndpoints::~HttpEndpoints() { Stop(); }

std::error_code HttpEndpoints::Start() {
  if (std::error_code ec = server_.Start()) return ec;
  thread_ = std::thread([this] { io_.run(); });
  return {};
}

void HttpEndpoints::Stop() {
  if (!thread_.joinable()) return;
  server_.Stop();
  // Connections close on their strands; run() returns once nothing is left to do.
  thread_.join();
}

}  // namespace ama
