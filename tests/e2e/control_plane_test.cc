// A host on an AMCS-shaped control plane (mockcloud), through changes and failures: issue 4's
// "done when".

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "e2e_support.h"
#include "localstore/table_name.h"
#include "pipes/client.h"
#include "rapidjson/document.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace std::chrono_literals;

namespace {

constexpr char kDcrId[] = "dcr-e2e00000000000000000000000000c1";

std::vector<std::string> ControlPlaneArgs(const testing::MockCloudProcess& cloud) {
  return {"--handler",       cloud.base_url(),
          "--ca-file",       cloud.ca_file(),
          "--refresh",       "0.2",
          "--control-retry", "0.1",
          "--upload-window", "0.1",
          "--retry-base",    "0.05",
          "--retry-max",     "1"};
}

// The AgentTaggedData reply for `extension`, parsed; its TaggedData parsed into `tagged`.
bool Configuration(const testing::HostProcess& host, const std::string& extension,
                   rapidjson::Document* tagged) {
  std::string reply;
  if (pipes::RequestConfig(pipes::ConfigSocketAddress(host.naming()), extension, &reply, 5s)) {
    return false;
  }
  rapidjson::Document document;
  document.Parse(reply.c_str());
  if (!document.IsObject() || !document["Success"].GetBool()) return false;
  tagged->Parse(document["TaggedData"].GetString());
  return tagged->IsObject();
}

int Revision(const rapidjson::Document& tagged) {
  return tagged["extensionConfigurations"][0]["extensionSettings"]["revision"].GetInt();
}

bool SocketOpen(const testing::HostProcess& host, const std::string& extension) {
  std::unique_ptr<pipes::Client> client;
  return !pipes::Client::Connect(pipes::ExtensionSocketAddress(host.naming(), extension), &client);
}

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("The control-plane diff sequence gives the right chunk files and sockets",
          "[e2e][control]") {
  testing::TempDir dcrs;
  e2e::WriteFile(dcrs / "ct.json", e2e::ContentDcr(kDcrId, {"Ext-A"}, 1));
  testing::MockCloudProcess cloud({.dcr_dir = dcrs.path()});
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), ControlPlaneArgs(cloud));
  REQUIRE(host.Start());
  INFO(host.Log());
  auto chunk = dir / "config-cache/configchunks" / (std::string(kDcrId) + ".json");
  auto lkg = dir / "config-cache/mcsconfig.lkg.json";

  // Added.
  rapidjson::Document tagged;
  REQUIRE(testing::WaitUntil([&] { return Configuration(host, "Ext-A", &tagged); }));
  CHECK(tagged["version"].GetInt() == 1);
  CHECK(Revision(tagged) == 1);
  CHECK(SocketOpen(host, "Ext-A"));
  CHECK_THAT(ReadText(chunk), Catch::Contains("\"revision\":1"));
  rapidjson::Document served = cloud.Configurations();
  std::string etag = served["configurations"][0]["eTag"].GetString();
  CHECK_THAT(ReadText(lkg), Catch::Contains(etag));

  // Unchanged: the host sends the eTag it runs and is answered 304.
  REQUIRE(
      testing::WaitUntil([&] { return cloud.Stats()["controlPlaneNotModified"].GetUint() >= 2; }));
  rapidjson::Document stats = cloud.Stats();
  REQUIRE(stats["lastIfNoneMatch"].Size() == 1);
  CHECK(std::string(stats["lastIfNoneMatch"][0].GetString()) == etag);

  // Changed: a new revision and a second extension.
  e2e::WriteFile(dcrs / "ct.json", e2e::ContentDcr(kDcrId, {"Ext-A", "Ext-B"}, 2));
  REQUIRE(testing::WaitUntil(
      [&] { return Configuration(host, "Ext-A", &tagged) && Revision(tagged) == 2; }));
  CHECK(tagged["version"].GetInt() == 2);
  CHECK(SocketOpen(host, "Ext-B"));
  CHECK_THAT(ReadText(chunk), Catch::Contains("\"revision\":2"));

  // Removed: op removed, chunk file gone, sockets closed.
  std::filesystem::remove(dcrs / "ct.json");
  REQUIRE(testing::WaitUntil([&] { return !std::filesystem::exists(chunk); }));
  REQUIRE(
      testing::WaitUntil([&] { return !SocketOpen(host, "Ext-A") && !SocketOpen(host, "Ext-B"); }));
  CHECK_FALSE(Configuration(host, "Ext-A", &tagged));
  CHECK(ReadText(lkg).find(kDcrId) == std::string::npos);
  CHECK(host.Terminate());
}

