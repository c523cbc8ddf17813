// amahost --http on real parts: the host's endpoints scraped over loopback with libcurl, the
// exposition checked by Prometheus' own promtool, counters moving as a Forward sender's records
// reach mockcloud, /readyz flipping at start (a control plane that has not answered) and at
// SIGTERM, and /api/v1/status against amactl status --json.

#include <signal.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include "base/files.h"
#include "e2e_support.h"
#include "httpclient/curl_http_client.h"
#include "rapidjson/document.h"
#include "support/promtool.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace {

using namespace std::chrono_literals;

// The port a host started with --http 127.0.0.1:0 chose, from <state-dir>/http-port.
std::uint16_t HttpPort(const testing::HostProcess& host) {
  std::string text;
  REQUIRE_FALSE(base::ReadFile(host.state_dir() / "http-port", 64, &text));
  return static_cast<std::uint16_t>(std::stoi(text));
}

class Scraper {
 public:
  explicit Scraper(std::uint16_t port) : base_("http://127.0.0.1:" + std::to_string(port)) {}

  base::HttpResponse Send(const std::string& method, const std::string& path) {
    base::HttpRequest request;
    request.method = method;
    request.url = base_ + path;
    request.timeout = 10s;
    base::HttpResponse response;
    if (std::error_code ec = client_.Send(request, &response)) {
      response.status = 0;
      response.body = ec.message();
    }
    return response;
  }
  base::HttpResponse Get(const std::string& path) { return Send("GET", path); }

 private:
  std::string base_;
  httpclient::CurlHttpClient client_;
};

// The value of `series` ("name" or "name{labels}") in an exposition; NaN when it is not there.
double Sample(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return std::numeric_limits<double>::quiet_NaN();
}

std::string Stream(const std::string& id) {
  return "{stream=\"" + id + "\",data_type=\"" + id.substr(id.rfind(':') + 1) + "\"}";
}

// Parses `json`, then removes what differs between two looks at the same idle host: the uptime
// and the traces of the looking itself (amactl's connection, its request and read buffer).
rapidjson::Document StableStatus(const std::string& json) {
  rapidjson::Document document;
  document.Parse(json.c_str(), json.size());
  REQUIRE(document.IsObject());
  document.RemoveMember("connections");
  auto& counters = document["counters"];
  for (const char* name :
       {"connectionsAccepted", "connectionsOpen", "configRequests", "bufferBytes"}) {
    REQUIRE(counters.RemoveMember(name));
  }
  REQUIRE(document["host"].RemoveMember("uptimeSeconds"));
  return document;
}

}  // namespace

