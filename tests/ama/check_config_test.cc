// `amahost check-config`, as a user runs it.

#include <catch2/catch.hpp>
#include <fstream>

#include "localstore/table_name.h"
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

TEST_CASE("check-config lists what the host would serve: streams, channels, table files",
          "[ama][check-config]") {
  testing::TempDir dir;
  std::ofstream(dir / "contoso.json") << R"({
    "dataSources": [{"id": "ContosoSource", "kind": "extension",
      "configuration": {"extensionName": "Contoso-Linux"},
      "streams": [{"stream": "Custom-AppEvents_CL", "solution": "LogManagement",
        "extensionOutputStream": "dcr-c0de0000000000000000000000000001:ContosoSource:Custom-AppEvents_CL"}],
      "sendToChannels": ["gig-contoso"]}],
    "channels": [{"id": "gig-contoso", "protocol": "gig",
      "endpointUriTemplate": "https://dce.test/dataCollectionRules/dcr-c0de0000000000000000000000000001/streams/<STREAM>",
      "tokenEndpointUri": "https://dce.test/token"}]})";
  auto result = testing::RunCommand({AMAHOST_BINARY, "check-config", dir.path().string()});
  INFO(result.out);
  CHECK(result.exit_code == 0);
  const std::string stream =
      "dcr-c0de0000000000000000000000000001:ContosoSource:Custom-AppEvents_CL";
  CHECK_THAT(result.out,
             Catch::Contains("extension Contoso-Linux: configuration "
                             "dcr-c0de0000000000000000000000000001\n"
                             "  stream Custom-AppEvents_CL: " +
                             stream +
                             " (solution LogManagement)\n"
                             "    to gig-contoso: Logs Ingestion https://dce.test/"
                             "dataCollectionRules/dcr-c0de0000000000000000000000000001/streams/"
                             "<STREAM>\n"
                             "    table Tables/" +
                             localstore::TableFileName(stream) + "\n"));
  CHECK_THAT(result.out, Catch::EndsWith("1 file read, 1 configuration usable, 1 extension "
                                         "(Contoso-Linux), 1 stream; 0 errors, 0 warnings\n"));
}