TEST_CASE("With the control plane down the host serves its last known good set and catches up",
          "[e2e][control]") {
  testing::TempDir dcrs;
  e2e::WriteFile(dcrs / "ct.json", e2e::ContentDcr(kDcrId, {"Ext-A"}, 1));
  testing::MockCloudProcess cloud({.dcr_dir = dcrs.path()});
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), ControlPlaneArgs(cloud));
  REQUIRE(host.Start());
  rapidjson::Document tagged;
  REQUIRE(testing::WaitUntil([&] { return Configuration(host, "Ext-A", &tagged); }));
  REQUIRE(host.Terminate());

  // The control plane goes away and changes meanwhile.
  cloud.Stop();
  e2e::WriteFile(dcrs / "ct.json", e2e::ContentDcr(kDcrId, {"Ext-A"}, 2));
  REQUIRE(host.Start());
  INFO(host.Log());
  // Served at once, from the cache, before any answer from the control plane.
  REQUIRE(Configuration(host, "Ext-A", &tagged));
  CHECK(Revision(tagged) == 1);
  REQUIRE(testing::WaitUntil(
      [&] { return host.Log().find("could not get the configuration") != std::string::npos; }));
  REQUIRE(Configuration(host, "Ext-A", &tagged));
  CHECK(Revision(tagged) == 1);

  cloud.Restart();
  REQUIRE(testing::WaitUntil(
      [&] { return Configuration(host, "Ext-A", &tagged) && Revision(tagged) == 2; }));
  CHECK(host.Terminate());
}

TEST_CASE("A 421 is followed and the endpoint remembered, across restarts", "[e2e][control]") {
  testing::TempDir dcrs;
  e2e::WriteFile(dcrs / "ct.json", e2e::ContentDcr(kDcrId, {"Ext-A"}, 1));
  testing::MockCloudProcess cloud({.dcr_dir = dcrs.path()});
  cloud.SetRedirect(true);
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), ControlPlaneArgs(cloud));
  REQUIRE(host.Start());
  INFO(host.Log());
  rapidjson::Document tagged;
  REQUIRE(testing::WaitUntil([&] { return Configuration(host, "Ext-A", &tagged); }));
  // Later calls go to the data collection endpoint directly.
  REQUIRE(testing::WaitUntil([&] { return cloud.Stats()["controlPlaneDceCalls"].GetUint() >= 4; }));
  CHECK(cloud.Stats()["controlPlaneRedirects"].GetUint() == 1);
  CHECK(ReadText(dir / "config-cache/mcsendpoint.txt") == cloud.base_url() + "/dce\n");
  CHECK_THAT(host.Log(), Catch::Contains("redirects to " + cloud.base_url() + "/dce"));

  REQUIRE(host.Terminate());
  REQUIRE(host.Start());
  std::uint64_t calls = cloud.Stats()["controlPlaneDceCalls"].GetUint();
  REQUIRE(testing::WaitUntil(
      [&] { return cloud.Stats()["controlPlaneDceCalls"].GetUint() >= calls + 2; }));
  CHECK(cloud.Stats()["controlPlaneRedirects"].GetUint() == 1);
  CHECK(host.Terminate());
}

TEST_CASE("Tokens expiring mid-run cause no upload a refresh could have avoided",
          "[e2e][control]") {
  testing::MockCloudProcess cloud({.token_max_age_seconds = 2});
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), e2e::CloudArgs(cloud, "0.05"));
  REQUIRE(host.Start());
  INFO(host.Log());
  std::set<std::uint64_t> acked;
  {
    e2e::AckedSender sender(pipes::ExtensionSocketAddress(host.naming(), "ChangeTracking-Linux"),
                            5);
    // Uploads go on while tokens expire and are renewed.
    REQUIRE(testing::WaitUntil([&] { return cloud.Stats()["tokensIssued"].GetUint() >= 3; }, 30s));
    acked = sender.Acked();
    CHECK_FALSE(sender.failed());
  }
  REQUIRE(testing::WaitUntil([&] {
    auto arrived = e2e::Sequences(cloud, "CONFIG_CHANGE_BLOB_V2");
    for (std::uint64_t sequence : acked) {
      if (arrived.count(sequence) == 0) return false;
    }
    return true;
  }));
  auto requests = cloud.Requests();
  std::size_t refused = 0;
  for (const auto& request : requests["requests"].GetArray()) {
    if (request["status"].GetInt() == 401) {
      ++refused;
      UNSCOPED_INFO("401: " << request["message"].GetString() << " at "
                            << request["time"].GetString());
    }
  }
  CHECK(refused == 0);
  CHECK(requests["count"].GetUint() >= 3);
}

