#include "control_plane_client.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "base/logger.h"
#include "support/fake_http_client.h"
#include "support/temp_dir.h"

using std::chrono::milliseconds;
using testing::FakeHttpClient;

namespace {

constexpr char kHandler[] = "https://handler.test";
constexpr char kDce[] = "https://dce.test";
constexpr char kEmpty[] = R"({"configurations":[]})";

struct Fixture {
  testing::TempDir dir;
  base::MemoryLogger logger;
  FakeHttpClient http;
  ama::HostOptions options;
  Fixture() {
    options.handler_url = kHandler;
    options.resource_id =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm";
    options.refresh = std::chrono::minutes(5);
    options.control_retry_base = milliseconds(1000);
    options.control_retry_max = milliseconds(8000);
  }
  std::filesystem::path endpoint_file() const { return dir / "mcsendpoint.txt"; }
  ama::ControlPlaneClient Client() {
    return ama::ControlPlaneClient(options, logger, http, endpoint_file());
  }
};

}  // namespace

TEST_CASE("An answer waits a refresh period, a failure backs off", "[ama][control]") {
  Fixture f;
  f.http.Script(kHandler, {FakeHttpClient::Status(503), FakeHttpClient::Status(503),
                           FakeHttpClient::Status(200, kEmpty), FakeHttpClient::Status(404)});
  auto client = f.Client();
  milliseconds next{};
  CHECK(client.Fetch({}, &next).outcome == dcr::FetchResult::Outcome::kFailed);
  CHECK(next <= milliseconds(1000));  // full jitter under the first ceiling
  CHECK(client.consecutive_failures() == 1);
  client.Fetch({}, &next);
  CHECK(next <= milliseconds(2000));
  CHECK(client.consecutive_failures() == 2);
  CHECK(client.Fetch({}, &next).outcome == dcr::FetchResult::Outcome::kUpdated);
  CHECK(next == std::chrono::minutes(5));
  CHECK(client.consecutive_failures() == 0);
  // A 404 from the handler is not worth a quick retry.
  client.Fetch({}, &next);
  CHECK(next == std::chrono::minutes(5));
}

TEST_CASE("Retry-After is honoured when it asks for longer than the backoff", "[ama][control]") {
  Fixture f;
  f.http.Script(kHandler, {FakeHttpClient::Status(429, "", {{"Retry-After", "120"}})});
  auto client = f.Client();
  milliseconds next{};
  client.Fetch({}, &next);
  CHECK(next == std::chrono::seconds(120));
}

TEST_CASE("Transport errors and 401 are retried with backoff", "[ama][control]") {
  for (auto answer : {FakeHttpClient::Failure(std::errc::connection_refused),
                      FakeHttpClient::Status(401), FakeHttpClient::Status(408)}) {
    Fixture f;
    f.http.Script(kHandler, {answer});
    auto client = f.Client();
    milliseconds next{};
    client.Fetch({}, &next);
    CHECK(next <= milliseconds(1000));
    CHECK(client.consecutive_failures() == 1);
  }
}

TEST_CASE("A 421 is followed at once, remembered, and forgotten when it stops answering",
          "[ama][control]") {
  Fixture f;
  f.http.Script(kHandler,
                {FakeHttpClient::Status(421, "", {{"x-ms-agent-config-endpoint", kDce}})});
  f.http.Script(kDce, {FakeHttpClient::Status(200, kEmpty), FakeHttpClient::Status(304)});
  {
    auto client = f.Client();
    milliseconds next{};
    CHECK(client.Fetch({}, &next).outcome == dcr::FetchResult::Outcome::kUpdated);
    CHECK(client.endpoint() == kDce);
    CHECK(f.http.Count(kHandler) == 1);
    CHECK(f.http.Count(kDce) == 1);
    CHECK(client.Fetch({"e1"}, &next).outcome == dcr::FetchResult::Outcome::kNotModified);
    CHECK(f.http.Count(kHandler) == 1);
  }
  std::ifstream file(f.endpoint_file());
  std::string remembered;
  std::getline(file, remembered);
  CHECK(remembered == kDce);

  // A new client (a restart) starts at the remembered endpoint.
  f.http.Script(kDce, {FakeHttpClient::Failure(std::errc::connection_refused)});
  auto restarted = f.Client();
  CHECK(restarted.endpoint() == kDce);
  milliseconds next{};
  restarted.Fetch({}, &next);
  CHECK(restarted.endpoint() == kHandler);
  CHECK_FALSE(std::filesystem::exists(f.endpoint_file()));
  CHECK(f.logger.Contains("asking " + std::string(kHandler) + " again"));
}

TEST_CASE("Redirects are followed at most three times in a row", "[ama][control]") {
  Fixture f;
  f.http.Script(kHandler,
                {FakeHttpClient::Status(421, "", {{"x-ms-agent-config-endpoint", kHandler}})});
  auto client = f.Client();
  milliseconds next{};
  CHECK(client.Fetch({}, &next).outcome == dcr::FetchResult::Outcome::kFailed);
  CHECK(f.http.Count(kHandler) == 4);
}
