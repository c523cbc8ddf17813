// mockcloud as a real process, spoken to over verified HTTPS with the libcurl client amahost uses
// (and, where libcurl is too polite, with a raw TLS socket).

#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>

#include "codec/compression.h"
#include "httpclient/curl_http_client.h"
#include "mockcloud/mockcloud_fixture.h"
#include "mockcloud/raw_tls_client.h"
#include "mockcloud/test_dcrs.h"
#include "mockcloud/upload_requests.h"
#include "support/process.h"
#include "support/wait.h"

namespace {

using mockcloud_test::DcrFolder;
using mockcloud_test::kOdsPath;
using mockcloud_test::kVmPath;
using mockcloud_test::ParseJsonText;
using mockcloud_test::RawTlsClient;
using testing::MockCloudProcess;

// The "message" of a JSON error body.
std::string ErrorMessage(const base::HttpResponse& response) {
  rapidjson::Document body = ParseJsonText(response.body);
  REQUIRE(body.HasMember("error"));
  return body["error"]["message"].GetString();
}

std::string Token(MockCloudProcess& cloud, const std::string& configuration_id = "dcr-1") {
  base::HttpResponse response = cloud.Send(
      "GET", std::string(kVmPath) + "/agentConfigurations/" + configuration_id +
                 "/channels/ods-1/issueIngestionToken?platform=linux&api-version=2022-06-02");
  REQUIRE(response.status == 200);
  return ParseJsonText(response.body)["ingestionAuthToken"].GetString();
}

// An ODS upload as amahost sends it: deflated JSON with the usual headers.
base::HttpResponse PostOds(MockCloudProcess& cloud, const std::string& token,
                           const std::string& json, const std::string& request_id = "",
                           bool deflate = true) {
  std::vector<base::HttpHeader> headers = {{"Content-Type", "application/json"},
                                           {"x-ms-AzureResourceId", kVmPath}};
  if (!token.empty()) headers.push_back({"Authorization", "Bearer " + token});
  if (deflate) headers.push_back({"Content-Encoding", "deflate"});
  if (!request_id.empty()) headers.push_back({"X-Request-ID", request_id});
  return cloud.Send("POST", kOdsPath,
                    deflate ? codec::Compress(json, codec::Compression::kZlib) : json, headers);
}

std::string OdsBody(std::string_view data_type, std::string_view items) {
  return std::string(R"({"DataType":")") + std::string(data_type) +
         R"(","IPName":"ChangeTracking","ManagementGroupId":"00000000-0000-0000-0000-000000000002","type":"JsonData","DataItems":)" +
         std::string(items) + "}";
}

TEST_CASE("mockcloud answers /ping over HTTPS that verifies against its CA", "[process]") {
  MockCloudProcess cloud;
  base::HttpResponse response = cloud.Send("GET", "/ping");
  CHECK(response.status == 200);
  CHECK(response.body == "Healthy");
  CHECK(*response.FindHeader("Content-Length") == "7");

  // Through localhost too (DNS name in the certificate).
  httpclient::CurlHttpClient client({.ca_file = cloud.ca_file()});
  base::HttpRequest request;
  request.url = "https://localhost:" + std::to_string(cloud.port()) + "/ping";
  CHECK_FALSE(client.Send(request, &response));
  CHECK(response.status == 200);

  // Without its CA, verification fails: it is really on.
  httpclient::CurlHttpClient untrusting;
  request.url = cloud.base_url() + "/ping";
  CHECK(untrusting.Send(request, &response));
}

TEST_CASE("mockcloud issues ingestion tokens with Cache-Control max-age", "[process]") {
  SECTION("default lifetime") {
    MockCloudProcess cloud;
    base::HttpResponse response = cloud.Send(
        "GET", std::string("/locations/eastus") + kVmPath +
                   "/agentConfigurations/dcr-42/channels/ods-7/issueIngestionToken?api-version=x");
    REQUIRE(response.status == 200);
    CHECK(*response.FindHeader("Cache-Control") == "max-age=3600");
    rapidjson::Document body = ParseJsonText(response.body);
    CHECK(std::string(body["configurationId"].GetString()) == "dcr-42");
    std::string token = body["ingestionAuthToken"].GetString();
    CHECK(std::count(token.begin(), token.end(), '.') == 2);
    CHECK(cloud.Stats()["tokensIssued"].GetInt() == 1);
  }
  SECTION("--token-max-age") {
    MockCloudProcess cloud({.token_max_age_seconds = 120});
    base::HttpResponse response =
        cloud.Send("GET", std::string(kVmPath) +
                              "/agentConfigurations/dcr-1/channels/ods-1/issueIngestionToken");
    CHECK(*response.FindHeader("Cache-Control") == "max-age=120");
  }
}

