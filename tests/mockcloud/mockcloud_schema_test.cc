// A real mockcloud checking uploads against table schemas (built in and --schema), and
// /_mock/items?meta=true with each store.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "mockcloud/mockcloud_fixture.h"
#include "mockcloud/upload_requests.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace {

void WriteText(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path);
  out << text;
}

using mockcloud_test::Compact;
using mockcloud_test::OdsBody;
using mockcloud_test::ParseJsonText;
using mockcloud_test::PostLogs;
using mockcloud_test::PostOds;
using testing::MockCloudProcess;

std::size_t Occurrences(const std::string& text, std::string_view what) {
  std::size_t count = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

TEST_CASE("mockcloud reports what does not fit the table, without refusing it",
          "[process][schema]") {
  testing::TempDir dir;
  WriteText(dir / "app.json",
            R"({"table":"AppEvents_CL","columns":{"Level":"string","Count":"int"}})");
  MockCloudProcess cloud(
      {.extra_args = {"--schema", "Custom-AppEvents_CL=" + (dir / "app.json").string()}});
  std::string token = cloud.IngestionToken();
  const std::string misfit =
      R"([{"Computer":"vm1","ConfigChangeType":"Files","Size":"12 KB","Colour":"red"},)"
      R"({"Computer":"vm1","ConfigChangeType":"Files","Size":12}])";
  CHECK(PostOds(cloud, token, OdsBody("CONFIG_CHANGE_BLOB_V2", misfit), "r1").status == 200);
  CHECK(PostOds(cloud, token,
                OdsBody("CONFIG_CHANGE_BLOB_V2",
                        R"([{"Computer":"vm1","DateModified":"2026-12-01T14:00:00Z"}])"),
                "r2")
            .status == 200);
  CHECK(PostOds(cloud, token, OdsBody("OTHER_BLOB", R"([{"x":1}])"), "r3").status == 200);
  CHECK(PostLogs(cloud, token, "Custom-AppEvents_CL", R"([{"Level":"info","Count":1.5}])", "r4")
            .status == 204);
  CHECK(PostOds(cloud, "", OdsBody("CONFIG_CHANGE_BLOB_V2", misfit), "r5").status == 401);
  // The same misfit again within the warning interval: counted, not logged again.
  CHECK(PostOds(cloud, token, OdsBody("CONFIG_CHANGE_BLOB_V2", misfit), "r6").status == 200);

  rapidjson::Document requests = cloud.Requests();
  REQUIRE(requests["requests"].Size() == 6);
  const rapidjson::Value& list = requests["requests"];
  CHECK(Compact(list[0]["schema"]) ==
        R"({"checked":true,"table":"ConfigurationChange","items":2,"itemsWithProblems":1,)"
        R"("unknownFields":["Colour"],"reservedFields":[],"typeMismatches":[{"field":"Size",)"
        R"("expected":"long","got":"string","count":1,"example":"12 KB"}],"truncated":false})");
  CHECK(Compact(list[1]["schema"]) ==
        R"({"checked":true,"table":"ConfigurationChange","items":1,"itemsWithProblems":0,)"
        R"("unknownFields":[],"reservedFields":[],"typeMismatches":[],"truncated":false})");
  CHECK(Compact(list[2]["schema"]) ==
        R"({"checked":false,"reason":"no schema for DataType \"OTHER_BLOB\""})");
  CHECK(Compact(list[3]["schema"]["table"]) == R"("AppEvents_CL")");
  CHECK(Compact(list[3]["schema"]["typeMismatches"]) ==
        R"([{"field":"Count","expected":"int","got":"real","count":1}])");
  CHECK(list[4]["schema"].IsNull());  // refused before its items were read

  rapidjson::Document stats = cloud.Stats();
  CHECK(Compact(stats["schema"]) ==
        R"({"checkedRequests":4,"uncheckedRequests":1,"requestsWithProblems":3,)"
        R"("checkedItems":6,"itemsWithProblems":3,"unknownFields":2,"reservedFields":0,)"
        R"("typeMismatches":3})");

  std::string log = cloud.Log();
  CHECK_THAT(log, Catch::Contains("CONFIG_CHANGE_BLOB_V2 (table ConfigurationChange, request id "
                                  "r1): 1 of 2 items do not fit; no such column: Colour; Size is "
                                  "long, got string"));
  CHECK(Occurrences(log, "do not fit") == 1);

  cloud.Reset();
  CHECK(cloud.Stats()["schema"]["checkedRequests"].GetUint64() == 0);
}

