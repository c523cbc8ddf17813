// The whole path on real parts: amactl (as an extension) → amahost's sockets → its SQLite tables
// → HTTPS to mockcloud.

#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>

#include "codec/msgpack_writer.h"
#include "e2e_support.h"
#include "localstore/table_name.h"
#include "pipes/client.h"
#include "pipes/forward_encoder.h"
#include "rapidjson/document.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace {

using namespace std::chrono_literals;

using e2e::With;

}  // namespace

TEST_CASE("Records sent with amactl send --ack arrive exactly in mockcloud", "[e2e]") {
  testing::MockCloudProcess cloud;
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), e2e::CloudArgs(cloud, "0.2"));
  REQUIRE(host.Start());
  std::string input;
  for (int i = 1; i <= 5; ++i) input += e2e::RecordJson(i) + "\n";
  input += "{\"Name\":\"caf\xc3\xa9 \\\"quoted\\\"\",\"Nested\":{\"list\":[1,2.5,null,true]}}\n";
  auto sent = testing::RunAmactl(
      With({"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack", "--batch", "4"}, host), input);
  INFO(sent.err);
  REQUIRE(sent.exit_code == 0);
  CHECK_THAT(sent.out, Catch::Contains("6 of 6 records acknowledged"));

  REQUIRE(testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") >= 6; }));
  std::vector<std::string> expected;
  for (int i = 1; i <= 5; ++i) expected.push_back(e2e::RecordJson(i));
  expected.push_back(
      "{\"Name\":\"caf\xc3\xa9 \\\"quoted\\\"\",\"Nested\":{\"list\":[1,2.5,null,true]}}");
  CHECK(cloud.Items("CONFIG_CHANGE_BLOB_V2") == expected);

  // Uploaded records leave the local table.
  REQUIRE(testing::WaitUntil([&] {
    auto dumped = testing::RunAmactl(
        {"dump", (host.tables_dir() / localstore::TableFileName(e2e::kChangeV2)).string()});
    return dumped.exit_code == 0 && dumped.out.empty();
  }));
  auto requests = cloud.Requests();
  REQUIRE(requests["count"].GetUint() >= 1);
  const auto& first = requests["requests"][0];
  CHECK(std::string(first["ipName"].GetString()) == "ChangeTracking");
  CHECK(first["status"].GetInt() == 200);
  CHECK_THAT(std::string(first["resourceId"].GetString()),
             Catch::StartsWith("/subscriptions/00000000-0000-0000-0000-000000000000/"));
  CHECK(host.Terminate());
}

TEST_CASE("An upload answered 503 is retried with the same X-Request-ID until it lands", "[e2e]") {
  testing::MockCloudProcess cloud;
  cloud.SetFault({.target = "ods", .status = 503, .count = 2, .retry_after = -1});
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), e2e::CloudArgs(cloud, "0.1"));
  REQUIRE(host.Start());
  std::string input;
  for (int i = 1; i <= 3; ++i) input += e2e::RecordJson(i) + "\n";
  auto sent =
      testing::RunAmactl(With({"send", "--stream", "CONFIG_DATA_BLOB_V2", "--ack"}, host), input);
  REQUIRE(sent.exit_code == 0);
  REQUIRE(testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_DATA_BLOB_V2") == 3; }));
  CHECK(e2e::Sequences(cloud, "CONFIG_DATA_BLOB_V2") == std::multiset<std::uint64_t>{1, 2, 3});
  auto requests = cloud.Requests();
  std::vector<int> statuses;
  std::set<std::string> ids;
  for (const auto& request : requests["requests"].GetArray()) {
    statuses.push_back(request["status"].GetInt());
    ids.insert(request["requestId"].GetString());
  }
  CHECK(statuses == std::vector<int>{503, 503, 200});
  CHECK(ids.size() == 1);
  CHECK(host.Terminate());
}

TEST_CASE("SIGTERM stops the host cleanly while an extension is connected", "[e2e]") {
  testing::MockCloudProcess cloud;
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), e2e::CloudArgs(cloud, "3600"));
  REQUIRE(host.Start());
  std::unique_ptr<pipes::Client> client;
  REQUIRE_FALSE(pipes::Client::Connect(
      pipes::ExtensionSocketAddress(host.naming(), "ChangeTracking-Linux"), &client));
  CHECK(host.Terminate(30s));
  CHECK_THAT(host.Log(), Catch::Contains("stopped"));
  // The connection was closed by the host, not left hanging.
  std::string buffer;
  CHECK(client->ReadSome(&buffer, 5s) == std::errc::connection_reset);
}

TEST_CASE("A host on a control plane serves and uploads what the control plane sends", "[e2e]") {
  testing::TempDir dcrs;
  std::filesystem::copy_file(std::filesystem::path(DCR_TEST_DATA_DIR) / "ct_arm.json",
                             dcrs / "ct_arm.json");
  testing::MockCloudProcess cloud({.dcr_dir = dcrs.path()});
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), {"--handler", cloud.base_url(), "--ca-file",
                                         cloud.ca_file(), "--upload-window", "0.1"});
  REQUIRE(host.Start());
  // The host listens before it has asked the control plane; the extension retries until its
  // configuration is there, as the CT agent does every few minutes.
  testing::CommandResult config;
  REQUIRE(testing::WaitUntil([&] {
    config = testing::RunAmactl(With({"config", "ChangeTracking-Linux"}, host));
    return config.exit_code == 0;
  }));
  rapidjson::Document reply;
  reply.Parse(config.out.c_str());
  const auto& outputs = reply["TaggedData"]["extensionConfigurations"][0]["outputStreams"];
  CHECK(std::string(outputs["CONFIG_CHANGE_BLOB_V2"].GetString()) ==
        "dcr-cad67fc3f9024d43bafe704f83012bc6:CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2");
  auto chunk = dir / "config-cache/configchunks/dcr-cad67fc3f9024d43bafe704f83012bc6.json";
  CHECK(std::filesystem::exists(chunk));
  CHECK(std::filesystem::exists(dir / "config-cache/mcsconfig.lkg.json"));

  auto sent = testing::RunAmactl(With({"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack"}, host),
                                 e2e::RecordJson(7));
  REQUIRE(sent.exit_code == 0);
  REQUIRE(testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 1; }));
  CHECK(cloud.Items("CONFIG_CHANGE_BLOB_V2")[0] == e2e::RecordJson(7));
  CHECK(host.Terminate());
}

