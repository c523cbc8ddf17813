#include "dcr/loader.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "support/temp_dir.h"
#include "test_data.h"

namespace {

using dcr_test::Describe;
using dcr_test::ReadData;
using dcr_test::ReplaceAll;

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

TEST_CASE("LoadDirectory keeps the good files and reports the broken one", "[dcr][loader]") {
  testing::TempDir dir;
  WriteText(dir / "a-content.json", ReadData("ct_chunk.json"));
  WriteText(dir / "b-arm.json", ReplaceAll(ReadData("ct_arm.json"), dcr_test::kCtDcrId,
                                           "dcr-00000000000000000000000000000002"));
  const std::string broken =
      R"({"dataSources":[{"id":"x","kind":"extension","configuration":{"extensionName":"E"},)"
      R"("streams":[{"stream":"A_BLOB"}],"sendToChannels":[]}]})";
  WriteText(dir / "c-broken.json", broken);
  WriteText(dir / "d-notes.txt", "not json");
  WriteText(dir / ".hidden.json", "not json");
  std::filesystem::create_directory(dir / "e-folder.json");

  std::vector<dcr::Configuration> loaded;
  dcr::Diagnostics diagnostics;
  REQUIRE(dcr::LoadDirectory(dir.path(), CtOptions(), &loaded, &diagnostics));
  INFO(Describe(diagnostics));
  REQUIRE(loaded.size() == 2);
  CHECK(loaded[0].configuration_id == dcr_test::kCtDcrId);  // from its stream ids
  CHECK(loaded[0].source == (dir / "a-content.json").string());
  CHECK(loaded[0].etag.size() == 32);
  CHECK(loaded[0].dcr == dcr_test::CtChunk().dcr);
  CHECK(loaded[1].configuration_id == "dcr-00000000000000000000000000000002");
  CHECK(loaded[1].source == (dir / "b-arm.json").string());
  CHECK(loaded[1].dcr.data_sources.size() == 2);

  // One error, naming the broken file and the place in it; nothing about the good files.
  CHECK(dcr_test::Summary(diagnostics) ==
        std::vector<std::string>{"error $.dataSources[0].streams[0].solution",
                                 "warning $.dataSources[0].sendToChannels"});
  for (const dcr::Diagnostic& d : diagnostics) {
    CHECK(d.source == (dir / "c-broken.json").string());
  }

  // Loading again gives the same eTags: they follow the content.
  std::vector<dcr::Configuration> again;
  dcr::Diagnostics ignored;
  REQUIRE(dcr::LoadDirectory(dir.path(), CtOptions(), &again, &ignored));
  REQUIRE(again.size() == 2);
  CHECK(again[0].etag == loaded[0].etag);
  CHECK(again[1].etag == loaded[1].etag);
}

TEST_CASE("LoadFile recognises each shape", "[dcr][loader]") {
  testing::TempDir dir;
  std::string chunk = ReadData("ct_chunk.json");
  WriteText(dir / "one.json",
            R"({"configurationId":"dcr-one","eTag":"e1","content":)" + chunk + "}");
  WriteText(
      dir / "response.json",
      R"({"configurations":[{"configurationId":"dcr-r","eTag":"e2","op":"added","content":)" +
          chunk +
          R"(},{"configurationId":"gone","op":"removed"},)"
          R"({"configurationId":"settings","content":{"kind":"AgentSettings","settings":[]}}]})");
  WriteText(dir / "agent-settings.json",
            R"({"kind":"AgentSettings","settings":[{"name":"MaxDiskQuotaInMB","value":"5000"}]})");
  WriteText(dir / "nothing.json", R"({"hello":"world"})");
  WriteText(dir / "array.json", "[1]");

  struct Case {
    const char* file;
    bool ok;
    std::vector<std::string> ids;
    std::vector<std::string> diagnostics;
  };
  const Case cases[] = {
      {"one.json", true, {"dcr-one"}, {}},
      {"response.json", true, {"dcr-r", "settings"}, {"warning $.configurations[1].op"}},
      {"agent-settings.json", true, {"agent-settings"}, {}},  // id from the file name
      {"nothing.json", false, {}, {"error $"}},
      {"array.json", false, {}, {"error $"}},
      {"missing.json", false, {}, {"error $"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.file);
    std::vector<dcr::Configuration> loaded;
    dcr::Diagnostics diagnostics;
    CHECK(dcr::LoadFile(dir / c.file, CtOptions(), &loaded, &diagnostics) == c.ok);
    std::vector<std::string> ids;
    for (const dcr::Configuration& configuration : loaded) {
      ids.push_back(configuration.configuration_id);
    }
    CHECK(ids == c.ids);
    CHECK(dcr_test::Summary(diagnostics) == c.diagnostics);
    for (const dcr::Diagnostic& d : diagnostics) CHECK(d.source == (dir / c.file).string());
  }
  std::vector<dcr::Configuration> one;
  dcr::Diagnostics diagnostics;
  REQUIRE(dcr::LoadFile(dir / "one.json", CtOptions(), &one, &diagnostics));
  CHECK(one.at(0).etag == "e1");
  // Stream ids keep the DCR id written in them, whatever the configurationId.
  CHECK(one.at(0).dcr.data_sources.at(0).streams.at(0).extension_output_stream.starts_with(
      dcr_test::kCtDcrId));
}

TEST_CASE("LoadFile refuses files over 16 MiB", "[dcr][loader]") {
  testing::TempDir dir;
  std::string text = R"({"kind":"AgentSettings","settings":[]})";
  text.append(dcr::kMaxDocumentBytes + 1 - text.size(), ' ');
  WriteText(dir / "big.json", text);
  std::vector<dcr::Configuration> loaded;
  dcr::Diagnostics diagnostics;
  CHECK_FALSE(dcr::LoadFile(dir / "big.json", CtOptions(), &loaded, &diagnostics));
  REQUIRE(diagnostics.size() == 1);
  CHECK_THAT(diagnostics[0].message, Catch::Contains("larger than"));
}

TEST_CASE("LoadDirectory reports a duplicate configurationId and keeps the first",
          "[dcr][loader]") {
  testing::TempDir dir;
  WriteText(dir / "1.json", ReadData("ct_chunk.json"));
  WriteText(dir / "2.json", ReadData("ct_arm.json"));  // same immutableId
  std::vector<dcr::Configuration> loaded;
  dcr::Diagnostics diagnostics;
  REQUIRE(dcr::LoadDirectory(dir.path(), CtOptions(), &loaded, &diagnostics));
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].source == (dir / "1.json").string());
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].severity == dcr::Diagnostic::Severity::kError);
  CHECK(diagnostics[0].source == (dir / "2.json").string());
  CHECK_THAT(diagnostics[0].message, Catch::Contains((dir / "1.json").string()));
}

TEST_CASE("LoadDirectory fails only when the folder cannot be read", "[dcr][loader]") {
  testing::TempDir dir;
  std::vector<dcr::Configuration> loaded;
  dcr::Diagnostics diagnostics;
  CHECK(dcr::LoadDirectory(dir.path(), CtOptions(), &loaded, &diagnostics));
  CHECK(loaded.empty());
  CHECK(diagnostics.empty());
  CHECK_FALSE(dcr::LoadDirectory(dir / "absent", CtOptions(), &loaded, &diagnostics));
  CHECK(dcr::HasErrors(diagnostics));
}

}  // namespace
