// ctagent as a person runs it: a sandbox (mockcloud and amahost with the bundled Change
// Tracking DCR), `ctagent --root <fixture> --once`, and what reaches mockcloud; then the fixture
// changes (a package upgraded, a service removed, a file edited) and the next run's change
// records say so, with their FieldsChanged. Every record must fit its Log Analytics table.

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "base/files.h"
#include "codec/json_parse.h"
#include "fixture.h"
#include "rapidjson/document.h"
#include "support/host_process.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace std::chrono_literals;

namespace {

struct Sandbox {
  std::string dir, instance, url, ca;
};

std::string Text(const rapidjson::Value& object, const char* name) {
  auto found = object.FindMember(name);
  return found != object.MemberEnd() && found->value.IsString() ? found->value.GetString() : "";
}

// The items of one DataType at mockcloud, once there are at least `count`.
std::vector<std::string> Items(const Sandbox& sandbox, const char* data_type, int count) {
  auto result = testing::RunAmactl({"items", "--data-type", data_type, "--count",
                                    std::to_string(count), "--timeout", "30", "--json",
                                    "--mockcloud", sandbox.url, "--ca-file", sandbox.ca});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  rapidjson::Document document;
  std::string error;
  REQUIRE(codec::ParseJson(result.out, &document, &error));
  std::vector<std::string> items;
  for (const auto& item : document["items"].GetArray()) items.push_back(codec::CompactJson(item));
  return items;
}

bool AnyContains(const std::vector<std::string>& items, std::vector<std::string> needles) {
  for (const std::string& item : items) {
    bool all = true;
    for (const std::string& needle : needles) all = all && item.find(needle) != std::string::npos;
    if (all) return true;
  }
  return false;
}

// `amactl sandbox up` in `folder` on `instance`, with `more` of up's options.
Sandbox Up(const std::filesystem::path& folder, const std::string& instance,
           const std::vector<std::string>& more = {}) {
  std::vector<std::string> argv = {"sandbox",    "up",     "--dir", folder.string(),
                                   "--instance", instance, "--json"};
  argv.insert(argv.end(), more.begin(), more.end());
  auto up = testing::RunAmactl(argv);
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  rapidjson::Document description;
  std::string error;
  REQUIRE(codec::ParseJson(up.out, &description, &error));
  return {folder.string(), instance, Text(description["mockcloud"], "url"),
          Text(description["mockcloud"], "caFile")};
}

testing::CommandResult RunCtagent(const Sandbox& sandbox, const testing::TempDir& dir) {
  return testing::RunCommand(
      {CTAGENT_BINARY, "--instance", sandbox.instance, "--root", (dir / "root").string(),
       "--state-dir", (dir / "ct").string(), "--once"},
      {}, 90s);
}

}  // namespace