TEST_CASE("amahost --http: /metrics passes promtool and its counters move as records flow",
          "[e2e][http]") {
  testing::MockCloudProcess cloud;
  testing::TempDir dir;
  std::vector<std::string> args = e2e::CloudArgs(cloud, "0.1");
  args.insert(args.end(), {"--http", "127.0.0.1:0"});
  testing::HostProcess host(dir.path(), args);
  REQUIRE(host.Start());
  const std::uint16_t port = HttpPort(host);
  // The banner follows the sockets' binding: it may not be printed yet.
  const std::string banner = "  http      http://127.0.0.1:" + std::to_string(port) +
                             "  (/healthz /readyz /metrics /api/v1/status)";
  CHECK(testing::WaitUntil([&] { return host.Log().find(banner) != std::string::npos; }));
  Scraper scraper(port);

  base::HttpResponse health = scraper.Get("/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  CHECK(testing::WaitUntil([&] { return scraper.Get("/readyz").status == 200; }));
  CHECK(scraper.Get("/readyz").body == "ready\n");
  CHECK(scraper.Get("/nothing/here").status == 404);
  base::HttpResponse post = scraper.Send("DELETE", "/metrics");
  CHECK(post.status == 405);
  REQUIRE(post.FindHeader("Allow"));
  CHECK(*post.FindHeader("Allow") == "GET");

  base::HttpResponse before = scraper.Get("/metrics");
  REQUIRE(before.status == 200);
  REQUIRE(before.FindHeader("Content-Type"));
  CHECK(*before.FindHeader("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(Sample(before.body, "amahost_ready") == 1);
  CHECK(Sample(before.body, "amahost_records_received_total") == 0);

  std::set<std::uint64_t> acked;
  {
    e2e::AckedSender sender(pipes::ExtensionSocketAddress(host.naming(), "ChangeTracking-Linux"),
                            25);
    REQUIRE(testing::WaitUntil([&] { return sender.Acked().size() >= 200; }));
    acked = sender.Acked();
    CHECK_FALSE(sender.failed());
  }  // the sender stops: a message sent after the copy may still be acknowledged meanwhile
  REQUIRE(
      testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") >= acked.size(); }));

  const std::string ct = Stream(e2e::kChangeV2);
  std::string text;
  REQUIRE(testing::WaitUntil([&] {
    text = scraper.Get("/metrics").body;
    return Sample(text, "amahost_stream_records_uploaded_total" + ct) >=
               static_cast<double>(acked.size()) &&
           Sample(text, "amahost_stream_backlog_records" + ct) == 0;
  }));
  INFO(text);
  const double received = Sample(text, "amahost_stream_records_received_total" + ct);
  CHECK(received >= static_cast<double>(acked.size()));
  CHECK(Sample(text, "amahost_stream_records_committed_total" + ct) == received);
  CHECK(Sample(text, "amahost_records_received_total") == received);
  CHECK(Sample(text, "amahost_records_committed_total") == received);
  CHECK(Sample(text, "amahost_stream_records_uploaded_total" + ct) == received);
  CHECK(Sample(text, "amahost_stream_records_rejected_total" + ct) == 0);
  CHECK(Sample(text, "amahost_stream_oldest_record_age_seconds" + ct) == 0);
  CHECK(Sample(text, "amahost_connections_accepted_total") >= 1);
  CHECK(Sample(text, "amahost_records_dropped_total{reason=\"unknown_stream\"}") == 0);
  CHECK(Sample(text, "amahost_store_commit_duration_seconds_count") >= received / 25);
  CHECK(Sample(text, "amahost_store_commit_duration_seconds_bucket{le=\"+Inf\"}") ==
        Sample(text, "amahost_store_commit_duration_seconds_count"));
  CHECK(Sample(text, "amahost_upload_request_duration_seconds_count{protocol=\"ods\"}") >= 1);
  CHECK(Sample(text, "amahost_store_disk_full") == 0);

  std::optional<testing::CommandResult> checked = testing::PromtoolCheckMetrics(text);
  if (!checked) {
    WARN(testing::kNoPromtool);
  } else {
    INFO(checked->out << checked->err);
    CHECK(checked->exit_code == 0);
  }
  CHECK(host.Terminate());
}

TEST_CASE("amahost --http: /api/v1/status is what amactl status --json prints", "[e2e][http]") {
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), {"--no-upload", "--http", "127.0.0.1:0"});
  REQUIRE(host.Start());
  Scraper scraper(HttpPort(host));
  // A record first, so that the document holds a stream with a table.
  std::vector<std::string> send = {"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack"};
  for (const std::string& arg : host.AmactlArgs()) send.push_back(arg);
  REQUIRE(testing::RunAmactl(send, e2e::RecordJson(1)).exit_code == 0);

  std::vector<std::string> status_args = {"status", "--json"};
  for (const std::string& arg : host.AmactlArgs()) status_args.push_back(arg);
  testing::CommandResult amactl = testing::RunAmactl(status_args);
  REQUIRE(amactl.exit_code == 0);
  base::HttpResponse http = scraper.Get("/api/v1/status");
  REQUIRE(http.status == 200);
  REQUIRE(http.FindHeader("Content-Type"));
  CHECK_THAT(*http.FindHeader("Content-Type"), Catch::StartsWith("application/json"));

  rapidjson::Document from_amactl = StableStatus(amactl.out);
  rapidjson::Document from_http = StableStatus(http.body);
  INFO("amactl status --json: " << amactl.out);
  INFO("/api/v1/status: " << http.body);
  CHECK(from_http == from_amactl);
  REQUIRE(from_http["host"]["streams"].Size() == 1);
  CHECK(from_http["host"]["streams"][0]["backlogRecords"].GetUint64() == 1);
  CHECK(host.Terminate());
}

TEST_CASE("amahost --http: /readyz waits for the control plane's first answer", "[e2e][http]") {
  testing::TempDir dcrs;
  std::filesystem::copy_file(std::filesystem::path(DCR_TEST_DATA_DIR) / "ct_arm.json",
                             dcrs / "ct_arm.json");
  testing::MockCloudProcess cloud({.dcr_dir = dcrs.path()});
  cloud.SetFault({.target = "control", .status = 503, .count = 1000000});
  testing::TempDir dir;
  testing::HostProcess host(
      dir.path(), {"--handler", cloud.base_url(), "--ca-file", cloud.ca_file(), "--control-retry",
                   "0.05", "--refresh", "0.2", "--http", "127.0.0.1:0"});
  // Its config socket answers without a configuration: nothing cached, nothing fetched yet.
  REQUIRE(host.Start());
  Scraper scraper(HttpPort(host));
  base::HttpResponse ready;
  REQUIRE(testing::WaitUntil([&] {
    ready = scraper.Get("/readyz");
    return ready.body.find("it failed") != std::string::npos;
  }));
  CHECK(ready.status == 503);
  CHECK_THAT(ready.body, Catch::StartsWith("not ready: waiting for the first answer of the "
                                           "control plane at " +
                                           cloud.base_url()));
  CHECK(scraper.Get("/healthz").status == 200);
  std::string text = scraper.Get("/metrics").body;
  CHECK(Sample(text, "amahost_ready") == 0);
  CHECK(Sample(text, "amahost_control_plane_fetches_total{result=\"failed\"}") >= 1);
  CHECK(Sample(text, "amahost_control_plane_fetches_total{result=\"updated\"}") == 0);

  cloud.ClearFaults();
  REQUIRE(testing::WaitUntil([&] { return scraper.Get("/readyz").status == 200; }));
  text = scraper.Get("/metrics").body;
  CHECK(Sample(text, "amahost_ready") == 1);
  CHECK(Sample(text, "amahost_control_plane_fetches_total{result=\"updated\"}") >= 1);
  CHECK(host.Terminate());
}

TEST_CASE("amahost --http: /readyz answers 503 once SIGTERM begins, /healthz until the end",
          "[e2e][http]") {
  testing::MockCloudProcess cloud;
  // Uploads answered 4 s late: the stopping host waits for the request in flight (up to 5 s),
  // which leaves time to look at it.
  cloud.SetFault({.target = "ods", .status = 0, .count = 1000000, .latency_ms = 4000});
  testing::TempDir dir;
  std::vector<std::string> args = e2e::CloudArgs(cloud, "0.1");
  args.insert(args.end(), {"--http", "127.0.0.1:0"});
  testing::HostProcess host(dir.path(), args);
  REQUIRE(host.Start());
  Scraper scraper(HttpPort(host));
  std::vector<std::string> send = {"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack"};
  for (const std::string& arg : host.AmactlArgs()) send.push_back(arg);
  REQUIRE(testing::RunAmactl(send, e2e::RecordJson(1)).exit_code == 0);
  REQUIRE(testing::WaitUntil([&] {
    return Sample(scraper.Get("/metrics").body, "amahost_upload_requests_in_flight") >= 1;
  }));
  CHECK(scraper.Get("/readyz").status == 200);

  host.Signal(SIGTERM);
  base::HttpResponse ready;
  REQUIRE(testing::WaitUntil(
      [&] {
        ready = scraper.Get("/readyz");
        return ready.status == 503;
      },
      3s));
  CHECK_THAT(ready.body, Catch::StartsWith("not ready: stopping"));
  CHECK(scraper.Get("/healthz").status == 200);
  CHECK(host.Terminate());
  // Gone with the host, and so is its port file.
  CHECK(scraper.Get("/healthz").status == 0);
  CHECK_FALSE(std::filesystem::exists(dir / "http-port"));
}

TEST_CASE("amahost --http refuses a non-loopback address unless --http-allow-remote",
          "[e2e][http]") {
  testing::TempDir dir;
  testing::CommandResult refused = testing::RunCommand(
      {AMAHOST_BINARY, "--state-dir", dir.path().string(), "--http", "0.0.0.0:0"});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("--http 0.0.0.0:0: not a loopback address"));
  CHECK_THAT(refused.err, Catch::Contains("--http-allow-remote"));
  CHECK_FALSE(std::filesystem::exists(dir / "amahost.lock"));  // refused before anything
}
