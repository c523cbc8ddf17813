// The --http endpoints' routing (HandleEndpoint) with scripted sources, and the endpoints server
// on a real loopback socket. The whole host behind them: tests/e2e/http_test.cc.

#include "http_endpoints.h"

#include <catch2/catch.hpp>
#include <string>

#include "base/logger.h"
#include "httpclient/curl_http_client.h"

namespace ama {
namespace {

httpserver::Request Get(std::string path, std::string method = "GET") {
  httpserver::Request request;
  request.method = std::move(method);
  request.path = path;
  request.target = std::move(path);
  return request;
}

struct Scripted {
  std::string not_ready;
  std::optional<std::string> status = R"({"version":"x"})";
  std::optional<std::string> metrics = "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n";

  EndpointSources Sources() {
    return EndpointSources{.not_ready = [this] { return not_ready; },
                           .status_json = [this] { return status; },
                           .metrics = [this] { return metrics; }};
  }
};

const std::string* Header(const httpserver::Reply& reply, std::string_view name) {
  return reply.response.FindHeader(name);
}

TEST_CASE("HandleEndpoint answers the four endpoints", "[ama][http]") {
  Scripted scripted;
  EndpointSources sources = scripted.Sources();

  httpserver::Reply health = HandleEndpoint(Get("/healthz"), sources);
  CHECK(health.response.status == 200);
  CHECK(health.response.body == "ok\n");
  CHECK(*Header(health, "Cache-Control") == "no-store");

  httpserver::Reply ready = HandleEndpoint(Get("/readyz"), sources);
  CHECK(ready.response.status == 200);
  scripted.not_ready = "starting: opening the store";
  ready = HandleEndpoint(Get("/readyz"), sources);
  CHECK(ready.response.status == 503);
  CHECK(ready.response.body == "not ready: starting: opening the store\n");
  // Alive whatever the readiness.
  CHECK(HandleEndpoint(Get("/healthz"), sources).response.status == 200);

  httpserver::Reply metrics = HandleEndpoint(Get("/metrics"), sources);
  CHECK(metrics.response.status == 200);
  CHECK(*Header(metrics, "Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(metrics.response.body == *scripted.metrics);

  httpserver::Reply status = HandleEndpoint(Get("/api/v1/status"), sources);
  CHECK(status.response.status == 200);
  CHECK_THAT(*Header(status, "Content-Type"), Catch::StartsWith("application/json"));
  CHECK(status.response.body == *scripted.status);
}

TEST_CASE("HandleEndpoint: 503 with the reason when the host cannot answer", "[ama][http]") {
  Scripted scripted;
  scripted.status.reset();
  scripted.metrics.reset();
  EndpointSources sources = scripted.Sources();
  httpserver::Reply status = HandleEndpoint(Get("/api/v1/status"), sources);
  CHECK(status.response.status == 503);
  CHECK(status.response.body == "no status now: the host did not answer in time\n");
  scripted.not_ready = "stopping: the sockets are closed";
  httpserver::Reply metrics = HandleEndpoint(Get("/metrics"), sources);
  CHECK(metrics.response.status == 503);
  CHECK(metrics.response.body == "no metrics now: stopping: the sockets are closed\n");
}

TEST_CASE("HandleEndpoint: 404 for other paths, 405 for other methods", "[ama][http]") {
  Scripted scripted;
  EndpointSources sources = scripted.Sources();
  for (const char* path :
       {"/", "/metrics/", "/healthz/x", "/api/v1", "/api/v1/status2", "/METRICS", "*"}) {
    INFO(path);
    CHECK(HandleEndpoint(Get(path), sources).response.status == 404);
  }
  for (const char* method : {"POST", "PUT", "DELETE", "HEAD", "OPTIONS", "get"}) {
    INFO(method);
    httpserver::Reply reply = HandleEndpoint(Get("/metrics", method), sources);
    CHECK(reply.response.status == 405);
    CHECK(*Header(reply, "Allow") == "GET");
  }
  // The query string does not change the answer.
  httpserver::Request with_query = Get("/healthz");
  with_query.target = "/healthz?verbose=1";
  with_query.query = "verbose=1";
  CHECK(HandleEndpoint(with_query, sources).response.status == 200);
}

base::HttpRequest Request(std::string method, std::string url, std::string body = {}) {
  base::HttpRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.body = std::move(body);
  return request;
}

TEST_CASE("HttpEndpoints serve plain HTTP on a loopback port and stop", "[ama][http]") {
  httpclient::CurlGlobal curl;
  base::MemoryLogger logger;
  Scripted scripted;
  httpserver::ListenAddress listen;
  std::string error;
  REQUIRE(httpserver::ParseListenAddress("127.0.0.1:0", &listen, &error));
  HttpEndpoints endpoints(listen, scripted.Sources(), logger);
  REQUIRE_FALSE(endpoints.Start());
  REQUIRE(endpoints.port() != 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(endpoints.port());
  httpclient::CurlHttpClient client;
  base::HttpResponse response;
  REQUIRE_FALSE(client.Send(Request("GET", base + "/healthz"), &response));
  CHECK(response.status == 200);
  CHECK(response.body == "ok\n");
  // A body is refused before any handler sees it: the endpoints take none.
  REQUIRE_FALSE(client.Send(Request("POST", base + "/metrics", "x"), &response));
  CHECK(response.status == 413);
  endpoints.Stop();
  CHECK(client.Send(Request("GET", base + "/healthz"), &response));
}

}  // namespace
}  // namespace ama
