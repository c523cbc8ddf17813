// mockcloud's control-plane features for the host's redirect and cache tests: redirect mode (421
// to the /dce data collection endpoint), control faults on both path kinds, the control-plane
// counters of /_mock/stats and /_mock/configurations. Through the real process, with the libcurl
// client amahost uses and, where it matters, the host's own dcr::Fetcher.

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>

#include "codec/compression.h"
#include "dcr/fetcher.h"
#include "httpclient/curl_http_client.h"
#include "mockcloud/mockcloud_fixture.h"
#include "mockcloud/test_dcrs.h"
#include "mockcloud/upload_requests.h"

namespace {

using mockcloud_test::DcrFolder;
using mockcloud_test::ParseJsonText;
using testing::MockCloudProcess;

constexpr char kVm[] =
    "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm-1";
constexpr char kOtherVm[] =
    "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm-2";
constexpr char kQuery[] = "?platform=linux&includeMeConfig=true&api-version=2022-06-02";

// The agentConfigurations path of kVm: direct, or under the /dce prefix.
std::string ControlPath(bool dce = false, const char* vm = kVm) {
  return std::string(dce ? "/dce" : "") + vm + "/agentConfigurations" + kQuery;
}

std::string TokenPath(bool dce = false) {
  return std::string(dce ? "/dce" : "") + kVm +
         "/agentConfigurations/dcr-1/channels/ods-1/issueIngestionToken?api-version=2022-06-02";
}

// configurationId → eTag of a 200 agentConfigurations body.
std::map<std::string, std::string> ServedETags(const base::HttpResponse& response) {
  REQUIRE(response.status == 200);
  rapidjson::Document body = ParseJsonText(response.body);
  std::map<std::string, std::string> etags;
  for (const rapidjson::Value& entry : body["configurations"].GetArray()) {
    REQUIRE(std::string(entry["op"].GetString()) == "added");
    etags[entry["configurationId"].GetString()] = entry["eTag"].GetString();
  }
  return etags;
}

std::map<std::string, std::string> ListedETags(
    const std::vector<MockCloudProcess::ServedConfiguration>& listed) {
  std::map<std::string, std::string> etags;
  for (const MockCloudProcess::ServedConfiguration& entry : listed) {
    etags[entry.configuration_id] = entry.etag;
  }
  return etags;
}

dcr::Fetcher MakeFetcher(const std::string& handler_url, base::HttpClient& http) {
  dcr::FetcherOptions options;
  options.handler_url = handler_url;
  options.agent_resource_id = kVm;
  options.user_agent = "amahost/test-linux";
  options.bearer_token = "not-checked";
  return dcr::Fetcher(options, http);
}

TEST_CASE("redirect mode sends the control plane to /dce with 421", "[process][redirect]") {
  DcrFolder folder;
  MockCloudProcess cloud({.dcr_dir = folder.path(), .redirect_to_dce = true});
  CHECK(cloud.RedirectEnabled());

  for (const std::string& path : {ControlPath(), "/locations/eastus" + ControlPath()}) {
    CAPTURE(path);
    base::HttpResponse response = cloud.Send("GET", path);
    CHECK(response.status == 421);
    REQUIRE(response.FindHeader("x-ms-agent-config-endpoint") != nullptr);
    CHECK(*response.FindHeader("x-ms-agent-config-endpoint") == cloud.dce_url());
    rapidjson::Document body = ParseJsonText(response.body);
    CHECK(std::string(body["error"]["code"].GetString()) == "MisdirectedRequest");
    CHECK(std::string(body["error"]["message"].GetString()) ==
          "Agent configuration needs to be acquired from '" + cloud.dce_url() + "' endpoint");
  }

  // The endpoint named by the header serves the same control plane, with channels that still
  // lead to mockcloud's main URL (uploads and tokens are not under /dce).
  base::HttpResponse served = cloud.Send("GET", ControlPath(true));
  std::map<std::string, std::string> etags = ServedETags(served);
  CHECK(etags.size() == 2);
  CHECK(etags.contains(mockcloud_test::kContentDcrId));
  CHECK(etags.contains(mockcloud_test::kArmDcrId));
  rapidjson::Document body = ParseJsonText(served.body);
  for (const rapidjson::Value& entry : body["configurations"].GetArray()) {
    const rapidjson::Value& channel = entry["content"]["channels"][0];
    CHECK_THAT(channel["tokenEndpointUri"].GetString(),
               Catch::StartsWith(cloud.base_url() + "/subscriptions/"));
  }
  CHECK(ServedETags(cloud.Send("GET", "/dce/locations/eastus" + ControlPath())) == etags);

  MockCloudProcess::ControlPlaneStats stats = cloud.ControlStats();
  CHECK(stats.calls == 4);
  CHECK(stats.direct_calls == 2);
  CHECK(stats.dce_calls == 2);
  CHECK(stats.redirects == 2);
  CHECK(stats.statuses == std::map<int, std::uint64_t>{{200, 2}, {304, 0}, {421, 2}});
  CHECK(stats.last_path == "dce");

  SECTION("turned off at run time, the direct path answers again") {
    cloud.SetRedirect(false);
    CHECK_FALSE(cloud.RedirectEnabled());
    CHECK(ServedETags(cloud.Send("GET", ControlPath())) == etags);
    CHECK(cloud.Send("GET", ControlPath(true)).status == 200);  // /dce stays served
    CHECK(cloud.ControlStats().redirects == 2);

    // Reset puts redirect mode back to how mockcloud started.
    cloud.Reset();
    CHECK(cloud.RedirectEnabled());
    CHECK(cloud.Send("GET", ControlPath()).status == 421);
  }
  SECTION("the host's fetcher follows the header to the same configurations") {
    httpclient::CurlHttpClient http({.ca_file = cloud.ca_file()});
    dcr::FetchResult direct = MakeFetcher(cloud.base_url(), http).Fetch({});
    CHECK(direct.outcome == dcr::FetchResult::Outcome::kFailed);
    CHECK(direct.http_status == 421);
    REQUIRE(direct.redirect_endpoint == cloud.dce_url());

    dcr::Fetcher at_dce = MakeFetcher(direct.redirect_endpoint, http);
    dcr::FetchResult fetched = at_dce.Fetch({});
    REQUIRE(fetched.outcome == dcr::FetchResult::Outcome::kUpdated);
    std::map<std::string, std::string> fetched_etags;
    std::vector<std::string> held;
    for (const dcr::Configuration& configuration : fetched.response.added) {
      fetched_etags[configuration.configuration_id] = configuration.etag;
      held.push_back(configuration.etag);
    }
    CHECK(fetched_etags == etags);
    CHECK(at_dce.Fetch(held).outcome == dcr::FetchResult::Outcome::kNotModified);
    CHECK(cloud.ControlStats().last_if_none_match == held);
  }
}

TEST_CASE("redirect mode leaves tokens, uploads and /ping alone", "[process][redirect]") {
  DcrFolder folder;
  MockCloudProcess cloud({.dcr_dir = folder.path()});
  CHECK_FALSE(cloud.RedirectEnabled());
  CHECK(cloud.Send("GET", ControlPath()).status == 200);
  cloud.SetRedirect(true);
  CHECK(cloud.Send("GET", ControlPath()).status == 421);

  base::HttpResponse token = cloud.Send("GET", TokenPath());
  REQUIRE(token.status == 200);
  std::string bearer = ParseJsonText(token.body)["ingestionAuthToken"].GetString();
  CHECK(cloud.Send("GET", TokenPath(true)).status == 200);  // a DCE hands out tokens too

  base::HttpResponse ods = cloud.Send(
      "POST", "/OperationalData.svc/PostJsonDataItems?api-version=2016-04-01",
      codec::Compress(R"({"DataType":"A_BLOB","IPName":"ChangeTracking","DataItems":[{"a":1}]})",
                      codec::Compression::kZlib),
      {{"Authorization", "Bearer " + bearer},
       {"Content-Type", "application/json"},
       {"Content-Encoding", "deflate"},
       {"X-Request-ID", "r-1"}});
  CHECK(ods.status == 200);
  base::HttpResponse logs = cloud.Send(
      "POST", "/dataCollectionRules/dcr-1/streams/Custom-X?api-version=2023-01-01", R"([{"b":2}])",
      {{"Authorization", "Bearer " + bearer}, {"Content-Type", "application/json"}});
  CHECK(logs.status == 204);
  CHECK(cloud.Send("GET", "/ping").status == 200);
  CHECK(cloud.ItemCount() == 2);

  // Uploads are not served under /dce.
  CHECK(cloud.Send("POST", "/dce/OperationalData.svc/PostJsonDataItems", "{}").status == 404);

  rapidjson::Document stats = cloud.Stats();
  CHECK(stats["tokensIssued"].GetInt() == 2);
  CHECK(stats["controlPlaneRedirects"].GetInt() == 1);
  CHECK(stats["controlPlaneCalls"].GetInt() == 2);
  CHECK(stats["redirectToDce"].GetBool());
}

TEST_CASE("/_mock/redirect refuses anything but {\"enabled\":bool}", "[process][redirect]") {
  MockCloudProcess cloud;
  for (const char* body :
       {R"({"enabled":"yes"})", R"({})", R"({"enabled":true,"x":1})", "[]", "true", "{"}) {
    CAPTURE(body);
    base::HttpResponse response = cloud.Send("POST", "/_mock/redirect", body);
    CHECK(response.status == 400);
    CHECK(std::string(ParseJsonText(response.body)["error"]["code"].GetString()) ==
          "InvalidRedirect");
  }
  CHECK_FALSE(cloud.RedirectEnabled());
  CHECK(cloud.Send("DELETE", "/_mock/redirect").status == 405);
  rapidjson::Document shown =
      ParseJsonText(cloud.Send("POST", "/_mock/redirect", R"({"enabled":true})").body);
  CHECK(shown["enabled"].GetBool());
  CHECK(std::string(shown["endpoint"].GetString()) == cloud.dce_url());
}

TEST_CASE("control faults hit the direct and the /dce paths", "[process][redirect]") {
  DcrFolder folder;
  MockCloudProcess cloud({.dcr_dir = folder.path()});
  for (bool dce : {false, true}) {
    CAPTURE(dce);
    cloud.SetFault({.target = "control", .status = 503, .count = 1, .retry_after = 2});
    base::HttpResponse faulted = cloud.Send("GET", ControlPath(dce));
    CHECK(faulted.status == 503);
    REQUIRE(faulted.FindHeader("Retry-After") != nullptr);
    CHECK(*faulted.FindHeader("Retry-After") == "2");
    CHECK(cloud.Send("GET", ControlPath(dce)).status == 200);
  }
  cloud.SetFault({.target = "all", .status = 500, .count = 1});
  CHECK(cloud.Send("GET", ControlPath(true)).status == 500);

  SECTION("in redirect mode a fault comes before the 421") {
    cloud.SetRedirect(true);
    cloud.SetFault({.target = "control", .status = 429, .count = 2});
    CHECK(cloud.Send("GET", ControlPath()).status == 429);
    CHECK(cloud.Send("GET", ControlPath(true)).status == 429);
    CHECK(cloud.Send("GET", ControlPath()).status == 421);
    CHECK(cloud.Send("GET", ControlPath(true)).status == 200);
    MockCloudProcess::ControlPlaneStats stats = cloud.ControlStats();
    CHECK(stats.statuses[429] == 2);
    CHECK(stats.redirects == 1);
  }
  SECTION("every answer is counted by status") {
    MockCloudProcess::ControlPlaneStats stats = cloud.ControlStats();
    CHECK(stats.statuses ==
          std::map<int, std::uint64_t>{{200, 2}, {304, 0}, {421, 0}, {500, 1}, {503, 2}});
    CHECK(stats.ok == 2);
    CHECK(stats.not_modified == 0);
    CHECK(stats.calls == 5);
    CHECK(stats.direct_calls == 2);
    CHECK(stats.dce_calls == 3);
    CHECK(cloud.Stats()["faultsFired"].GetInt() == 3);
  }
}

TEST_CASE("stats and /_mock/configurations show what the control plane served",
          "[process][redirect]") {
  DcrFolder folder;
  MockCloudProcess cloud({.dcr_dir = folder.path()});
  MockCloudProcess::ControlPlaneStats before = cloud.ControlStats();
  CHECK(before.calls == 0);
  CHECK(before.ok == 0);
  CHECK(before.not_modified == 0);
  CHECK(before.last_path.empty());
  CHECK(before.last_if_none_match.empty());
  // Before any request it does not know which agent to translate for.
  CHECK(cloud.Send("GET", "/_mock/configurations").status == 400);

  std::vector<MockCloudProcess::ServedConfiguration> listed = cloud.ServedConfigurations(kVm);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].configuration_id == mockcloud_test::kArmDcrId);  // files in name order
  CHECK(listed[0].source == "arm.json");
  CHECK(listed[1].configuration_id == mockcloud_test::kContentDcrId);
  CHECK(listed[1].source == "content.json");

  std::map<std::string, std::string> served = ServedETags(cloud.Send("GET", ControlPath()));
  CHECK(served == ListedETags(listed));
  // Without a resource id: for the agent of the last request.
  CHECK(ListedETags(cloud.ServedConfigurations()) == served);
  CHECK(std::string(cloud.Configurations()["resourceId"].GetString()) == kVm);
  CHECK(std::string(cloud.Configurations(kOtherVm)["resourceId"].GetString()) == kOtherVm);

  // The ARM DCR is translated per agent, so its eTag depends on the VM; the content one not.
  std::map<std::string, std::string> other = ListedETags(cloud.ServedConfigurations(kOtherVm));
  CHECK(other[mockcloud_test::kArmDcrId] != served[mockcloud_test::kArmDcrId]);
  CHECK(other[mockcloud_test::kContentDcrId] == served[mockcloud_test::kContentDcrId]);

  // A client holding the served eTags gets 304, and the stats show what it sent.
  std::string arm_etag = served[mockcloud_test::kArmDcrId];
  std::string content_etag = served[mockcloud_test::kContentDcrId];
  base::HttpResponse unchanged =
      cloud.Send("GET", ControlPath(true), {},
                 {{"If-None-Match", "\"" + arm_etag + "\""}, {"If-None-Match", content_etag}});
  CHECK(unchanged.status == 304);
  MockCloudProcess::ControlPlaneStats stats = cloud.ControlStats();
  CHECK(stats.calls == 2);
  CHECK(stats.ok == 1);
  CHECK(stats.not_modified == 1);
  CHECK(stats.last_path == "dce");
  CHECK(stats.last_if_none_match == std::vector<std::string>{arm_etag, content_etag});

  // A changed file: a new eTag, listed and served alike; the old one is no longer enough.
  std::string changed(mockcloud_test::kContentDcr);
  changed.replace(changed.find("900"), 3, "300");
  folder.Write("content.json", changed);
  std::map<std::string, std::string> relisted = ListedETags(cloud.ServedConfigurations(kVm));
  CHECK(relisted[mockcloud_test::kContentDcrId] != content_etag);
  CHECK(relisted[mockcloud_test::kArmDcrId] == arm_etag);
  base::HttpResponse update =
      cloud.Send("GET", ControlPath(), {}, {{"If-None-Match", arm_etag + ", " + content_etag}});
  CHECK(ServedETags(update) ==
        std::map<std::string, std::string>{
            {mockcloud_test::kContentDcrId, relisted[mockcloud_test::kContentDcrId]}});
  stats = cloud.ControlStats();
  CHECK(stats.ok == 2);
  CHECK(stats.last_path == "direct");
  CHECK(stats.last_if_none_match == std::vector<std::string>{arm_etag, content_etag});

  // A bad resource id is refused, not translated.
  for (const char* bad : {"/subscriptions/s", "/subscriptions/s;1/resourceGroups/r/providers/p/t/n",
                          "subscriptions/s/resourceGroups/r/providers/p/t/n"}) {
    CAPTURE(bad);
    CHECK(cloud.Send("GET", std::string("/_mock/configurations?resourceId=") + bad).status == 400);
  }

  cloud.Reset();
  MockCloudProcess::ControlPlaneStats reset = cloud.ControlStats();
  CHECK(reset.calls == 0);
  CHECK(reset.ok == 0);
  CHECK(reset.last_if_none_match.empty());
}

}  // namespace
