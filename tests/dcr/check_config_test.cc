#include "dcr/check_config.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "support/temp_dir.h"
#include "test_data.h"

namespace {

using dcr_test::Describe;
using dcr_test::ReadData;
using dcr_test::ReplaceAll;

constexpr char kArmId[] = "dcr-dddddddddddddddddddddddddddddddd";
constexpr char kSyslogId[] = "dcr-cccccccccccccccccccccccccccccccc";

void WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary);
  file << text;
  REQUIRE(file.good());
}

dcr::TranslationOptions CtOptions() {
  dcr::TranslationOptions options;
  options.agent_resource_id = dcr_test::kCtVm;
  return options;
}

// The CT ARM DCR under another immutableId, with an unknown key at five levels.
std::string ArmWithUnknownKeys() {
  std::string text = ReplaceAll(ReadData("ct_arm.json"), dcr_test::kCtDcrId, kArmId);
  text = ReplaceAll(text, R"("name": "ct-dcr177230743",)",
                    R"("name": "ct-dcr177230743", "future": 1,)");
  text = ReplaceAll(text, R"("description": "Data collection rule for CT.",)",
                    R"("description": "Data collection rule for CT.", "newThing": {},)");
  text = ReplaceAll(text, R"("name": "Microsoft-CT-Dest")",
                    R"("name": "Microsoft-CT-Dest", "extra": true)");
  text = ReplaceAll(text, R"("destinations": ["Microsoft-CT-Dest"])",
                    R"("destinations": ["Microsoft-CT-Dest"], "priority": 2)");
  text = ReplaceAll(text, R"("name": "CTDataSource-Linux",)",
                    R"("name": "CTDataSource-Linux", "hint": "x",)");
  return text;
}

// A usable agent-side DCR for one more extension, with an unknown key at five levels.
std::string ContentWithUnknownKeys() {
  const std::string stream = std::string(kSyslogId) + ":syslog:SYSLOG_BLOB";
  return R"({"schema":2,"dataSources":[{"configuration":{"extensionName":"Syslog-Ext"},)"
         R"("id":"syslog","kind":"extension","priority":1,"streams":[{"stream":"SYSLOG_BLOB",)"
         R"("solution":"LogManagement","extensionOutputStream":")" +
         stream +
         R"(","note":"x"}],"sendToChannels":["ods-1"]}],"channels":[{"id":"ods-1",)"
         R"("protocol":"ods","endpoint":"https://w.ods.opinsights.azure.com",)"
         R"("tokenEndpointUri":"https://h.example/t","region":"eu"}],)"
         R"("extensionConfigurations":{"Syslog-Ext":[{"id":")" +
         kSyslogId + R"(:syslog","outputStreams":{"SYSLOG_BLOB":")" + stream +
         R"("},"comment":"c"}]}})";
}

constexpr char kBadContent[] =
    R"({"dataSources":[{"configuration":{"extensionName":"Bad-Ext"},"id":"b","kind":"extension",)"
    R"("streams":[{"stream":"B_BLOB"}],"sendToChannels":["nowhere"]}]})";

constexpr char kResponse[] =
    R"({"configurations":[{"configurationId":"agent-settings","eTag":"e","content":)"
    R"({"kind":"AgentSettings","settings":[{"name":"MaxDiskQuotaInMB","value":"5000",)"
    R"("unit":"MB"}]}},{"configurationId":"dcr-eeee","content":{"dataSources":[{"id":"x"}]}}]})";

struct Expected {
  const char* severity;
  const char* file;
  std::string path;
};

std::vector<std::string> Located(const dcr::Diagnostics& diagnostics,
                                 const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const dcr::Diagnostic& d : diagnostics) {
    std::string file = std::filesystem::path(d.source).lexically_relative(dir).string();
    out.push_back(
        std::string(d.severity == dcr::Diagnostic::Severity::kError ? "error " : "warning ") +
        file + " " + d.json_path);
  }
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end = text.find('\n'); end != std::string::npos;
       start = end + 1, end = text.find('\n', start)) {
    lines.push_back(text.substr(start, end - start));
  }
  CHECK(start == text.size());  // every line ends with '\n'
  return lines;
}