TEST_CASE("A broken DCR file is reported by name and path while the good ones are used", "[e2e]") {
  testing::MockCloudProcess cloud;
  testing::TempDir dcrs;
  std::filesystem::copy_file(std::filesystem::path(DCR_TEST_DATA_DIR) / "ct_arm.json",
                             dcrs / "ct_arm.json");
  std::ofstream(dcrs / "broken.json") << R"({"dataSources":[{"id":"x","kind":"extension",)"
                                         R"("streams":"not an array"}]})";
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), {"--dcr-dir", dcrs.path().string(), "--cloud-endpoint",
                                         cloud.base_url(), "--ca-file", cloud.ca_file()});
  REQUIRE(host.Start());
  auto config = testing::RunAmactl(With({"config", "ChangeTracking-Linux"}, host));
  CHECK(config.exit_code == 0);
  CHECK_THAT(host.Log(), Catch::Contains("broken.json"));
  CHECK_THAT(host.Log(), Catch::Contains("$.dataSources[0].streams"));
  CHECK(host.Terminate());
}

TEST_CASE("A second host on the same instance refuses to start and says why", "[e2e]") {
  testing::TempDir first_dir;
  testing::TempDir second_dir;
  testing::HostProcess first(first_dir.path(), {"--no-upload"});
  testing::HostProcess second(second_dir.path(), {"--no-upload"}, first.instance());
  REQUIRE(first.Start());
  // Start() cannot tell: the first host answers on the shared config socket.
  second.Start();
  REQUIRE(testing::WaitUntil([&] { return !second.Running(); }));
  CHECK_THAT(second.Log(), Catch::Contains("cannot listen on") && Catch::Contains("--instance"));
  // The first host still serves its extensions.
  auto config = testing::RunAmactl(With({"config", "ChangeTracking-Linux"}, first));
  CHECK(config.exit_code == 0);
  CHECK(first.Terminate());
}

TEST_CASE("amactl status prints each stream's upload counters as --json has them", "[e2e]") {
  testing::MockCloudProcess cloud;
  // The first batch is refused for good, the next one accepted: different numbers in each slot.
  cloud.SetFault({.target = "ods", .status = 400, .count = 1});
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), e2e::CloudArgs(cloud, "0.1"));
  REQUIRE(host.Start());
  auto send = [&](int first, int count) {
    std::string input;
    for (int i = first; i < first + count; ++i) input += e2e::RecordJson(i) + "\n";
    return testing::RunAmactl(With({"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack"}, host),
                              input);
  };
  rapidjson::Document json;
  auto stream_json = [&]() -> const rapidjson::Value* {
    auto result = testing::RunAmactl(With({"status", "--json"}, host));
    json.Parse(result.out.c_str());
    if (!json.IsObject()) return nullptr;
    for (const auto& stream : json["host"]["streams"].GetArray()) {
      if (std::string(stream["streamId"].GetString()) == e2e::kChangeV2) return &stream;
    }
    return nullptr;
  };
  REQUIRE(send(1, 3).exit_code == 0);
  REQUIRE(testing::WaitUntil([&] {
    const rapidjson::Value* stream = stream_json();
    return stream && (*stream)["recordsRejected"].GetUint64() == 3;
  }));
  REQUIRE(send(4, 5).exit_code == 0);
  REQUIRE(testing::WaitUntil([&] {
    const rapidjson::Value* stream = stream_json();
    return stream && (*stream)["recordsUploaded"].GetUint64() == 5;
  }));
  const rapidjson::Value* stream = stream_json();
  REQUIRE(stream != nullptr);

  auto text = testing::RunAmactl(With({"status"}, host));
  REQUIRE(text.exit_code == 0);
  std::smatch match;
  const std::regex line(
      std::string(e2e::kChangeV2) +
      "\\n    backlog (\\d+) records \\((\\d+) bytes\\), uploaded (\\d+), "
      "rejected (\\d+), dropped by quota (\\d+), expired (\\d+), retries (\\d+), last HTTP "
      "(\\d+)");
  INFO(text.out);
  REQUIRE(std::regex_search(text.out, match, line));
  const char* fields[] = {"backlogRecords",  "backlogBytes",        "recordsUploaded",
                          "recordsRejected", "quotaDroppedRecords", "expiredRecords",
                          "retries",         "lastStatus"};
  for (std::size_t i = 0; i < std::size(fields); ++i) {
    INFO(fields[i]);
    CHECK(std::stoull(match[i + 1].str()) == (*stream)[fields[i]].GetUint64());
  }
  CHECK(match[3].str() == "5");
  CHECK(match[4].str() == "3");
  CHECK(host.Terminate());
}
