// `amactl status` against real hosts in trouble: its first line names the worst current problem,
// or says healthy, and stops naming a problem once it is over.

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "e2e_support.h"
#include "rapidjson/document.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace std::chrono_literals;

namespace {

constexpr char kDcrId[] = "dcr-e2e00000000000000000000000000d1";

// `amactl status` as text.
std::string StatusText(const testing::HostProcess& host) {
  return testing::RunAmactl(e2e::With({"status"}, host)).out;
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

// Sends NDJSON records with amactl, without waiting for acks (refused or held records get none).
void SendUnacked(const testing::HostProcess& host, const std::string& stream,
                 const std::string& input) {
  auto sent =
      testing::RunAmactl(e2e::With({"send", "--stream", stream, "--batch", "50"}, host), input);
  INFO(sent.err);
  REQUIRE(sent.exit_code == 0);
}

// `count` records of ~1 KB of random hex each: they do not compress much.
std::string RandomRecords(int count) {
  std::mt19937_64 random(42);
  std::string input;
  for (int i = 0; i < count; ++i) {
    std::string padding;
    for (int j = 0; j < 64; ++j) padding += fmt::format("{:016x}", random());
    input += fmt::format(R"({{"Sequence":{},"Padding":"{}"}})", i, padding) + "\n";
  }
  return input;
}

}  // namespace

TEST_CASE("amactl status: healthy, then uploads failing since when, then healthy again",
          "[e2e][status]") {
  testing::MockCloudProcess cloud;
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), e2e::CloudArgs(cloud, "0.05"));
  REQUIRE(host.Start());
  INFO(host.Log());
  CHECK(FirstLine(StatusText(host)) == "healthy");

  cloud.SetFault({.target = "ods", .status = 503, .count = 1000000});
  std::string input;
  for (int i = 1; i <= 5; ++i) input += e2e::RecordJson(i) + "\n";
  REQUIRE(testing::RunAmactl(
              e2e::With({"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack"}, host), input)
              .exit_code == 0);
  const std::regex failing("uploads to " + std::string(e2e::kChangeV2) +
                           " failing since \\d\\d:\\d\\d:\\d\\d UTC \\(\\d+ s\\): HTTP 503");
  std::string text;
  REQUIRE(testing::WaitUntil([&] {
    text = StatusText(host);
    return std::regex_match(FirstLine(text), failing);
  }));
  INFO(text);
  // The stream's own line says so too, and the JSON has the facts.
  CHECK_THAT(text, Catch::Contains(", failing since "));
  rapidjson::Document document = e2e::StatusJson(host);
  REQUIRE(document.IsObject());
  const auto& health = document["host"]["health"];
  CHECK(std::string(health["state"].GetString()) == "degraded");
  CHECK(std::string(health["problems"][0]["kind"].GetString()) == "uploadsFailing");
  const rapidjson::Value* stream = e2e::FindStream(document, e2e::kChangeV2);
  REQUIRE(stream != nullptr);
  CHECK((*stream)["failingSince"].IsString());
  CHECK(std::string((*stream)["lastError"].GetString()) == "HTTP 503");

  cloud.ClearFaults();
  REQUIRE(testing::WaitUntil([&] {
    text = StatusText(host);
    return FirstLine(text) == "healthy";
  }));
  // Once uploads succeed again the old error is not shown as current.
  CHECK_THAT(text, !Catch::Contains("HTTP 503"));
  CHECK_THAT(text, !Catch::Contains("failing"));
  CHECK(e2e::Sequences(cloud, "CONFIG_CHANGE_BLOB_V2").size() == 5);

  // The text says what the JSON says, each figure in its slot, and no error as current; and it
  // names the stream's table file, ready for amactl dump.
  document = e2e::StatusJson(host);
  stream = e2e::FindStream(document, e2e::kChangeV2);
  REQUIRE(stream != nullptr);
  CHECK(std::string((*stream)["lastError"].GetString()).empty());
  CHECK((*stream)["failingSince"].IsNull());
  text = StatusText(host);
  const std::string line = fmt::format(
      "  {}\n    backlog {} records ({} bytes), uploaded {}, rejected {}, dropped by quota {}, "
      "expired {}, retries {}, last HTTP {}\n",
      e2e::kChangeV2, (*stream)["backlogRecords"].GetUint64(),
      (*stream)["backlogBytes"].GetUint64(), (*stream)["recordsUploaded"].GetUint64(),
      (*stream)["recordsRejected"].GetUint64(), (*stream)["quotaDroppedRecords"].GetUint64(),
      (*stream)["expiredRecords"].GetUint64(), (*stream)["retries"].GetUint64(),
      (*stream)["lastStatus"].GetInt());
  CHECK_THAT(text, Catch::Contains(line));
  CHECK((*stream)["recordsUploaded"].GetUint64() == 5);
  CHECK((*stream)["retries"].GetUint64() > 0);
  const std::string table = (dir.path() / "Tables" / (*stream)["table"].GetString()).string();
  CHECK_THAT(text, Catch::Contains(line + "    table " + table + "\n"));
  CHECK(testing::RunAmactl({"dump", table}).exit_code == 0);
  CHECK(host.Terminate());
}

TEST_CASE("amactl status names records refused for an unknown stream", "[e2e][status]") {
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), {"--no-upload"});
  REQUIRE(host.Start());
  INFO(host.Log());
  CHECK(FirstLine(StatusText(host)) == "healthy");
  SendUnacked(host, "NOPE", "{\"x\":1}\n{\"x\":2}\n");
  std::string text;
  REQUIRE(testing::WaitUntil([&] {
    text = StatusText(host);
    return FirstLine(text).starts_with("records refused for an unknown stream: 2 since start");
  }));
  CHECK_THAT(FirstLine(text), Catch::Contains("(tag NOPE)"));
  CHECK(host.Terminate());
}

