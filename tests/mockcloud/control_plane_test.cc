#include "mockcloud/control_plane.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "base/logger.h"
#include "codec/json_parse.h"
#include "mockcloud/crypto.h"
#include "mockcloud/test_dcrs.h"
#include "support/temp_dir.h"

namespace mockcloud {
namespace {

using mockcloud_test::kArmDcr;
using mockcloud_test::kArmDcrId;
using mockcloud_test::kContentDcr;
using mockcloud_test::kContentDcrId;

constexpr char kVm[] =
    "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm-1";
constexpr char kBase[] = "https://127.0.0.1:4321";

void WriteText(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path);
  out << text;
}

TEST_CASE("ParseIfNoneMatch collects eTags from every header", "[control]") {
  CHECK(ParseIfNoneMatch({}).empty());
  CHECK(ParseIfNoneMatch({"a"}) == std::vector<std::string>{"a"});
  CHECK(ParseIfNoneMatch({"a, b,c", " d "}) == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(ParseIfNoneMatch({"\"q\", W/\"w\""}) == std::vector<std::string>{"q", "w"});
  CHECK(ParseIfNoneMatch({",, *, ,x"}) == std::vector<std::string>{"x"});
}

TEST_CASE("ComputeDelta sends what the client lacks and removes what is gone", "[control]") {
  std::vector<ServedConfiguration> current = {{"dcr-a", "ea2", "{}", "a.json"},
                                              {"dcr-b", "eb1", "{}", "b.json"}};
  std::unordered_map<std::string, std::string> known = {
      {"ea1", "dcr-a"}, {"ea2", "dcr-a"}, {"eb1", "dcr-b"}, {"ec1", "dcr-c"}, {"ed1", "dcr-d"}};
  auto ids = [](const ConfigurationDelta& delta) {
    std::vector<std::string> added;
    for (const ServedConfiguration* c : delta.added) added.push_back(c->configuration_id);
    return added;
  };

  ConfigurationDelta fresh = ComputeDelta(current, {}, known);
  CHECK(ids(fresh) == std::vector<std::string>{"dcr-a", "dcr-b"});
  CHECK(fresh.removed.empty());

  ConfigurationDelta same = ComputeDelta(current, {"ea2", "eb1"}, known);
  CHECK(same.added.empty());
  CHECK(same.removed.empty());

  // dcr-a changed (the client has ea1); dcr-c and dcr-d are gone; "zz" was never served.
  ConfigurationDelta changed = ComputeDelta(current, {"ea1", "eb1", "ed1", "ec1", "zz"}, known);
  CHECK(ids(changed) == std::vector<std::string>{"dcr-a"});
  CHECK(changed.removed == std::vector<std::string>{"dcr-c", "dcr-d"});
}

TEST_CASE("SerializeDelta writes the AMCS response shape", "[control]") {
  std::vector<ServedConfiguration> current = {{"dcr-a", "e1", R"({"dataSources":[]})", "a.json"}};
  ConfigurationDelta delta{{&current[0]}, {"dcr-gone"}};
  rapidjson::Document document;
  std::string error;
  REQUIRE(codec::ParseJson(SerializeDelta(delta), &document, &error));
  const rapidjson::Value& list = document["configurations"];
  REQUIRE(list.Size() == 2);
  CHECK(std::string(list[0]["configurationId"].GetString()) == "dcr-a");
  CHECK(std::string(list[0]["eTag"].GetString()) == "e1");
  CHECK(std::string(list[0]["op"].GetString()) == "added");
  CHECK(list[0]["content"]["dataSources"].IsArray());
  CHECK(std::string(list[1]["configurationId"].GetString()) == "dcr-gone");
  CHECK(std::string(list[1]["op"].GetString()) == "removed");
  CHECK_FALSE(list[1].HasMember("content"));
}

TEST_CASE("ControlPlane serves a DCR folder with channels pointed at itself", "[control]") {
  testing::TempDir dir;
  WriteText(dir / "a-content.json", kContentDcr);
  WriteText(dir / "b-arm.json", kArmDcr);
  base::MemoryLogger logger;
  ControlPlane control(dir.path(), logger);

  std::vector<ServedConfiguration> served;
  std::string error;
  REQUIRE(control.Load(kVm, kBase, &served, &error));
  REQUIRE(served.size() == 2);
  CHECK(served[0].configuration_id == kContentDcrId);
  CHECK(served[0].source == "a-content.json");
  CHECK(served[1].configuration_id == kArmDcrId);
  CHECK(served[1].source == "b-arm.json");
  for (const ServedConfiguration& configuration : served) {
    CAPTURE(configuration.configuration_id);
    CHECK(configuration.etag == Sha256Hex(configuration.content_json));
    rapidjson::Document content;
    REQUIRE(codec::ParseJson(configuration.content_json, &content, &error));
    REQUIRE(content["channels"].Size() == 1);
    const rapidjson::Value& channel = content["channels"][0];
    CHECK_THAT(channel["endpoint"].GetString(), Catch::StartsWith(kBase));
    CHECK_THAT(channel["tokenEndpointUri"].GetString(),
               Catch::StartsWith(std::string(kBase) + "/subscriptions/"));
    CHECK_THAT(channel["tokenEndpointUri"].GetString(), Catch::Contains("/issueIngestionToken"));
  }
  // The ARM DCR is translated for the VM that asks.
  rapidjson::Document arm;
  REQUIRE(codec::ParseJson(served[1].content_json, &arm, &error));
  CHECK_THAT(arm["channels"][0]["tokenEndpointUri"].GetString(),
             Catch::Contains(std::string(kVm) + "/agentConfigurations/" + kArmDcrId));
}

rapidjson::Document Body(const Response& response) {
  rapidjson::Document document;
  std::string error;
  REQUIRE(codec::ParseJson(response.body, &document, &error));
  return document;
}

TEST_CASE("ControlPlane answers If-None-Match with 304, changes and removals", "[control]") {
  testing::TempDir dir;
  WriteText(dir / "a-content.json", kContentDcr);
  WriteText(dir / "b-arm.json", kArmDcr);
  base::MemoryLogger logger;
  ControlPlane control(dir.path(), logger);

  Response first = control.Answer(kVm, {}, kBase);
  REQUIRE(first.status == 200);
  rapidjson::Document body = Body(first);
  REQUIRE(body["configurations"].Size() == 2);
  std::string etag_content = body["configurations"][0]["eTag"].GetString();
  std::string etag_arm = body["configurations"][1]["eTag"].GetString();

  CHECK(control.Answer(kVm, {etag_content + ", " + etag_arm}, kBase).status == 304);
  CHECK(control.Answer(kVm, {etag_content, etag_arm}, kBase).status == 304);

  // Only the one the client lacks.
  Response one = control.Answer(kVm, {etag_content}, kBase);
  REQUIRE(one.status == 200);
  rapidjson::Document only = Body(one);
  REQUIRE(only["configurations"].Size() == 1);
  CHECK(std::string(only["configurations"][0]["configurationId"].GetString()) == kArmDcrId);

  // A file removed while running: reported as removed to a client that holds it.
  std::filesystem::remove(dir / "b-arm.json");
  Response removed = control.Answer(kVm, {etag_content + "," + etag_arm}, kBase);
  REQUIRE(removed.status == 200);
  rapidjson::Document gone = Body(removed);
  REQUIRE(gone["configurations"].Size() == 1);
  CHECK(std::string(gone["configurations"][0]["configurationId"].GetString()) == kArmDcrId);
  CHECK(std::string(gone["configurations"][0]["op"].GetString()) == "removed");

  // A file changed while running: a new eTag, sent as added.
  std::string changed(kContentDcr);
  changed.replace(changed.find("900"), 3, "300");
  WriteText(dir / "a-content.json", changed);
  Response update = control.Answer(kVm, {etag_content}, kBase);
  REQUIRE(update.status == 200);
  rapidjson::Document updated = Body(update);
  REQUIRE(updated["configurations"].Size() == 1);
  CHECK(std::string(updated["configurations"][0]["op"].GetString()) == "added");
  CHECK(std::string(updated["configurations"][0]["eTag"].GetString()) != etag_content);
}

TEST_CASE("ControlPlane without a folder serves no configurations", "[control]") {
  base::MemoryLogger logger;
  ControlPlane control(std::nullopt, logger);
  for (const std::vector<std::string>& if_none_match :
       {std::vector<std::string>{}, std::vector<std::string>{"some-etag"}}) {
    Response response = control.Answer(kVm, if_none_match, kBase);
    CHECK(response.status == 200);
    CHECK(response.body == R"({"configurations":[]})");
  }
}

TEST_CASE("ControlPlane skips and logs a bad file, and fails on a missing folder", "[control]") {
  testing::TempDir dir;
  WriteText(dir / "a-content.json", kContentDcr);
  WriteText(dir / "broken.json", "{not json");
  base::MemoryLogger logger;
  ControlPlane control(dir.path(), logger);
  std::vector<ServedConfiguration> served;
  std::string error;
  REQUIRE(control.Load(kVm, kBase, &served, &error));
  CHECK(served.size() == 1);
  CHECK(logger.Contains("broken.json"));
  std::size_t lines = logger.Lines().size();
  REQUIRE(control.Load(kVm, kBase, &served, &error));
  CHECK(logger.Lines().size() == lines);  // the same problems are not logged again

  ControlPlane missing(dir / "nope", logger);
  CHECK(missing.Answer(kVm, {}, kBase).status == 500);
}

}  // namespace
}  // namespace mockcloud