TEST_CASE("A DCR changed under 50 connected extensions loses no record", "[e2e][control]") {
  std::vector<std::string> extensions;
  for (int i = 0; i < 50; ++i) extensions.push_back(fmt::format("Ext-{:02}", i));
  testing::TempDir dcrs;
  e2e::WriteFile(dcrs / "many.json", e2e::ContentDcr(kDcrId, extensions, 1));
  testing::MockCloudProcess cloud({.dcr_dir = dcrs.path()});
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), ControlPlaneArgs(cloud));
  REQUIRE(host.Start());
  INFO(host.Log());
  rapidjson::Document tagged;
  REQUIRE(testing::WaitUntil([&] { return Configuration(host, "Ext-49", &tagged); }));

  std::map<std::string, std::set<std::uint64_t>> acked;
  {
    std::vector<std::unique_ptr<e2e::AckedSender>> senders;
    for (const std::string& extension : extensions) {
      senders.push_back(std::make_unique<e2e::AckedSender>(
          pipes::ExtensionSocketAddress(host.naming(), extension), 3, extension));
    }
    auto each_acked_at_least = [&](std::size_t count) {
      for (auto& sender : senders) {
        if (sender->Acked().size() < count) return false;
      }
      return true;
    };
    REQUIRE(testing::WaitUntil([&] { return each_acked_at_least(15); }, 60s));
    // The DCR changes under them: every extension's settings, and one extension more.
    extensions.push_back("Ext-50");
    e2e::WriteFile(dcrs / "many.json", e2e::ContentDcr(kDcrId, extensions, 2));
    REQUIRE(testing::WaitUntil(
        [&] { return Configuration(host, "Ext-00", &tagged) && Revision(tagged) == 2; }));
    CHECK(SocketOpen(host, "Ext-50"));
    std::size_t before = senders[0]->Acked().size();
    REQUIRE(testing::WaitUntil([&] { return each_acked_at_least(before + 15); }, 60s));
    for (std::size_t i = 0; i < senders.size(); ++i) {
      CHECK_FALSE(senders[i]->failed());
      acked[extensions[i]] = senders[i]->Acked();
    }
  }
  std::size_t missing = 0;
  REQUIRE(testing::WaitUntil(
      [&] {
        missing = 0;
        for (const auto& [extension, sequences] : acked) {
          auto arrived = e2e::Sequences(cloud, "CONFIG_CHANGE_BLOB_V2", extension);
          for (std::uint64_t sequence : sequences) missing += arrived.count(sequence) == 0;
        }
        return missing == 0;
      },
      60s));
  CHECK(missing == 0);
  CHECK(host.Terminate());
}

namespace {

rapidjson::Document Status(const testing::HostProcess& host) {
  std::unique_ptr<pipes::Client> client;
  rapidjson::Document status;
  if (pipes::Client::Connect(pipes::ConfigSocketAddress(host.naming()), &client)) return status;
  std::string buffer, reply;
  if (client->SendAll(R"({"Request":"AmahostStatus","RequestId":"s"})") ||
      client->ReadJsonObject(&buffer, &reply, 5s)) {
    return status;
  }
  rapidjson::Document document;
  document.Parse(reply.c_str());
  status.CopyFrom(document["Status"], status.GetAllocator());
  return status;
}

std::uint64_t QuotaBytes(const testing::HostProcess& host) {
  rapidjson::Document status = Status(host);
  return status.IsObject() ? status["host"]["store"]["quotaBytes"].GetUint64() : 0;
}

constexpr std::uint64_t kMiB = 1024 * 1024;

}  // namespace

