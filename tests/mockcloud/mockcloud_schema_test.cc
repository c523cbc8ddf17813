// /_mock/items?meta=true of a real mockcloud, with each store.

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

using mockcloud_test::OdsBody;
using mockcloud_test::ParseJsonText;
using mockcloud_test::PostLogs;
using mockcloud_test::PostOds;
using testing::MockCloudProcess;

std::string Compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
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

}  // namespace