TEST_CASE("amactl status names a full disk first", "[e2e][status]") {
  testing::TempDir dir;
  // 24 pages of 16 KiB: the schema and a few rows, then the table is "full".
  testing::HostProcess host(dir.path(), {"--no-upload", "--max-table-pages", "24"});
  REQUIRE(host.Start());
  INFO(host.Log());
  SendUnacked(host, "CONFIG_CHANGE_BLOB_V2", RandomRecords(2000));
  // And records for a stream that does not exist, a lesser problem at the same time.
  SendUnacked(host, "NOPE", "{\"x\":1}\n");
  const std::regex disk_full(
      "disk full: \\d+ batch(es)? \\(\\d+ bytes\\) of records held, not acknowledged, since "
      "\\d\\d:\\d\\d:\\d\\d UTC \\(\\d+ s\\)");
  std::string text;
  REQUIRE(testing::WaitUntil([&] {
    text = StatusText(host);
    return std::regex_match(FirstLine(text), disk_full);
  }));
  CHECK_THAT(text, Catch::Contains("\nalso: records refused for an unknown stream: 1"));
  // One SIGTERM stops it: after 5 s of stopping with batches held, they fail unacknowledged.
  CHECK(host.Terminate());
  CHECK_THAT(host.Log(), Catch::Contains("stopping: a full disk still holds ") &&
                             Catch::Contains("stopping with a full disk: "));
}

TEST_CASE(
    "Until a control plane answers, the banner, amactl status and the config reply say "
    "the host is waiting for a configuration, and why",
    "[e2e][status]") {
  testing::TempDir dcrs;
  e2e::WriteFile(dcrs / "ct.json", e2e::ContentDcr(kDcrId, {"Ext-A"}, 1));
  testing::MockCloudProcess cloud({.dcr_dir = dcrs.path()});
  cloud.SetFault({.target = "control", .status = 503, .count = 1000000});
  testing::TempDir dir;
  testing::HostProcess host(
      dir.path(), {"--handler", cloud.base_url(), "--ca-file", cloud.ca_file(), "--refresh", "0.2",
                   "--control-retry", "0.05"});
  REQUIRE(host.Start());
  INFO(host.Log());
  REQUIRE(testing::WaitUntil(
      [&] { return host.Log().find("is waiting for a configuration.") != std::string::npos; }));
  CHECK_THAT(host.Log(), !Catch::Contains("is ready."));
  std::string text;
  REQUIRE(testing::WaitUntil([&] {
    text = StatusText(host);
    return FirstLine(text).starts_with("waiting for a configuration: control plane " +
                                       cloud.base_url() + " not answering since ");
  }));
  CHECK_THAT(FirstLine(text), Catch::Contains("503"));
  CHECK_THAT(FirstLine(text),
             Catch::EndsWith("; only the config socket is open, no data socket yet"));
  CHECK_THAT(text, !Catch::Contains("the configuration in use is kept"));
  CHECK_THAT(text, Catch::Contains("\nconfiguration: control plane " + cloud.base_url()));
  rapidjson::Document document = e2e::StatusJson(host);
  REQUIRE(document.IsObject());
  CHECK(std::string(document["host"]["health"]["state"].GetString()) == "waiting");
  CHECK(std::string(document["host"]["health"]["problems"][0]["kind"].GetString()) ==
        "waitingForConfiguration");
  CHECK_FALSE(document["host"]["configSource"]["configurationLoaded"].GetBool());

  // The config socket tells "wait" apart from "wrong", even for a name no DCR will ever have.
  for (const char* extension : {"Ext-A", "Nope"}) {
    auto config = testing::RunAmactl(e2e::With({"config", extension}, host));
    CHECK(config.exit_code == 1);
    CHECK_THAT(config.err, Catch::Contains("no configuration loaded yet: the host is waiting for "
                                           "the first answer of the control plane at " +
                                           cloud.base_url()));
    CHECK_THAT(config.err, Catch::Contains("; ask again in a few seconds"));
  }

  cloud.ClearFaults();
  REQUIRE(testing::WaitUntil([&] {
    return testing::RunAmactl(e2e::With({"config", "Ext-A"}, host)).exit_code == 0;
  }));
  REQUIRE(testing::WaitUntil([&] { return FirstLine(StatusText(host)) == "healthy"; }));
  // The ready banner follows, once the sockets it names listen.
  REQUIRE(testing::WaitUntil([&] { return host.Log().find("is ready.") != std::string::npos; }));
  CHECK_THAT(host.Log(),
             Catch::Contains("@" + host.instance() +
                             "_CAgentStream_CloudAgentInfo_Ext-A_default_fluent.socket"));
  auto wrong = testing::RunAmactl(e2e::With({"config", "Nope"}, host));
  CHECK_THAT(wrong.err, Catch::Contains("no DCR names extension 'Nope' (known extensions: Ext-A)"));
  document = e2e::StatusJson(host);
  REQUIRE(document.IsObject());
  const auto& source = document["host"]["configSource"];
  CHECK(source["configurationLoaded"].GetBool());
  CHECK(std::string(source["kind"].GetString()) == "controlPlane");
  CHECK(source["lastSuccess"].IsString());
  CHECK(source["failingSince"].IsNull());
  CHECK(source["failures"].GetUint64() == 0);
  CHECK(host.Terminate());
}
