// `amahost check-config`, as a user runs it.

#include <catch2/catch.hpp>
#include <fstream>

#include "support/process.h"
#include "support/temp_dir.h"

TEST_CASE("check-config names every problem with file and JSON path and fails on errors",
          "[ama][check-config]") {
  testing::TempDir dir;
  std::ofstream(dir / "good.json")
      << R"({"kind":"AgentSettings","settings":[{"name":"MaxDiskQuotaInMB","value":"5000"}]})";
  std::ofstream(dir / "warn.json") << R"({"kind":"AgentSettings","settings":[],"extra":true})";
  std::ofstream(dir / "bad.json")
      << R"({"dataSources":[{"id":"x","kind":"extension","streams":"no"}]})";
  auto result = testing::RunCommand({AMAHOST_BINARY, "check-config", dir.path().string()});
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, Catch::Contains("warning: " + (dir / "warn.json").string() +
                                         ": $.extra: unknown key"));
  CHECK_THAT(result.out, Catch::Contains("error: " + (dir / "bad.json").string() +
                                         ": $.dataSources[0].streams: expected an array"));
  CHECK_THAT(result.out, Catch::Contains("3 files read"));

  auto good = testing::RunCommand({AMAHOST_BINARY, "check-config", (dir / "good.json").string()});
  CHECK(good.exit_code == 0);
  CHECK_THAT(good.out, Catch::Contains("0 errors, 0 warnings"));
  auto warned = testing::RunCommand({AMAHOST_BINARY, "check-config", (dir / "warn.json").string()});
  CHECK(warned.exit_code == 0);

  auto missing = testing::RunCommand({AMAHOST_BINARY, "check-config", (dir / "none").string()});
  CHECK(missing.exit_code == 1);
  auto usage = testing::RunCommand({AMAHOST_BINARY, "check-config"});
  CHECK(usage.exit_code == 2);
  CHECK_THAT(usage.err, Catch::Contains("which file or folder?"));
}