// Checks GET /_mock/items?meta=true of a cloud that holds r1's two items and r2's one.
void CheckMeta(MockCloudProcess& cloud) {
  base::HttpResponse response =
      cloud.Send("GET", "/_mock/items?meta=true&dataType=CONFIG_CHANGE_BLOB_V2&offset=1");
  REQUIRE(response.status == 200);
  rapidjson::Document page = ParseJsonText(response.body);
  CHECK(page["count"].GetUint64() == 3);
  REQUIRE(page["items"].Size() == 2);
  const rapidjson::Value& second = page["items"][0];
  CHECK(Compact(second["item"]) == R"({"n":2})");
  CHECK(std::string(second["dataType"].GetString()) == "CONFIG_CHANGE_BLOB_V2");
  CHECK(std::string(second["ipName"].GetString()) == "ChangeTracking");
  CHECK(std::string(second["requestId"].GetString()) == "r1");
  CHECK(std::string(second["resourceId"].GetString()) == mockcloud_test::kVmPath);
  std::string time = second["time"].GetString();
  CHECK(time.size() == 24);  // 2026-12-02T13:00:00.123Z
  CHECK(time.back() == 'Z');
  CHECK(std::string(page["items"][1]["requestId"].GetString()) == "r2");
  // Logs Ingestion items have no IPName.
  rapidjson::Document logs =
      ParseJsonText(cloud.Send("GET", "/_mock/items?meta=true&dataType=Custom-X_CL").body);
  REQUIRE(logs["items"].Size() == 1);
  CHECK(std::string(logs["items"][0]["ipName"].GetString()).empty());
  CHECK(std::string(logs["items"][0]["requestId"].GetString()) == "r3");
  // Without meta (or meta=false) the items are as they always were.
  CHECK(cloud.Items("CONFIG_CHANGE_BLOB_V2") ==
        std::vector<std::string>{R"({"n":1})", R"({"n":2})", R"({"n":3})"});
  CHECK(cloud.Send("GET", "/_mock/items?meta=false&limit=1").body ==
        R"({"count":4,"items":[{"n":1}]})");
  CHECK(cloud.Send("GET", "/_mock/items?meta=yes").status == 400);
}

void Fill(MockCloudProcess& cloud) {
  std::string token = cloud.IngestionToken();
  REQUIRE(PostOds(cloud, token, OdsBody("CONFIG_CHANGE_BLOB_V2", R"([{"n":1},{"n":2}])"), "r1")
              .status == 200);
  REQUIRE(PostOds(cloud, token, OdsBody("CONFIG_CHANGE_BLOB_V2", R"([{"n":3}])"), "r2").status ==
          200);
  REQUIRE(PostLogs(cloud, token, "Custom-X_CL", R"([{"m":1}])", "r3").status == 204);
}

TEST_CASE("/_mock/items?meta=true gives each item's origin, from items.db", "[process][schema]") {
  MockCloudProcess cloud;
  Fill(cloud);
  CheckMeta(cloud);
}

TEST_CASE("/_mock/items?meta=true gives each item's origin, from memory", "[process][schema]") {
  MockCloudProcess cloud({.memory = true});
  Fill(cloud);
  CheckMeta(cloud);
}

TEST_CASE("mockcloud stops at start on a bad --schema file, naming it", "[process][schema]") {
  testing::TempDir dir;
  WriteText(dir / "bad.json", R"({"table":"T","columns":{"Count":"number"}})");
  std::string state = (dir / "state").string();
  testing::CommandResult bad =
      testing::RunCommand({MOCKCLOUD_BINARY, "--state-dir", state, "--port", "0", "--schema",
                           "X=" + (dir / "bad.json").string()});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("bad.json: column \"Count\": the type must be"));
  testing::CommandResult missing = testing::RunCommand(
      {MOCKCLOUD_BINARY, "--state-dir", state, "--port", "0", "--schema", "X=/nonexistent.json"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("/nonexistent.json"));
  testing::CommandResult malformed =
      testing::RunCommand({MOCKCLOUD_BINARY, "--state-dir", state, "--schema", "X"});
  CHECK(malformed.exit_code == 2);
  CHECK_THAT(malformed.err, Catch::Contains("DATATYPE=FILE"));
}

}  // namespace
