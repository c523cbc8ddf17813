// Streams a DCR no longer routes: an empty table is closed and removed, a backlog is parked
// (shown by amactl status) until a route comes back, which resumes its upload.

#include <catch2/catch.hpp>
#include <string>

#include "e2e_support.h"
#include "localstore/table_name.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace std::chrono_literals;

namespace {

constexpr char kDcrId[] = "dcr-e2e00000000000000000000000000p1";

bool Send(const testing::HostProcess& host, const std::string& extension, int first, int count) {
  std::string input;
  for (int i = first; i < first + count; ++i) input += e2e::RecordJson(i) + "\n";
  auto sent = testing::RunAmactl(e2e::With({"send", "--extension", extension, "--stream",
                                            e2e::ContentStream(kDcrId, extension), "--ack"},
                                           host),
                                 input);
  INFO(sent.err);
  return sent.exit_code == 0;
}

std::multiset<std::uint64_t> Range(std::uint64_t first, std::uint64_t count) {
  std::multiset<std::uint64_t> range;
  for (std::uint64_t i = first; i < first + count; ++i) range.insert(i);
  return range;
}

}  // namespace

TEST_CASE("An unrouted stream's empty table is closed, its backlog parked until a route returns",
          "[e2e][parked]") {
  testing::MockCloudProcess cloud;
  testing::TempDir dcrs;
  e2e::WriteFile(dcrs / "dcr.json", e2e::ContentDcr(kDcrId, {"Ext-A", "Ext-B", "Ext-C"}, 1));
  testing::TempDir dir;
  testing::HostProcess host(
      dir.path(), {"--dcr-dir", dcrs.path().string(), "--refresh", "0.1", "--cloud-endpoint",
                   cloud.base_url(), "--ca-file", cloud.ca_file(), "--upload-window", "0.1"});
  REQUIRE(host.Start());
  INFO(host.Log());
  const std::string stream_a = e2e::ContentStream(kDcrId, "Ext-A");
  const std::string stream_b = e2e::ContentStream(kDcrId, "Ext-B");
  const std::filesystem::path table_a = host.tables_dir() / localstore::TableFileName(stream_a);

  // Ext-A's records are uploaded: its table stays, empty.
  REQUIRE(Send(host, "Ext-A", 1, 5));
  REQUIRE(testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 5; }));
  REQUIRE(testing::WaitUntil([&] {
    const rapidjson::Document document = e2e::StatusJson(host);
    const rapidjson::Value* stream = e2e::FindStream(document, stream_a);
    return stream != nullptr && (*stream)["backlogRecords"].GetUint64() == 0;
  }));
  CHECK(std::filesystem::exists(table_a));
  // Ext-B's cannot be uploaded for now: they wait in its table.
  cloud.SetFault({.target = "ods", .status = 503, .count = 1000000});
  REQUIRE(Send(host, "Ext-B", 101, 4));

  // Neither is routed any more.
  e2e::WriteFile(dcrs / "dcr.json", e2e::ContentDcr(kDcrId, {"Ext-C"}, 2));
  const std::string closed_line = "closed and removed the empty table " +
                                  localstore::TableFileName(stream_a) + " of stream " + stream_a +
                                  ": no DCR routes it";
  CHECK(testing::WaitUntil([&] { return host.Log().find(closed_line) != std::string::npos; }));
  CHECK_FALSE(std::filesystem::exists(table_a));
  rapidjson::Document status = e2e::StatusJson(host);
  CHECK(e2e::FindStream(status, stream_a) == nullptr);
  const rapidjson::Value* parked = e2e::FindStream(status, stream_b);
  REQUIRE(parked != nullptr);
  CHECK((*parked)["parked"].GetBool());
  CHECK((*parked)["backlogRecords"].GetUint64() == 4);
  auto text = testing::RunAmactl(e2e::With({"status"}, host));
  CHECK_THAT(text.out, Catch::Contains("    parked (no route): no active DCR routes this stream; "
                                       "its 4 records wait for one that does"));
  cloud.ClearFaults();

  // The route comes back: the backlog resumes.
  e2e::WriteFile(dcrs / "dcr.json", e2e::ContentDcr(kDcrId, {"Ext-B", "Ext-C"}, 3));
  REQUIRE(testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 9; }, 30s));
  CHECK(e2e::Sequences(cloud, "CONFIG_CHANGE_BLOB_V2") == [] {
    std::multiset<std::uint64_t> all = Range(1, 5);
    all.merge(Range(101, 4));
    return all;
  }());
  const rapidjson::Document after = e2e::StatusJson(host);
  const rapidjson::Value* resumed = e2e::FindStream(after, stream_b);
  REQUIRE(resumed != nullptr);
  CHECK_FALSE(resumed->HasMember("parked"));
  CHECK(host.Terminate());
}
