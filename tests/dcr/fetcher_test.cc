#include "dcr/fetcher.h"

#include <catch2/catch.hpp>

#include "base/uuid.h"
#include "test_data.h"

namespace {

// Records every request and answers with a scripted response or transport error.
class FakeHttpClient : public base::HttpClient {
 public:
  std::error_code Send(const base::HttpRequest& request, base::HttpResponse* response) override {
    requests.push_back(request);
    if (error) return error;
    *response = next;
    return {};
  }

  std::vector<std::string> Headers(std::size_t request, std::string_view name) const {
    std::vector<std::string> values;
    for (const base::HttpHeader& header : requests.at(request).headers) {
      if (base::HeaderNameEquals(header.name, name)) values.push_back(header.value);
    }
    return values;
  }

  std::vector<base::HttpRequest> requests;
  base::HttpResponse next{.status = 304, .headers = {}, .body = ""};
  std::error_code error;
};

constexpr char kToken[] = "eyJ0eXAiOiJKV1QiLCJzZWNyZXQiOiJ0b3AifQ.secret-token-value";

dcr::FetcherOptions Options() {
  dcr::FetcherOptions options;
  options.handler_url = "https://global.handler.control.monitor.azure.com";
  options.agent_resource_id = dcr_test::kCtVm;
  options.user_agent = "amahost/0.1.0-linux";
  options.bearer_token = kToken;
  options.timeout = std::chrono::milliseconds(1234);
  return options;
}

TEST_CASE("Fetcher sends the agentConfigurations request", "[dcr][fetcher]") {
  FakeHttpClient http;
  dcr::Fetcher fetcher(Options(), http);
  const std::string url =
      "https://global.handler.control.monitor.azure.com/subscriptions/"
      "11111111-2222-3333-4444-555555555555/resourceGroups/lucasrg3/providers/Microsoft.Compute/"
      "virtualMachines/LucasVMUbuntuCT/agentConfigurations?platform=linux&includeMeConfig=true&"
      "api-version=2022-06-02";
  CHECK(fetcher.AgentConfigurationsUrl() == url);

  dcr::FetchResult result = fetcher.Fetch({"\"etag-1\"", "\"etag-2\""});
  CHECK(result.outcome == dcr::FetchResult::Outcome::kNotModified);
  CHECK(result.http_status == 304);
  REQUIRE(http.requests.size() == 1);
  const base::HttpRequest& request = http.requests[0];
  CHECK(request.method == "GET");
  CHECK(request.url == url);
  CHECK(request.timeout == std::chrono::milliseconds(1234));
  CHECK(http.Headers(0, "User-Agent") == std::vector<std::string>{"amahost/0.1.0-linux"});
  CHECK(http.Headers(0, "Authorization") ==
        std::vector<std::string>{std::string("Bearer ") + kToken});
  CHECK(http.Headers(0, "If-None-Match") == std::vector<std::string>{"\"etag-1\",\"etag-2\""});
  std::vector<std::string> request_ids = http.Headers(0, "x-ms-client-request-id");
  REQUIRE(request_ids.size() == 1);
  CHECK(base::IsUuid(request_ids[0]));

  // A new request id per call; no token and no eTags mean no such headers.
  dcr::FetcherOptions anonymous = Options();
  anonymous.bearer_token.clear();
  dcr::Fetcher second(anonymous, http);
  second.Fetch({});
  REQUIRE(http.requests.size() == 2);
  CHECK(http.Headers(1, "Authorization").empty());
  CHECK(http.Headers(1, "If-None-Match").empty());
  CHECK(http.Headers(1, "x-ms-client-request-id").at(0) != request_ids[0]);
}

TEST_CASE("Fetcher splits If-None-Match past 8 kB", "[dcr][fetcher]") {
  FakeHttpClient http;
  dcr::Fetcher fetcher(Options(), http);
  std::vector<std::string> etags;
  std::string joined;
  for (int i = 0; i < 800; ++i) {
    etags.push_back("\"dcr-" + std::to_string(1000000 + i) + "-etag-value\"");  // 24 bytes
    joined += (joined.empty() ? "" : ",") + etags.back();
  }
  REQUIRE(joined.size() > 2 * dcr::Fetcher::kMaxIfNoneMatchBytes);
  fetcher.Fetch(etags);
  std::vector<std::string> values = http.Headers(0, "If-None-Match");
  REQUIRE(values.size() == 3);
  std::string rejoined;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string& value = values[i];
    CHECK(value.size() <= dcr::Fetcher::kMaxIfNoneMatchBytes);
    // Packed: the next eTag would not have fitted.
    if (i + 1 < values.size()) CHECK(value.size() + 1 + 24 > dcr::Fetcher::kMaxIfNoneMatchBytes);
    CHECK_FALSE(value.starts_with(","));
    CHECK_FALSE(value.ends_with(","));
    rejoined += (rejoined.empty() ? "" : ",") + value;
  }
  CHECK(rejoined.size() == joined.size());
  CHECK(rejoined == joined);

  // Exactly 8192 bytes stays in one header.
  std::vector<std::string> exact = {std::string(4095, 'a'), std::string(4096, 'b')};
  fetcher.Fetch(exact);
  CHECK(http.Headers(1, "If-None-Match").size() == 1);
  // Header injection is impossible: eTags with control characters are left out.
  fetcher.Fetch({"\"ok\"", "\"bad\"\r\nX-Evil: 1", ""});
  CHECK(http.Headers(2, "If-None-Match") == std::vector<std::string>{"\"ok\""});
}

