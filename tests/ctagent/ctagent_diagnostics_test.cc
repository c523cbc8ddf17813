// ctagent's own errors reach the host's diagnostics socket
// (@CAgentStream_CloudAgentInfo_MaExtensionDiagnostics_default_fluent.socket): shown by
// `amactl status`, kept in the host's diagnostics table (`amactl dump`), and, made while the host
// is away, delivered once it is up.

#include <catch2/catch.hpp>
#include <string>

#include "base/logger.h"
#include "codec/json_parse.h"
#include "diagnostics_reporter.h"
#include "fixture.h"
#include "rapidjson/document.h"
#include "support/host_process.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace std::chrono_literals;

namespace {

struct Sandbox {
  std::string dir, instance, host_state;
  ~Sandbox() {
    if (!dir.empty()) testing::RunAmactl({"sandbox", "down", "--dir", dir});
  }
};

// `amactl sandbox up --dir folder`, stopped when `into` goes.
void Up(const std::filesystem::path& folder, Sandbox* into) {
  auto up = testing::RunAmactl({"sandbox", "up", "--dir", folder.string(), "--json"});
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  into->dir = folder.string();
  rapidjson::Document description;
  std::string error;
  REQUIRE(codec::ParseJson(up.out, &description, &error));
  into->instance = description["instance"].GetString();
  into->host_state = description["host"]["stateDir"].GetString();
}

// The host's status document.
rapidjson::Document Status(const Sandbox& sandbox) {
  auto status = testing::RunAmactl({"status", "--json", "--instance", sandbox.instance});
  INFO(status.err);
  REQUIRE(status.exit_code == 0);
  rapidjson::Document document;
  std::string error;
  REQUIRE(codec::ParseJson(status.out, &document, &error));
  return document;
}

// The last record the diagnostics socket got from ChangeTracking-Linux, or "".
std::string LastReport(const rapidjson::Document& status) {
  for (const auto& source : status["diagnostics"]["sources"].GetArray()) {
    if (std::string(source["tag"].GetString()) == "ChangeTracking-Linux") {
      return source["lastRecord"].GetString();
    }
  }
  return "";
}

}  // namespace

TEST_CASE("ctagent reports a failed collection to the host's diagnostics socket",
          "[ctagent][e2e][diagnostics]") {
  testing::TempDir dir;
  ctagent_test::MakeMachine(dir / "root");
  // dpkg's database cannot be read: a folder where the status file should be.
  std::filesystem::remove(dir / "root/var/lib/dpkg/status");
  std::filesystem::create_directories(dir / "root/var/lib/dpkg/status");
  Sandbox sandbox;
  Up(dir / "sb", &sandbox);

  auto run =
      testing::RunCommand({CTAGENT_BINARY, "--instance", sandbox.instance, "--root",
                           (dir / "root").string(), "--state-dir", (dir / "ct").string(), "--once"},
                          {}, 90s);
  INFO(run.err);
  CHECK(run.exit_code == 1);
  CHECK(run.err.find("Software collection failed") != std::string::npos);

  // Acked before ctagent exited, so the host has it.
  const std::string report = LastReport(Status(sandbox));
  CHECK(report.find(R"("Message":"Software collection failed)") != std::string::npos);
  CHECK(report.find(R"("Extension":"ChangeTracking-Linux")") != std::string::npos);
  CHECK(report.find(R"("Computer":"fixture-vm")") != std::string::npos);

  auto text = testing::RunAmactl({"status", "--instance", sandbox.instance});
  CHECK(
      text.out.find("diagnostics: 1 record on @" + sandbox.instance +
                    "_CAgentStream_CloudAgentInfo_MaExtensionDiagnostics_default_fluent.socket") !=
      std::string::npos);
  CHECK(text.out.find("  ChangeTracking-Linux: 1 record, last at ") != std::string::npos);
  CHECK(text.out.find("never uploaded") != std::string::npos);

  // Kept in its own table, read as any other.
  auto dump = testing::RunAmactl(
      {"dump", "--state-dir", sandbox.host_state, "--stream", "MaExtensionDiagnostics"});
  INFO(dump.err);
  CHECK(dump.exit_code == 0);
  CHECK(dump.out.find("Software collection failed") != std::string::npos);
}

TEST_CASE("Reports made while the host is away are delivered once it is up, at most max_queued",
          "[ctagent][diagnostics]") {
  testing::TempDir dir;
  const std::string instance = "ctdiag" + std::to_string(::getpid());
  base::MemoryLogger logger;
  ctagent::DiagnosticsReporter reporter({.instance = instance, .computer = "vm1", .max_queued = 2},
                                        logger);
  reporter.Report("first");
  reporter.Report("second");
  reporter.Report("third");
  CHECK(reporter.delivered() == 0);
  CHECK(reporter.dropped() == 1);
  CHECK(logger.Count("third") == 1);

  auto up = testing::RunAmactl(
      {"sandbox", "up", "--dir", (dir / "sb").string(), "--instance", instance, "--json"});
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  Sandbox sandbox{.dir = (dir / "sb").string(), .instance = instance, .host_state = ""};
  // Flush waits out its backoff (at most a minute's ceiling; the first retries are short).
  CHECK(testing::WaitUntil(
      [&] {
        reporter.Flush();
        return reporter.delivered() == 2;
      },
      90s));
  const rapidjson::Document status = Status(sandbox);
  CHECK(status["diagnostics"]["records"].GetUint64() == 2);
  CHECK(LastReport(status).find(R"("Message":"third")") != std::string::npos);
}