TEST_CASE("mockcloud stores deflated ODS uploads and lists them exactly", "[process]") {
  MockCloudProcess cloud;
  std::string token = Token(cloud);
  std::string items =
      R"([{"Timestamp":"2026-11-22T10:00:00Z","Computer":"vm-1","ConfigChangeType":"Files",)"
      R"("Collections":[{"Name":"/etc/hosts","Size":123,"IsInventorySnapshot":true}]},)"
      R"({"n":2.5,"s":"caf\u00e9","z":null}])";
  base::HttpResponse response =
      PostOds(cloud, token, OdsBody("CONFIG_CHANGE_BLOB_V2", items), "req-1");
  REQUIRE(response.status == 200);
  REQUIRE(PostOds(cloud, token, OdsBody("CONFIG_DATA_BLOB_V2", R"([{"k":1}])"), "req-2").status ==
          200);

  CHECK(cloud.ItemsDocument("CONFIG_CHANGE_BLOB_V2") == ParseJsonText(items));
  CHECK(cloud.Items("CONFIG_DATA_BLOB_V2") == std::vector<std::string>{R"({"k":1})"});
  CHECK(cloud.ItemCount() == 3);
  CHECK(cloud.ItemCount("CONFIG_CHANGE_BLOB") == 0);

  rapidjson::Document requests = cloud.Requests();
  REQUIRE(requests["count"].GetInt() == 2);
  const rapidjson::Value& first = requests["requests"][0];
  CHECK(std::string(first["requestId"].GetString()) == "req-1");
  CHECK(std::string(first["dataType"].GetString()) == "CONFIG_CHANGE_BLOB_V2");
  CHECK(std::string(first["ipName"].GetString()) == "ChangeTracking");
  CHECK(std::string(first["resourceId"].GetString()) == kVmPath);
  CHECK(first["itemCount"].GetInt() == 2);
  CHECK(first["status"].GetInt() == 200);
  CHECK_FALSE(first["duplicate"].GetBool());

  rapidjson::Document stats = cloud.Stats();
  CHECK(stats["items"].GetInt() == 3);
  CHECK(stats["dataTypes"]["CONFIG_CHANGE_BLOB_V2"].GetInt() == 2);
  CHECK(stats["dataTypes"]["CONFIG_DATA_BLOB_V2"].GetInt() == 1);

  // Uncompressed bodies are accepted too.
  CHECK(PostOds(cloud, token, OdsBody("X_BLOB", "[{}]"), "", false).status == 200);

  // The token never reaches the log.
  CHECK(cloud.Log().find(token) == std::string::npos);
}

TEST_CASE("mockcloud refuses uploads without a valid token with 401", "[process]") {
  MockCloudProcess cloud;
  std::string body = OdsBody("CONFIG_CHANGE_BLOB_V2", "[{}]");
  for (const std::string& token : {std::string(), std::string("made.up.token")}) {
    CAPTURE(token);
    base::HttpResponse response = PostOds(cloud, token, body);
    CHECK(response.status == 401);
    rapidjson::Document error = ParseJsonText(response.body);
    CHECK(std::string(error["error"]["code"].GetString()) ==
          (token.empty() ? "MissingToken" : "InvalidToken"));
    CHECK(error["error"]["message"].GetStringLength() > 10);
  }
  CHECK(cloud.ItemCount() == 0);
  CHECK(cloud.Stats()["rejected"].GetInt() == 2);
}