TEST_CASE("Fetcher turns each answer into an outcome", "[dcr][fetcher]") {
  FakeHttpClient http;
  dcr::Fetcher fetcher(Options(), http);

  SECTION("200 is parsed") {
    http.next.status = 200;
    http.next.body = R"({"configurations":[{"configurationId":"dcr-x","eTag":"e","op":"added",)"
                     R"("content":)" +
                     dcr_test::ReadData("ct_chunk.json") +
                     R"(},{"configurationId":"dcr-old","op":"removed"},)"
                     R"({"configurationId":"dcr-bad","content":{"dataSources":1}}]})";
    dcr::FetchResult result = fetcher.Fetch({});
    CHECK(result.outcome == dcr::FetchResult::Outcome::kUpdated);
    CHECK(result.http_status == 200);
    CHECK(result.error.empty());
    REQUIRE(result.response.added.size() == 1);
    CHECK(result.response.added[0].configuration_id == "dcr-x");
    CHECK(result.response.added[0].source == fetcher.AgentConfigurationsUrl());
    CHECK(result.response.removed == std::vector<std::string>{"dcr-old"});
    // The refused configuration is named, so the host can keep the version it runs.
    CHECK(result.response.refused == std::vector<std::string>{"dcr-bad"});
    CHECK(dcr_test::Summary(result.diagnostics) ==
          std::vector<std::string>{"error $.configurations[2].content.dataSources",
                                   "error $.configurations[2]"});
    CHECK_THAT(result.diagnostics.at(1).message, Catch::Contains("\"dcr-bad\" refused"));
  }
  SECTION("200 with a body that is not a configurations document fails") {
    http.next.status = 200;
    http.next.body = "<html>";
    dcr::FetchResult result = fetcher.Fetch({});
    CHECK(result.outcome == dcr::FetchResult::Outcome::kFailed);
    CHECK(result.http_status == 200);
    CHECK_THAT(result.error, Catch::Contains("200"));
    CHECK(dcr::HasErrors(result.diagnostics));
  }
  SECTION("500 fails with a bounded excerpt and never the token") {
    http.next.status = 500;
    http.next.body = std::string("oops: echoing Authorization: Bearer ") + kToken + "\n" +
                     std::string(5000, 'x');
    dcr::FetchResult result = fetcher.Fetch({});
    CHECK(result.outcome == dcr::FetchResult::Outcome::kFailed);
    CHECK(result.http_status == 500);
    CHECK_THAT(result.error, Catch::Contains("HTTP 500"));
    CHECK_THAT(result.error, Catch::Contains("oops: echoing Authorization: Bearer <redacted>"));
    CHECK_THAT(result.error, !Catch::Contains("secret-token-value"));
    CHECK(result.error.size() < 800);
    CHECK(result.error.find('\n') == std::string::npos);
  }
  SECTION("421 carries the endpoint to ask instead") {
    http.next.status = 421;
    http.next.headers = {
        {"x-ms-agent-config-endpoint", "https://my-dce.handler.control.monitor.azure.com"}};
    dcr::FetchResult result = fetcher.Fetch({});
    CHECK(result.outcome == dcr::FetchResult::Outcome::kFailed);
    CHECK(result.redirect_endpoint == "https://my-dce.handler.control.monitor.azure.com");
  }
  SECTION("a transport error fails with its message") {
    http.error = std::make_error_code(std::errc::connection_refused);
    dcr::FetchResult result = fetcher.Fetch({"\"e\""});
    CHECK(result.outcome == dcr::FetchResult::Outcome::kFailed);
    CHECK(result.http_status == 0);
    CHECK_THAT(result.error,
               Catch::Contains(std::make_error_code(std::errc::connection_refused).message()));
    CHECK_THAT(result.error, Catch::Contains(fetcher.AgentConfigurationsUrl()));
    CHECK_THAT(result.error, !Catch::Contains("secret-token-value"));
  }
}

TEST_CASE("Fetcher validates the agent resource id before sending", "[dcr][fetcher]") {
  struct Case {
    std::string id;
    bool valid;
  };
  const Case cases[] = {
      {"/subscriptions/s-1/resourceGroups/rg.(x)_1/providers/Microsoft.Compute/virtualMachines/"
       "vm-1",
       true},
      {"/SUBSCRIPTIONS/s/RESOURCEGROUPS/rg/PROVIDERS/microsoft.compute/VIRTUALMACHINES/vm", true},
      {"/subscriptions/s/resourceGroups/rg/providers/Microsoft.HybridCompute/machines/arc", true},
      {"", false},
      {"subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm", false},
      {"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm/", false},
      {"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines", false},
      {"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/vm", false},
      {"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v m", false},
      {"/subscriptions/s/resourceGroups/../providers/Microsoft.Compute/virtualMachines/vm", false},
      {"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm.", false},
      {"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/a?b", false},
      {"/subscriptions/s_x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
       false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.id);
    FakeHttpClient http;
    dcr::FetcherOptions options = Options();
    options.agent_resource_id = c.id;
    dcr::Fetcher fetcher(options, http);
    dcr::FetchResult result = fetcher.Fetch({});
    CHECK(http.requests.size() == (c.valid ? 1u : 0u));
    CHECK(fetcher.AgentConfigurationsUrl().empty() == !c.valid);
    if (!c.valid) {
      CHECK(result.outcome == dcr::FetchResult::Outcome::kFailed);
      CHECK_THAT(result.error, !Catch::Contains("secret-token-value"));
    }
  }

  FakeHttpClient http;
  dcr::FetcherOptions bad_token = Options();
  bad_token.bearer_token = "abc\r\nX-Evil: 1";
  dcr::FetchResult result = dcr::Fetcher(bad_token, http).Fetch({});
  CHECK(result.outcome == dcr::FetchResult::Outcome::kFailed);
  CHECK(http.requests.empty());
  CHECK_THAT(result.error, !Catch::Contains("abc"));
}

}  // namespace