TEST_CASE("ctagent --root --once: inventory, then Modified and Removed changes reach mockcloud",
          "[ctagent][e2e]") {
  testing::TempDir dir;
  ctagent_test::MakeMachine(dir / "root");
  auto up = testing::RunAmactl({"sandbox", "up", "--dir", (dir / "sb").string(), "--json"});
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  rapidjson::Document description;
  std::string error;
  REQUIRE(codec::ParseJson(up.out, &description, &error));
  Sandbox sandbox{(dir / "sb").string(), Text(description, "instance"),
                  Text(description["mockcloud"], "url"), Text(description["mockcloud"], "caFile")};
  struct Down {
    std::string dir;
    ~Down() { testing::RunAmactl({"sandbox", "down", "--dir", dir}); }
  } down{sandbox.dir};

  // The first run: the baseline, sent as inventory (2 packages, 3 services, 2 files).
  auto first = RunCtagent(sandbox, dir);
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  const auto inventory = Items(sandbox, "CONFIG_DATA_BLOB_V2", 7);
  CHECK(inventory.size() == 7);
  CHECK(AnyContains(inventory, {R"("ConfigDataType":"Software")", R"("SoftwareName":"nginx")",
                                R"("CurrentVersion":"1.22.1-9")", R"("Computer":"fixture-vm")"}));
  CHECK(AnyContains(inventory, {R"("ConfigDataType":"Daemons")", R"("SvcName":"nginx.service")",
                                R"("SvcStartupType":"enabled")"}));
  CHECK(AnyContains(
      inventory, {R"("ConfigDataType":"Files")", R"("FileSystemPath":"/etc/nginx/nginx.conf")"}));
  CHECK(std::filesystem::exists(dir / "ct" / "Packages.json"));
  CHECK(std::filesystem::exists(dir / "ct" / "Services.json"));
  // The bundled DCR asks for contents (maxContentsReturnable): kept in File.json, not sent.
  std::string files;
  REQUIRE_FALSE(base::ReadFile(dir / "ct" / "File.json", 1 << 20, &files));
  CHECK_THAT(files, Catch::Contains(R"("FileContents":"a = 1\n","FileContentsEncoding":"utf-8")"));
  CHECK_FALSE(AnyContains(inventory, {"FileContents"}));

  // The machine changes.
  std::string status;
  {
    std::ifstream in(dir / "root/var/lib/dpkg/status");
    status.assign(std::istreambuf_iterator<char>(in), {});
  }
  status.replace(status.find("Version: 1.22.1-9"), 17, "Version: 1.22.1-10");
  status.replace(status.find("Installed-Size: 1000"), 20, "Installed-Size: 1001");
  ctagent_test::Write(dir / "root", "var/lib/dpkg/status", status);
  std::filesystem::remove(dir / "root/lib/systemd/system/cron.service");
  ctagent_test::Write(dir / "root", "etc/app.conf", "a = 2\nb = 3\n");

  auto second = RunCtagent(sandbox, dir);
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  const auto changes = Items(sandbox, "CONFIG_CHANGE_BLOB_V2", 3);
  CHECK(changes.size() == 3);
  CHECK(AnyContains(changes, {R"("ConfigChangeType":"Software")", R"("ChangeCategory":"Modified")",
                              R"("FieldsChanged":"Current|Size")", R"("SoftwareName":"nginx")",
                              R"("Current":"1.22.1-10")", R"("Previous":"1.22.1-9")",
                              R"("Size":1025024)", R"("PreviousSize":1024000)"}));
  CHECK(AnyContains(changes, {R"("ConfigChangeType":"Daemons")", R"("ChangeCategory":"Removed")",
                              R"("SvcName":"cron.service")"}));
  CHECK(AnyContains(
      changes, {R"("ConfigChangeType":"Files")", R"("ChangeCategory":"Modified")",
                R"("FileSystemPath":"/etc/app.conf")", "FileContentChecksum|Size", R"("Size":12)",
                R"("PreviousSize":6)", R"("PreviousFileContentChecksum":"cb78bd8a)"}));

  // Every upload fitted its table: mockcloud's schema report is empty for each.
  auto requests = testing::RunCommand(
      {"/usr/bin/curl", "-sf", "--cacert", sandbox.ca, sandbox.url + "/_mock/requests"});
  REQUIRE(requests.exit_code == 0);
  rapidjson::Document log;
  REQUIRE(codec::ParseJson(requests.out, &log, &error));
  int checked = 0;
  for (const auto& request : log["requests"].GetArray()) {
    const std::string data_type = Text(request, "dataType");
    if (data_type.rfind("CONFIG_", 0) != 0) continue;
    INFO(codec::CompactJson(request["schema"]));
    REQUIRE(request["schema"].IsObject());
    CHECK(request["schema"]["checked"].GetBool());
    CHECK(request["schema"]["itemsWithProblems"].GetInt() == 0);
    CHECK(request["schema"]["unknownFields"].Empty());
    CHECK(request["schema"]["reservedFields"].Empty());
    CHECK(request["schema"]["typeMismatches"].Empty());
    ++checked;
  }
  CHECK(checked >= 2);

  // Nothing left to send, and a third run with no change sends nothing new.
  auto third = RunCtagent(sandbox, dir);
  CHECK(third.exit_code == 0);
  CHECK_THAT(third.err, Catch::Contains("Software: 2 items, 0 changes"));
}

TEST_CASE("ctagent waits for its host, then follows a changed configuration without a restart",
          "[ctagent][e2e]") {
  testing::TempDir dir;
  ctagent_test::MakeMachine(dir / "root");
  const std::string instance = "ctw" + std::to_string(::getpid());
  // Started before any host: it says why it waits, and asks again.
  auto agent = testing::ChildProcess::Start(
      {CTAGENT_BINARY, "--instance", instance, "--root", (dir / "root").string(), "--state-dir",
       (dir / "ct").string(), "--config-refresh", "1"},
      dir / "ctagent.log");
  REQUIRE(testing::WaitUntil(
      [&] { return agent->Log().find("waiting and asking again") != std::string::npos; }));

  const Sandbox sandbox = Up(dir / "sb", instance);
  struct Down {
    std::string dir;
    ~Down() { testing::RunAmactl({"sandbox", "down", "--dir", dir}); }
  } down{sandbox.dir};
  const auto inventory = Items(sandbox, "CONFIG_DATA_BLOB_V2", 7);
  CHECK(inventory.size() == 7);
  INFO(agent->Log());
  CHECK_THAT(agent->Log(), Catch::Contains("files on every 900s"));

  // The DCR changes in "Azure": files off. The running agent follows at its next refresh.
  const std::filesystem::path dcr = dir / "sb" / "dcr" / "changetracking-linux.json";
  std::string text;
  {
    std::ifstream in(dcr);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::size_t at = text.find("\"enableFiles\": true");
  REQUIRE(at != std::string::npos);
  text.replace(at, 19, "\"enableFiles\": false");
  ctagent_test::Write(dir / "sb" / "dcr", "changetracking-linux.json", text);
  REQUIRE(testing::WaitUntil(
      [&] { return agent->Log().find("files off every 900s") != std::string::npos; }, 30s));

  agent->Signal(SIGTERM);
  REQUIRE(agent->WaitExit(10s));
  CHECK(WIFEXITED(agent->wait_status()));
  CHECK(WEXITSTATUS(agent->wait_status()) == 0);
  CHECK_THAT(agent->Log(), Catch::Contains("stopping (signal"));
}

TEST_CASE("ctagent keeps its records while the host is away and sends them once it is back",
          "[ctagent][e2e]") {
  testing::TempDir dir;
  ctagent_test::MakeMachine(dir / "root");
  const std::string instance = "cta" + std::to_string(::getpid());
  {
    const Sandbox sandbox = Up(dir / "sb", instance);
    auto first = RunCtagent(sandbox, dir);
    INFO(first.err);
    CHECK(first.exit_code == 0);
    CHECK(testing::RunAmactl({"sandbox", "down", "--dir", sandbox.dir}).exit_code == 0);
  }
  // No host: the run collects under the configuration it kept, and keeps the change.
  std::filesystem::remove(dir / "root/lib/systemd/system/cron.service");
  const Sandbox away{(dir / "sb").string(), instance, "", ""};
  auto second = RunCtagent(away, dir);
  INFO(second.err);
  CHECK(second.exit_code == 1);
  CHECK_THAT(second.err, Catch::Contains("using the last configuration received"));
  CHECK_THAT(second.err, Catch::Contains("Daemons: 2 items, 1 changes"));
  CHECK_THAT(second.err, Catch::Contains("1 kept"));

  // The host is back (a new one, with a new mock cloud): the kept record goes.
  const Sandbox sandbox = Up(dir / "sb", instance);
  struct Down {
    std::string dir;
    ~Down() { testing::RunAmactl({"sandbox", "down", "--dir", dir}); }
  } down{sandbox.dir};
  auto third = RunCtagent(sandbox, dir);
  INFO(third.err);
  CHECK(third.exit_code == 0);
  const auto changes = Items(sandbox, "CONFIG_CHANGE_BLOB_V2", 1);
  REQUIRE(changes.size() == 1);
  CHECK(AnyContains(changes, {R"("ChangeCategory":"Removed")", R"("SvcName":"cron.service")"}));
}

TEST_CASE(
    "ctagent refused a configuration (no DCR names it) keeps asking, then collects once one "
    "does",
    "[ctagent][e2e]") {
  testing::TempDir dir;
  ctagent_test::MakeMachine(dir / "root");
  const std::string instance = "ctr" + std::to_string(::getpid());
  // A host whose only DCR names another extension: ChangeTracking-Linux's config requests get
  // Success:false.
  const Sandbox sandbox =
      Up(dir / "sb", instance, {"--extension", "Contoso-Linux", "--stream", "CONTOSO_EVENTS"});
  struct Down {
    std::string dir;
    ~Down() { testing::RunAmactl({"sandbox", "down", "--dir", dir}); }
  } down{sandbox.dir};

  auto agent = testing::ChildProcess::Start(
      {CTAGENT_BINARY, "--instance", instance, "--root", (dir / "root").string(), "--state-dir",
       (dir / "ct").string(), "--config-refresh", "1"},
      dir / "ctagent.log");
  REQUIRE(testing::WaitUntil([&] {
    return agent->Log().find("amahost has no configuration for ChangeTracking-Linux") !=
           std::string::npos;
  }));
  INFO(agent->Log());
  CHECK_THAT(agent->Log(), Catch::Contains("waiting and asking again"));
  CHECK(agent->Running());
  CHECK_FALSE(std::filesystem::exists(dir / "ct" / "Packages.json"));  // nothing collected

  // The Change Tracking DCR appears in "Azure": the agent, still asking, gets it and collects.
  std::filesystem::copy_file(CTAGENT_DCR_FILE, dir / "sb" / "dcr" / "changetracking-linux.json");
  REQUIRE(testing::WaitUntil(
      [&] { return agent->Log().find("configuration received") != std::string::npos; }, 30s));
  const auto inventory = Items(sandbox, "CONFIG_DATA_BLOB_V2", 7);
  CHECK(inventory.size() == 7);
  CHECK(agent->Running());
  agent->Signal(SIGTERM);
  REQUIRE(agent->WaitExit(10s));
  CHECK(WEXITSTATUS(agent->wait_status()) == 0);
}
