#include "dcr/config_cache.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "dcr/parse.h"
#include "support/temp_dir.h"
#include "test_data.h"

namespace {

using dcr_test::CtChunk;
using dcr_test::Describe;
using dcr_test::MustParseContent;

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

void WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary);
  file << text;
  REQUIRE(file.good());
}

std::vector<dcr::Configuration> SampleSet() {
  dcr::Configuration ct = CtChunk();
  ct.etag = "\"ct-etag\"";
  dcr::Configuration settings = MustParseContent(
      R"({"kind":"AgentSettings","settings":[{"name":"MaxDiskQuotaInMB","value":"5000"}]})",
      "agent-settings", "\"as-etag\"");
  return {ct, settings};
}

TEST_CASE("ConfigCache saves and loads the same set", "[dcr][cache]") {
  testing::TempDir dir;
  dcr::ConfigCache cache(dir.path());
  CHECK(cache.folder() == dir / "config-cache");
  CHECK(cache.LkgPath() == dir / "config-cache" / "mcsconfig.lkg.json");
  CHECK(cache.ChunkPath("dcr-1") == dir / "config-cache" / "configchunks" / "dcr-1.json");

  std::vector<dcr::Configuration> saved = SampleSet();
  REQUIRE_FALSE(cache.Save(saved));
  for (const dcr::Configuration& configuration : saved) {
    // The chunk file is the content object, as AMA keeps it.
    CHECK(ReadText(cache.ChunkPath(configuration.configuration_id)) ==
          dcr::SerializeContent(configuration));
  }
  CHECK(ReadText(cache.LkgPath()) == dcr::SerializeConfigurations(saved));

  std::vector<dcr::Configuration> loaded;
  dcr::Diagnostics diagnostics;
  REQUIRE(cache.Load(&loaded, &diagnostics));
  INFO(Describe(diagnostics));
  CHECK(diagnostics.empty());
  REQUIRE(loaded.size() == saved.size());
  for (std::size_t i = 0; i < saved.size(); ++i) {
    CHECK(loaded[i].source == cache.LkgPath().string());
    loaded[i].source = saved[i].source;
    CHECK(loaded[i] == saved[i]);  // eTags included
  }
}

TEST_CASE("ConfigCache removes chunks of configurations no longer present", "[dcr][cache]") {
  testing::TempDir dir;
  dcr::ConfigCache cache(dir.path());
  std::vector<dcr::Configuration> both = SampleSet();
  REQUIRE_FALSE(cache.Save(both));
  std::filesystem::path chunks = dir / "config-cache" / "configchunks";
  WriteText(chunks / "notes.txt", "mine");
  WriteText(chunks / "not safe.json", "mine");
  WriteText(chunks / ".hidden.json", "mine");
  REQUIRE(std::filesystem::exists(cache.ChunkPath("agent-settings")));

  REQUIRE_FALSE(cache.Save({both[0]}));
  CHECK(std::filesystem::exists(cache.ChunkPath(dcr_test::kCtDcrId)));
  CHECK_FALSE(std::filesystem::exists(cache.ChunkPath("agent-settings")));
  // Only files the cache could have written are removed.
  CHECK(std::filesystem::exists(chunks / "notes.txt"));
  CHECK(std::filesystem::exists(chunks / "not safe.json"));
  CHECK(std::filesystem::exists(chunks / ".hidden.json"));

  std::vector<dcr::Configuration> loaded;
  dcr::Diagnostics diagnostics;
  REQUIRE(cache.Load(&loaded, &diagnostics));
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].configuration_id == dcr_test::kCtDcrId);

  REQUIRE_FALSE(cache.Save({}));
  CHECK_FALSE(std::filesystem::exists(cache.ChunkPath(dcr_test::kCtDcrId)));
  loaded.clear();
  REQUIRE(cache.Load(&loaded, &diagnostics));
  CHECK(loaded.empty());
}

TEST_CASE("ConfigCache refuses a configurationId that is not a safe file name", "[dcr][cache]") {
  testing::TempDir dir;
  dcr::ConfigCache cache(dir.path());
  std::vector<dcr::Configuration> set = SampleSet();
  dcr::Configuration evil = set[1];
  evil.configuration_id = "../../evil";
  set.push_back(evil);
  std::error_code ec = cache.Save(set);
  CHECK(ec == std::errc::invalid_argument);
  CHECK(cache.ChunkPath("../../evil").empty());
  CHECK_FALSE(std::filesystem::exists(dir / "evil.json"));
  CHECK_FALSE(std::filesystem::exists(dir / "config-cache" / "evil.json"));
  // The others are saved; the refused one is not in the lkg either.
  std::vector<dcr::Configuration> loaded;
  dcr::Diagnostics diagnostics;
  REQUIRE(cache.Load(&loaded, &diagnostics));
  CHECK(loaded.size() == 2);
  CHECK(ReadText(cache.LkgPath()).find("evil") == std::string::npos);
}

TEST_CASE("ConfigCache::Load reports a corrupt lkg", "[dcr][cache]") {
  testing::TempDir dir;
  dcr::ConfigCache cache(dir.path());
  std::vector<dcr::Configuration> loaded;
  dcr::Diagnostics diagnostics;
  CHECK_FALSE(cache.Load(&loaded, &diagnostics));  // none yet: not an error
  CHECK(diagnostics.empty());

  REQUIRE_FALSE(cache.Save(SampleSet()));
  std::string good = ReadText(cache.LkgPath());
  WriteText(cache.LkgPath(), good.substr(0, good.size() / 2));
  CHECK_FALSE(cache.Load(&loaded, &diagnostics));
  CHECK(loaded.empty());
  REQUIRE(dcr::HasErrors(diagnostics));
  CHECK(diagnostics[0].source == cache.LkgPath().string());
  CHECK_THAT(diagnostics[0].ToString(), Catch::Contains("mcsconfig.lkg.json"));

  // A configuration with errors is skipped, the others kept.
  std::string one_bad =
      dcr_test::ReplaceAll(good, R"("solution":"ChangeTracking")", R"("solution":7)");
  WriteText(cache.LkgPath(), one_bad);
  diagnostics.clear();
  REQUIRE(cache.Load(&loaded, &diagnostics));
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0].configuration_id == "agent-settings");
  CHECK(dcr::HasErrors(diagnostics));
}

TEST_CASE("IsSafeFileName", "[dcr][cache]") {
  struct Case {
    std::string id;
    bool safe;
  };
  const Case cases[] = {
      {"dcr-cad67fc3f9024d43bafe704f83012bc6", true},
      {"Agent_Settings.v2", true},
      {std::string(200, 'a'), true},
      {std::string(201, 'a'), false},
      {"", false},
      {".hidden", false},
      {"..", false},
      {"a/b", false},
      {"a b", false},
      {"a:b", false},
      {"caf\xc3\xa9", false},
      {std::string("a\0b", 3), false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.id);
    CHECK(dcr::IsSafeFileName(c.id) == c.safe);
  }
}

}  // namespace