TEST_CASE("check-config on a folder reports every file's problems and a summary", "[dcr][check]") {
  testing::TempDir dir;
  WriteText(dir / "a-good.json", ReadData("ct_chunk.json"));
  WriteText(dir / "b-arm.json", ArmWithUnknownKeys());
  WriteText(dir / "c-warn.json", ContentWithUnknownKeys());
  WriteText(dir / "d-bad.json", kBadContent);
  WriteText(dir / "e-response.json", kResponse);
  WriteText(dir / "f-notes.txt", "not a DCR");
  WriteText(dir / ".hidden.json", "not json");

  dcr::CheckReport report;
  CHECK_FALSE(dcr::CheckConfigPath(dir.path(), CtOptions(), &report));
  INFO(Describe(report.diagnostics));
  CHECK(report.files == std::vector<std::filesystem::path>{dir / "a-good.json", dir / "b-arm.json",
                                                           dir / "c-warn.json", dir / "d-bad.json",
                                                           dir / "e-response.json"});
  CHECK(Located(report.diagnostics, dir.path()) ==
        std::vector<std::string>{
            // The ARM shape: unknown keys at every level.
            "warning b-arm.json $.future",
            "warning b-arm.json $.properties.newThing",
            "warning b-arm.json $.properties.destinations.logAnalytics[0].extra",
            "warning b-arm.json $.properties.dataFlows[0].priority",
            "warning b-arm.json $.properties.dataSources.extensions[1].hint",
            // The agent-side shape: the same.
            "warning c-warn.json $.schema",
            "warning c-warn.json $.channels[0].region",
            "warning c-warn.json $.dataSources[0].priority",
            "warning c-warn.json $.dataSources[0].streams[0].note",
            R"(warning c-warn.json $.extensionConfigurations["Syslog-Ext"][0].comment)",
            "error d-bad.json $.dataSources[0].streams[0].solution",
            "error d-bad.json $.dataSources[0].sendToChannels[0]",
            "warning e-response.json $.configurations[0].content.settings[0].unit",
            "error e-response.json $.configurations[1].content.dataSources[0].kind",
            "error e-response.json $.configurations[1].content.dataSources[0].streams",
            "error e-response.json $.configurations[1].content.dataSources[0].sendToChannels",
            "error e-response.json $.configurations[1]",
            // Resolve: the chunk and the ARM DCR name the same two extensions.
            "warning a-good.json $",
            "warning a-good.json $",
        });
  REQUIRE(report.diagnostics.size() == 19);
  for (std::size_t i : {0, 5}) CHECK(report.diagnostics[i].message == "unknown key, ignored");
  CHECK(report.diagnostics[16].message == R"(configuration "dcr-eeee" refused (3 errors in it))");
  CHECK(report.diagnostics[17].message ==
        std::string("extension ChangeTracking-Linux is named by 2 DCRs; using ") +
            dcr_test::kCtDcrId + " (the lowest configurationId), ignoring " + kArmId);
  CHECK(report.diagnostics[18].message ==
        std::string("extension ChangeTracking-Windows is named by 2 DCRs; using ") +
            dcr_test::kCtDcrId + " (the lowest configurationId), ignoring " + kArmId);

  CHECK(report.configuration_ids ==
        std::vector<std::string>{dcr_test::kCtDcrId, kArmId, kSyslogId, "agent-settings"});
  CHECK(report.extensions ==
        std::vector<std::string>{"ChangeTracking-Linux", "ChangeTracking-Windows", "Syslog-Ext"});
  // The chunk's six streams (the ARM DCR's are ignored) and the syslog one.
  REQUIRE(report.streams.size() == 7);
  for (const std::string& stream : report.streams) {
    CAPTURE(stream);
    CHECK((stream.starts_with(dcr_test::kCtDcrId) || stream.starts_with(kSyslogId)));
  }
  CHECK(report.ErrorCount() == 6);
  CHECK(report.WarningCount() == 13);
  CHECK(dcr::CheckExitCode(report) == 1);

  std::vector<std::string> lines = Lines(dcr::FormatCheckReport(report));
  // The diagnostics, then what the host would serve (at least a line per extension and stream),
  // then the summary.
  REQUIRE(lines.size() >= report.diagnostics.size() + 3 + 7 + 1);
  for (std::size_t i = 0; i < report.diagnostics.size(); ++i) {
    CHECK(lines[i] == report.diagnostics[i].ToString());
  }
  CHECK(lines[report.diagnostics.size()] ==
        "extension ChangeTracking-Linux: configuration " + std::string(dcr_test::kCtDcrId));
  CHECK(lines.back() ==
        "5 files read, 4 configurations usable, 3 extensions (ChangeTracking-Linux, "
        "ChangeTracking-Windows, Syslog-Ext), 7 streams; 6 errors, 13 warnings");
}

TEST_CASE("check-config lists each extension's streams, channels and tables", "[dcr][check]") {
  testing::TempDir dir;
  WriteText(dir / "ct.json", ReadData("ct_chunk.json"));
  dcr::CheckReport report;
  REQUIRE(dcr::CheckConfigPath(dir / "ct.json", {}, &report));
  const std::string text = dcr::FormatCheckReport(
      report, [](std::string_view stream) { return "T_" + std::string(stream) + ".tsf"; });
  INFO(text);
  const std::string stream =
      std::string(dcr_test::kCtDcrId) + ":CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2";
  CHECK_THAT(text, Catch::Contains("extension ChangeTracking-Linux: configuration " +
                                   std::string(dcr_test::kCtDcrId) + "\n"));
  CHECK_THAT(text, Catch::Contains("  stream CONFIG_CHANGE_BLOB_V2: " + stream +
                                   " (solution ChangeTracking)\n    to "));
  CHECK_THAT(text, Catch::Contains(": ODS https://"));
  CHECK_THAT(text, Catch::Contains("    table Tables/T_" + stream + ".tsf\n"));
  // Without a namer, no table lines.
  CHECK_THAT(dcr::FormatCheckReport(report), !Catch::Contains("table "));
}