TEST_CASE("AgentSettings from the control plane set the quota live, a bad value is refused",
          "[e2e][control][quota]") {
  testing::TempDir dcrs;
  e2e::WriteFile(dcrs / "ct.json", e2e::ContentDcr(kDcrId, {"Ext-A"}, 1));
  e2e::WriteFile(
      dcrs / "settings.json",
      R"({"kind":"AgentSettings","settings":[{"name":"MaxDiskQuotaInMB","value":"5000"}]})");
  testing::MockCloudProcess cloud({.dcr_dir = dcrs.path()});
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), ControlPlaneArgs(cloud));
  REQUIRE(host.Start());
  INFO(host.Log());
  REQUIRE(testing::WaitUntil([&] { return QuotaBytes(host) == 5000 * kMiB; }));

  // Settings as a JSON string, as they appear in cached chunk files.
  e2e::WriteFile(
      dcrs / "settings.json",
      R"({"kind":"AgentSettings","settings":"[{\"name\":\"MaxDiskQuotaInMB\",\"value\":\"6000\"}]"})");
  REQUIRE(testing::WaitUntil([&] { return QuotaBytes(host) == 6000 * kMiB; }));

  e2e::WriteFile(
      dcrs / "settings.json",
      R"({"kind":"AgentSettings","settings":[{"name":"MaxDiskQuotaInMB","value":"12"}]})");
  REQUIRE(testing::WaitUntil(
      [&] { return host.Log().find("MaxDiskQuotaInMB \"12\" refused") != std::string::npos; }));
  CHECK_THAT(host.Log(), Catch::Contains("keeping 6000 MB"));
  CHECK(QuotaBytes(host) == 6000 * kMiB);
  CHECK(host.Terminate());
}

TEST_CASE("Over the quota the oldest records are dropped, counted and logged", "[e2e][quota]") {
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), {"--no-upload", "--max-disk-quota-mb", "1"});
  REQUIRE(host.Start());
  INFO(host.Log());
  std::string input;
  const std::string padding(1000, 'p');
  for (int i = 1; i <= 3000; ++i) {
    input += fmt::format(R"({{"Sequence":{},"Padding":"{}"}})", i, padding) + "\n";
  }
  std::vector<std::string> args = {"send",  "--stream", "CONFIG_CHANGE_BLOB_V2",
                                   "--ack", "--batch",  "50"};
  for (const std::string& arg : host.AmactlArgs()) args.push_back(arg);
  auto sent = testing::RunAmactl(args, input);
  REQUIRE(sent.exit_code == 0);
  CHECK_THAT(sent.out, Catch::Contains("3000 of 3000 records acknowledged"));

  rapidjson::Document status = Status(host);
  const auto& store = status["host"]["store"];
  CHECK(store["storedBytes"].GetUint64() <= 1 * kMiB);
  std::uint64_t dropped = store["quotaDroppedRecords"].GetUint64();
  CHECK(dropped > 0);
  CHECK(status["host"]["streams"][0]["quotaDroppedRecords"].GetUint64() == dropped);
  CHECK_THAT(host.Log(), Catch::Contains("quota: dropped"));
  // What is left is the newest records: the last one sent, and none older than the first kept.
  auto dumped = testing::RunAmactl(
      {"dump", (host.tables_dir() / localstore::TableFileName(e2e::kChangeV2)).string()});
  REQUIRE(dumped.exit_code == 0);
  std::size_t kept =
      static_cast<std::size_t>(std::count(dumped.out.begin(), dumped.out.end(), '\n'));
  CHECK(kept + dropped == 3000);
  CHECK_THAT(dumped.out, Catch::StartsWith(fmt::format(R"({{"Sequence":{},)", dropped + 1)));
  CHECK_THAT(dumped.out, Catch::Contains(R"({"Sequence":3000,)"));
  // And amactl status names it first.
  auto text = testing::RunAmactl(e2e::With({"status"}, host));
  CHECK_THAT(text.out, Catch::StartsWith(fmt::format(
                           "records dropped by the quota: {} since start, the last ", dropped)));
  CHECK(host.Terminate());
}

TEST_CASE("SIGHUP asks the control plane at once", "[e2e][control]") {
  testing::TempDir dcrs;
  e2e::WriteFile(dcrs / "ct.json", e2e::ContentDcr(kDcrId, {"Ext-A"}, 1));
  testing::MockCloudProcess cloud({.dcr_dir = dcrs.path()});
  testing::TempDir dir;
  std::vector<std::string> args = ControlPlaneArgs(cloud);
  args.insert(args.end(), {"--refresh", "3600"});  // the last --refresh wins
  testing::HostProcess host(dir.path(), args);
  REQUIRE(host.Start());
  INFO(host.Log());
  rapidjson::Document tagged;
  REQUIRE(testing::WaitUntil([&] { return Configuration(host, "Ext-A", &tagged); }));
  e2e::WriteFile(dcrs / "ct.json", e2e::ContentDcr(kDcrId, {"Ext-A"}, 2));
  host.Signal(SIGHUP);
  REQUIRE(testing::WaitUntil(
      [&] { return Configuration(host, "Ext-A", &tagged) && Revision(tagged) == 2; }));
  CHECK_THAT(host.Log(), Catch::Contains("SIGHUP: reloading the DCRs"));
  CHECK(host.Terminate());
}