TEST_CASE("mockcloud refuses an expired token with ExpiredToken", "[process]") {
  MockCloudProcess cloud({.token_max_age_seconds = 1});
  std::string token = Token(cloud);
  base::HttpResponse response;
  CHECK(testing::WaitUntil(
      [&] {
        response = PostOds(cloud, token, OdsBody("A_BLOB", "[{}]"));
        return response.status == 401;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(100)));
  CHECK(ParseJsonText(response.body)["error"]["code"].GetString() == std::string("ExpiredToken"));
  CHECK(PostOds(cloud, Token(cloud), OdsBody("A_BLOB", "[{}]")).status == 200);
}

TEST_CASE("mockcloud says exactly what is wrong with a bad upload", "[process]") {
  MockCloudProcess cloud;
  std::string token = Token(cloud);
  struct Case {
    const char* name;
    std::string json;
    const char* message_part;
  };
  const std::vector<Case> cases = {
      {"bad JSON", "{\"DataType\":", "invalid JSON"},
      {"missing DataType", R"({"IPName":"ChangeTracking","DataItems":[]})",
       "\"DataType\" is missing"},
      {"DataItems not an array", R"({"DataType":"A","IPName":"B","DataItems":"x"})",
       "\"DataItems\" must be an array"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      base::HttpResponse response = PostOds(cloud, token, c.json);
      CHECK(response.status == 400);
      CHECK_THAT(ErrorMessage(response), Catch::Contains(c.message_part));
    }
  }
  SECTION("wrong api-version") {
    base::HttpResponse response =
        cloud.Send("POST", "/OperationalData.svc/PostJsonDataItems?api-version=2015-01-01", "{}",
                   {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
    CHECK(response.status == 400);
    CHECK_THAT(ErrorMessage(response), Catch::Contains("2016-04-01"));
  }
  CHECK(cloud.ItemCount() == 0);
}

TEST_CASE("mockcloud stores a request id once however often it is retried", "[process]") {
  MockCloudProcess cloud;
  std::string token = Token(cloud);
  std::string body = OdsBody("CONFIG_CHANGE_BLOB_V2", R"([{"a":1},{"a":2}])");
  CHECK(PostOds(cloud, token, body, "same-id").status == 200);
  CHECK(PostOds(cloud, token, body, "same-id").status == 200);
  CHECK(PostOds(cloud, token, body, "same-id").status == 200);
  CHECK(cloud.ItemCount() == 2);
  rapidjson::Document stats = cloud.Stats();
  CHECK(stats["duplicates"].GetInt() == 2);
  CHECK(stats["requests"].GetInt() == 3);
  rapidjson::Document requests = cloud.Requests();
  CHECK_FALSE(requests["requests"][0]["duplicate"].GetBool());
  CHECK(requests["requests"][2]["duplicate"].GetBool());
}

TEST_CASE("mockcloud injects faults, then recovers", "[process]") {
  MockCloudProcess cloud;
  std::string token = Token(cloud);
  cloud.SetFault({.target = "ods", .status = 503, .count = 2, .retry_after = 1});
  std::string body = OdsBody("CONFIG_CHANGE_BLOB_V2", R"([{"a":1}])");

  // Other targets are not affected.
  CHECK(cloud.Send("GET", std::string(kVmPath) + "/agentConfigurations").status == 200);
  for (int attempt = 0; attempt < 2; ++attempt) {
    base::HttpResponse response = PostOds(cloud, token, body, "retried");
    CHECK(response.status == 503);
    REQUIRE(response.FindHeader("Retry-After") != nullptr);
    CHECK(*response.FindHeader("Retry-After") == "1");
  }
  CHECK(PostOds(cloud, token, body, "retried").status == 200);
  CHECK(cloud.ItemCount() == 1);
  CHECK(cloud.Stats()["faultsFired"].GetInt() == 2);
  rapidjson::Document requests = cloud.Requests();
  REQUIRE(requests["count"].GetInt() == 3);
  CHECK(requests["requests"][0]["status"].GetInt() == 503);
  CHECK(requests["requests"][2]["status"].GetInt() == 200);

  SECTION("a token fault, listed and cleared") {
    cloud.SetFault({.target = "token", .status = 500, .count = 5});
    rapidjson::Document listed = ParseJsonText(cloud.Send("GET", "/_mock/faults").body);
    REQUIRE(listed["faults"].Size() == 1);
    CHECK(listed["faults"][0]["remaining"].GetInt() == 5);
    CHECK(cloud
              .Send("GET",
                    std::string(kVmPath) + "/agentConfigurations/d/channels/c/issueIngestionToken")
              .status == 500);
    cloud.ClearFaults();
    CHECK(cloud
              .Send("GET",
                    std::string(kVmPath) + "/agentConfigurations/d/channels/c/issueIngestionToken")
              .status == 200);
  }
  SECTION("latency only") {
    cloud.SetFault({.target = "control", .status = 0, .latency_ms = 300});
    auto start = std::chrono::steady_clock::now();
    CHECK(cloud.Send("GET", std::string(kVmPath) + "/agentConfigurations").status == 200);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));
  }
  SECTION("a malformed fault is refused") {
    base::HttpResponse response =
        cloud.Send("POST", "/_mock/faults", R"({"target":"ods","status":200})");
    CHECK(response.status == 400);
    CHECK_THAT(ErrorMessage(response), Catch::Contains("\"status\" must be 0"));
  }
}

TEST_CASE("mockcloud reset clears items, requests, faults and counters", "[process]") {
  MockCloudProcess cloud;
  std::string token = Token(cloud);
  REQUIRE(PostOds(cloud, token, OdsBody("A_BLOB", "[{}]"), "r").status == 200);
  cloud.SetFault({.target = "control", .status = 500, .count = 3});
  cloud.Reset();
  rapidjson::Document stats = cloud.Stats();
  CHECK(stats["items"].GetInt() == 0);
  CHECK(stats["requests"].GetInt() == 0);
  CHECK(stats["tokensIssued"].GetInt() == 0);
  CHECK(stats["controlPlaneCalls"].GetInt() == 0);
  CHECK(cloud.Send("GET", std::string(kVmPath) + "/agentConfigurations").status == 200);
  // Tokens stay valid, and a request id accepted before the reset is new again.
  CHECK(PostOds(cloud, token, OdsBody("A_BLOB", "[{}]"), "r").status == 200);
  CHECK(cloud.ItemCount() == 1);
}

TEST_CASE("mockcloud takes Logs Ingestion uploads", "[process]") {
  MockCloudProcess cloud;
  std::string token = Token(cloud);
  base::HttpResponse response = cloud.Send(
      "POST", "/dataCollectionRules/dcr-1/streams/Custom-Text-Logs?api-version=2023-01-01",
      codec::Compress(R"([{"RawData":"a"},{"RawData":"b"}])", codec::Compression::kGzip),
      {{"Authorization", "Bearer " + token},
       {"Content-Type", "application/json"},
       {"Content-Encoding", "gzip"}});
  CHECK(response.status == 204);
  CHECK(cloud.Items("Custom-Text-Logs") ==
        std::vector<std::string>{R"({"RawData":"a"})", R"({"RawData":"b"})"});
}

TEST_CASE("mockcloud serves a DCR folder as the AMCS control plane", "[process]") {
  DcrFolder folder;
  MockCloudProcess cloud({.dcr_dir = folder.path()});
  std::string url =
      std::string("/locations/eastus") + kVmPath +
      "/agentConfigurations?platform=linux&includeMeConfig=true&api-version=2022-06-02";
  base::HttpResponse response = cloud.Send("GET", url);
  REQUIRE(response.status == 200);
  rapidjson::Document body = ParseJsonText(response.body);
  const rapidjson::Value& list = body["configurations"];
  REQUIRE(list.Size() == 2);
  std::vector<std::string> etags;
  std::string arm_token_uri;
  for (const rapidjson::Value& configuration : list.GetArray()) {
    CHECK(std::string(configuration["op"].GetString()) == "added");
    etags.push_back(configuration["eTag"].GetString());
    CHECK(etags.back().size() == 64);
    const rapidjson::Value& channel = configuration["content"]["channels"][0];
    CHECK_THAT(channel["endpoint"].GetString(), Catch::StartsWith(cloud.base_url()));
    CHECK_THAT(channel["tokenEndpointUri"].GetString(), Catch::StartsWith(cloud.base_url()));
    if (std::string(configuration["configurationId"].GetString()) == mockcloud_test::kArmDcrId) {
      arm_token_uri = channel["tokenEndpointUri"].GetString();
    }
  }
  // The channels really lead back to mockcloud: the token URI works as served.
  REQUIRE_FALSE(arm_token_uri.empty());
  base::HttpResponse token = cloud.Send("GET", arm_token_uri.substr(cloud.base_url().size()));
  CHECK(token.status == 200);

  CHECK(cloud.Send("GET", url, {}, {{"If-None-Match", etags[0] + "," + etags[1]}}).status == 304);
  CHECK(cloud.Send("GET", url, {}, {{"If-None-Match", etags[0]}, {"If-None-Match", etags[1]}})
            .status == 304);

  std::filesystem::remove(folder.path() / "arm.json");
  response = cloud.Send("GET", url, {}, {{"If-None-Match", etags[0] + "," + etags[1]}});
  REQUIRE(response.status == 200);
  rapidjson::Document removed = ParseJsonText(response.body);
  REQUIRE(removed["configurations"].Size() == 1);
  CHECK(std::string(removed["configurations"][0]["configurationId"].GetString()) ==
        mockcloud_test::kArmDcrId);
  CHECK(std::string(removed["configurations"][0]["op"].GetString()) == "removed");
  CHECK(cloud.Stats()["controlPlaneCalls"].GetInt() == 4);
}

TEST_CASE("mockcloud keeps its CA, port and items across a restart", "[process]") {
  MockCloudProcess cloud;
  std::string token = Token(cloud);
  REQUIRE(PostOds(cloud, token, OdsBody("A_BLOB", R"([{"kept":true}])"), "r1").status == 200);
  std::ifstream before_file(cloud.ca_file());
  std::string before((std::istreambuf_iterator<char>(before_file)), {});
  std::uint16_t port = cloud.port();

  cloud.Restart();
  std::ifstream after_file(cloud.ca_file());
  std::string after((std::istreambuf_iterator<char>(after_file)), {});
  CHECK(after == before);
  CHECK(cloud.port() == port);
  CHECK(cloud.Send("GET", "/ping").status == 200);  // the same client still trusts it
  CHECK(cloud.Items("A_BLOB") == std::vector<std::string>{R"({"kept":true})"});
  // Tokens are per process: an old one is refused, which makes a client fetch a new one.
  CHECK(PostOds(cloud, token, OdsBody("A_BLOB", "[{}]"), "r2").status == 401);
  CHECK(PostOds(cloud, Token(cloud), OdsBody("A_BLOB", "[{}]"), "r1").status == 200);
  CHECK(cloud.ItemCount() == 1);  // r1 was a duplicate
}

TEST_CASE("mockcloud answers garbage with 400 and keeps serving others", "[process]") {
  MockCloudProcess cloud;
  RawTlsClient idle(cloud.port(), cloud.ca_file());  // holds a connection, says nothing
  REQUIRE(idle.ok());

  RawTlsClient garbage(cloud.port(), cloud.ca_file());
  garbage.Write("GARBAGE\r\n\r\n");
  REQUIRE(garbage.ReadUntilClosed());
  CHECK_THAT(garbage.received(), Catch::StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  CHECK_THAT(garbage.received(), Catch::Contains("Connection: close"));

  RawTlsClient not_tls(cloud.port(), cloud.ca_file(), false);
  not_tls.Write("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(not_tls.ReadUntilClosed());

  RawTlsClient chunked(cloud.port(), cloud.ca_file());
  chunked.Write("POST /ping HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  REQUIRE(chunked.ReadUntilClosed());
  CHECK_THAT(chunked.received(), Catch::StartsWith("HTTP/1.1 411 "));

  CHECK(cloud.Send("GET", "/ping").status == 200);
  CHECK(cloud.Send("GET", "/nowhere").status == 404);
}

TEST_CASE("mockcloud keeps connections alive, pipelines and answers 100-continue", "[process]") {
  MockCloudProcess cloud;
  RawTlsClient client(cloud.port(), cloud.ca_file());
  client.Write("GET /ping HTTP/1.1\r\nHost: x\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  client.ReadUntil("Healthy", 2);
  CHECK(client.Count("HTTP/1.1 200 OK\r\n") == 2);
  CHECK(client.Count("Connection: close") == 0);
  // The same connection takes a third request after the two.
  client.Write("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(client.ReadUntil("Healthy", 3).ends_with("Healthy"));

  RawTlsClient expecting(cloud.port(), cloud.ca_file());
  expecting.Write(
      "POST /_mock/reset HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n");
  CHECK(expecting.ReadUntil("\r\n\r\n") == "HTTP/1.1 100 Continue\r\n\r\n");
  expecting.Write("{}");
  CHECK_THAT(expecting.ReadUntil("}"), Catch::Contains("HTTP/1.1 200 OK"));
}

TEST_CASE("mockcloud exits 0 on SIGTERM and 2 on bad arguments", "[process]") {
  MockCloudProcess cloud;
  int status = cloud.Stop();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_FALSE(std::filesystem::exists(cloud.state_dir() / "port"));

  testing::CommandResult bad = testing::RunCommand({MOCKCLOUD_BINARY, "--bogus"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--bogus"));
  testing::CommandResult help = testing::RunCommand({MOCKCLOUD_BINARY, "--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("/_mock/faults"));
}

}  // namespace