TEST_CASE("check-config on one file", "[dcr][check]") {
  testing::TempDir dir;
  WriteText(dir / "good.json", ReadData("ct_chunk.json"));
  WriteText(dir / "warn.json", ContentWithUnknownKeys());
  WriteText(dir / "bad.json", kBadContent);
  WriteText(dir / "one.json", R"({"configurationId":"dcr-one","eTag":"e","content":)" +
                                  ReadData("ct_chunk.json") + R"(,"comment":"mine"})");
  WriteText(dir / "arm.json", ArmWithUnknownKeys());

  struct Case {
    const char* file;
    int exit_code;
    std::size_t diagnostics;
    std::string summary;
  };
  const Case cases[] = {
      {"good.json", 0, 0,
       "1 file read, 1 configuration usable, 2 extensions (ChangeTracking-Linux, "
       "ChangeTracking-Windows), 6 streams; 0 errors, 0 warnings"},
      {"warn.json", 0, 5,
       "1 file read, 1 configuration usable, 1 extension (Syslog-Ext), 1 stream; 0 errors, 5 "
       "warnings"},
      {"bad.json", 1, 2,
       "1 file read, 0 configurations usable, 0 extensions, 0 streams; 2 errors, 0 warnings"},
      {"one.json", 0, 1,
       "1 file read, 1 configuration usable, 2 extensions (ChangeTracking-Linux, "
       "ChangeTracking-Windows), 6 streams; 0 errors, 1 warning"},
      {"arm.json", 0, 5,
       "1 file read, 1 configuration usable, 2 extensions (ChangeTracking-Linux, "
       "ChangeTracking-Windows), 6 streams; 0 errors, 5 warnings"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.file);
    dcr::CheckReport report;
    CHECK(dcr::CheckConfigPath(dir / c.file, CtOptions(), &report) == (c.exit_code == 0));
    INFO(Describe(report.diagnostics));
    CHECK(report.files == std::vector<std::filesystem::path>{dir / c.file});
    CHECK(report.diagnostics.size() == c.diagnostics);
    for (const dcr::Diagnostic& d : report.diagnostics) CHECK(d.source == (dir / c.file).string());
    CHECK(dcr::CheckExitCode(report) == c.exit_code);
    CHECK(Lines(dcr::FormatCheckReport(report)).back() == c.summary);
  }
  dcr::CheckReport report;
  dcr::CheckConfigPath(dir / "one.json", CtOptions(), &report);
  REQUIRE(report.diagnostics.size() == 1);
  CHECK(report.diagnostics[0].json_path == "$.comment");
}

TEST_CASE("check-config on a path it cannot use", "[dcr][check]") {
  testing::TempDir dir;
  dcr::CheckReport report;
  report.configuration_ids = {"left over"};

  SECTION("missing") {
    CHECK_FALSE(dcr::CheckConfigPath(dir / "absent", CtOptions(), &report));
    CHECK(report.configuration_ids.empty());
    CHECK(dcr_test::Summary(report.diagnostics) == std::vector<std::string>{"error $"});
    CHECK(report.diagnostics.at(0).ToString() ==
          "error: " + (dir / "absent").string() + ": $: cannot read: " +
              std::make_error_code(std::errc::no_such_file_or_directory).message());
    CHECK(Lines(dcr::FormatCheckReport(report)).back() ==
          "0 files read, 0 configurations usable, 0 extensions, 0 streams; 1 error, 0 warnings");
    CHECK(dcr::CheckExitCode(report) == 1);
  }
  SECTION("a FIFO, which must not block") {
    REQUIRE(::mkfifo((dir / "pipe.json").c_str(), 0600) == 0);
    CHECK_FALSE(dcr::CheckConfigPath(dir / "pipe.json", CtOptions(), &report));
    REQUIRE(report.diagnostics.size() == 1);
    CHECK(report.diagnostics[0].message == "not a regular file or a folder");
    CHECK(report.files.empty());
  }
  SECTION("an empty folder is a warning") {
    CHECK(dcr::CheckConfigPath(dir.path(), CtOptions(), &report));
    CHECK(dcr_test::Summary(report.diagnostics) == std::vector<std::string>{"warning $"});
    CHECK(report.diagnostics.at(0).source == dir.path().string());
    CHECK(dcr::CheckExitCode(report) == 0);
  }
}

}  // namespace
