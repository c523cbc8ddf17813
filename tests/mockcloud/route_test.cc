#include "mockcloud/route.h"

#include <catch2/catch.hpp>

#include "mockcloud/url.h"

namespace mockcloud {
namespace {

constexpr char kVm[] =
    "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm-1";

Route RouteOfPath(const std::string& path) {
  std::optional<std::vector<std::string>> segments = SplitPath(path);
  REQUIRE(segments);
  return Route::Of(*segments);
}

TEST_CASE("Route::Of classifies every endpoint, with and without /dce", "[route]") {
  using Kind = Route::Kind;
  const std::string control = std::string(kVm) + "/agentConfigurations";
  const std::string token = control + "/dcr-1/channels/ods-1/issueIngestionToken";
  struct Case {
    std::string path;
    Kind kind;
    bool dce;
  };
  const std::vector<Case> cases = {
      {"/ping", Kind::kPing, false},
      {"/_mock/stats", Kind::kAdmin, false},
      {"/", Kind::kPage, false},
      {"/app.js", Kind::kPage, false},
      {"/style.css", Kind::kPage, false},
      {"/nothing.js", Kind::kNone, false},
      {"/dce/app.js", Kind::kNone, true},
      {"/OperationalData.svc/PostJsonDataItems", Kind::kOds, false},
      {"/dataCollectionRules/dcr-1/streams/Custom-X", Kind::kLogs, false},
      {control, Kind::kControl, false},
      {"/locations/eastus" + control, Kind::kControl, false},
      {"/LOCATIONS/eastus" + control, Kind::kControl, false},
      {token, Kind::kToken, false},
      {"/dce" + control, Kind::kControl, true},
      {"/dce/locations/eastus" + control, Kind::kControl, true},
      {"/dce" + token, Kind::kToken, true},
      // Only the agentConfigurations tree lives under /dce.
      {"/dce/ping", Kind::kNone, true},
      {"/dce/OperationalData.svc/PostJsonDataItems", Kind::kNone, true},
      {"/dce/_mock/stats", Kind::kNone, true},
      {"/dce", Kind::kNone, true},
      {"/DCE" + control, Kind::kNone, false},
      {"/dce/dce" + control, Kind::kNone, true},
      {"/other" + control, Kind::kNone, false},
      {control + "/extra", Kind::kNone, false},
      {"/dce/locations/east%20us" + control, Kind::kBadPath, true},
      {"/dce/subscriptions/s%3B1/resourceGroups/rg/providers/p/t/n/agentConfigurations",
       Kind::kBadPath, true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.path);
    Route route = RouteOfPath(c.path);
    CHECK(route.kind == c.kind);
    if (route.kind == Kind::kControl || route.kind == Kind::kToken) {
      CHECK(route.dce == c.dce);
      CHECK(route.agent_resource_id == kVm);
    }
  }
}

TEST_CASE("Route::Of takes names from token and logs paths", "[route]") {
  Route token = RouteOfPath(std::string("/dce/locations/westeurope") + kVm +
                            "/agentConfigurations/dcr-9/channels/ods-x/issueIngestionToken");
  CHECK(token.kind == Route::Kind::kToken);
  CHECK(token.dce);
  CHECK(token.configuration_id == "dcr-9");
  CHECK(token.channel_id == "ods-x");

  Route logs = RouteOfPath("/dataCollectionRules/dcr-5/streams/Custom-Text");
  CHECK(logs.configuration_id == "dcr-5");
  CHECK(logs.stream == "Custom-Text");
  CHECK(RouteOfPath("/dataCollectionRules/dcr 5/streams/x").kind == Route::Kind::kBadPath);
}

TEST_CASE("IsResourceName and DceUrl", "[route]") {
  CHECK(IsResourceName("vm-1.a_b(c)"));
  CHECK_FALSE(IsResourceName(""));
  CHECK_FALSE(IsResourceName("a/b"));
  CHECK_FALSE(IsResourceName("a b"));
  CHECK_FALSE(IsResourceName(std::string(257, 'a')));
  CHECK(IsResourceName(std::string(256, 'a')));
  CHECK(DceUrl("https://127.0.0.1:7443") == "https://127.0.0.1:7443/dce");
}

}  // namespace
}  // namespace mockcloud
