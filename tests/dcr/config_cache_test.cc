#include "dcr/config_cache.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <sstream>

#include "base/files.h"
#include "dcr/parse.h"
#include "support/temp_dir.h"
#include "test_data.h"

namespace {

using dcr_test::CtChunk;
using dcr_test::Describe;
using dcr_test::MustParseContent;
using dcr_test::ReplaceAll;
using Severity = dcr::Diagnostic::Severity;

constexpr char kSmallContent[] =
    R"({"dataSources":[{"configuration":{"extensionName":"Ext"},"id":"ds","kind":"extension",)"
    R"("streams":[{"stream":"T_BLOB","solution":"S"}],"sendToChannels":["ods-1"]}],)"
    R"("channels":[{"id":"ods-1","protocol":"ods","endpoint":"https://w.ods.opinsights.azure.com",)"
    R"("tokenEndpointUri":"https://handler.example/token"}]})";

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

void WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  REQUIRE(file.good());
}

// In lkg order: the CT DCR, agent settings, a small DCR.
std::vector<dcr::Configuration> SampleSet() {
  dcr::Configuration ct = CtChunk();
  ct.etag = "\"ct-etag\"";
  dcr::Configuration settings = MustParseContent(
      R"({"kind":"AgentSettings","settings":[{"name":"MaxDiskQuotaInMB","value":"5000"}]})",
      "agent-settings", "\"as-etag\"");
  dcr::Configuration small = MustParseContent(kSmallContent, "dcr-small", "\"small-etag\"");
  return {ct, settings, small};
}

// `configurations` as Load returns them from `cache`: the chunk file as source, `etag` when
// given instead of their own.
std::vector<dcr::Configuration> AsLoaded(std::vector<dcr::Configuration> configurations,
                                         const dcr::ConfigCache& cache,
                                         const std::string* etag = nullptr) {
  for (dcr::Configuration& configuration : configurations) {
    configuration.source = cache.ChunkPath(configuration.configuration_id).string();
    if (etag != nullptr) configuration.etag = *etag;
  }
  return configurations;
}

// "error <source> <path>" per diagnostic, for exact comparisons.
std::vector<std::string> Located(const dcr::Diagnostics& diagnostics) {
  std::vector<std::string> out;
  for (const dcr::Diagnostic& d : diagnostics) {
    out.push_back(std::string(d.severity == Severity::kError ? "error " : "warning ") + d.source +
                  " " + d.json_path);
  }
  return out;
}

std::string At(const char* severity, const std::filesystem::path& source, const char* path) {
  return std::string(severity) + " " + source.string() + " " + path;
}

TEST_CASE("ConfigCache saves and loads the same set", "[dcr][cache]") {
  testing::TempDir dir;
  dcr::ConfigCache cache(dir.path());
  CHECK(cache.folder() == dir / "config-cache");
  CHECK(cache.LkgPath() == dir / "config-cache" / "mcsconfig.lkg.json");
  CHECK(cache.ChunkFolder() == dir / "config-cache" / "configchunks");
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
  CHECK(loaded == AsLoaded(saved, cache));  // eTags included, in lkg order
}

TEST_CASE("ConfigCache::Load with nothing cached is false and silent", "[dcr][cache]") {
  testing::TempDir dir;
  dcr::ConfigCache cache(dir.path());
  std::vector<dcr::Configuration> loaded;
  dcr::Diagnostics diagnostics;
  CHECK_FALSE(cache.Load(&loaded, &diagnostics));
  // A first Save interrupted right after creating the folders.
  std::filesystem::create_directories(cache.ChunkFolder());
  CHECK_FALSE(cache.Load(&loaded, &diagnostics));
  CHECK(loaded.empty());
  CHECK(diagnostics.empty());

  // An empty set saved is a known good state.
  REQUIRE_FALSE(cache.Save({}));
  CHECK(cache.Load(&loaded, &diagnostics));
  CHECK(loaded.empty());
  CHECK(diagnostics.empty());
}

TEST_CASE("ConfigCache removes chunks of configurations no longer present", "[dcr][cache]") {
  testing::TempDir dir;
  dcr::ConfigCache cache(dir.path());
  std::vector<dcr::Configuration> all = SampleSet();
  REQUIRE_FALSE(cache.Save(all));
  std::filesystem::path chunks = cache.ChunkFolder();
  WriteText(chunks / "notes.txt", "mine");
  WriteText(chunks / "not safe.json", "mine");
  WriteText(chunks / ".hidden.json", "mine");
  REQUIRE(std::filesystem::exists(cache.ChunkPath("agent-settings")));

  REQUIRE_FALSE(cache.Save({all[0]}));
  CHECK(std::filesystem::exists(cache.ChunkPath(dcr_test::kCtDcrId)));
  CHECK_FALSE(std::filesystem::exists(cache.ChunkPath("agent-settings")));
  CHECK_FALSE(std::filesystem::exists(cache.ChunkPath("dcr-small")));
  // Only files the cache could have written are removed.
  CHECK(std::filesystem::exists(chunks / "notes.txt"));
  CHECK(std::filesystem::exists(chunks / "not safe.json"));
  CHECK(std::filesystem::exists(chunks / ".hidden.json"));

  std::vector<dcr::Configuration> loaded;
  dcr::Diagnostics diagnostics;
  REQUIRE(cache.Load(&loaded, &diagnostics));
  CHECK(diagnostics.empty());
  CHECK(loaded == AsLoaded({all[0]}, cache));

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
  CHECK(loaded.size() == 3);
  CHECK(ReadText(cache.LkgPath()).find("evil") == std::string::npos);
}

struct Damage {
  const char* name;
  std::function<void(const std::filesystem::path&)> apply;
  std::vector<std::string> paths;  // every diagnostic is an error naming the chunk file
  std::string first_message;       // of the first diagnostic; "" = not compared
};

// The ways a chunk file can be damaged, and the errors each gives.
std::vector<Damage> ChunkDamages() {
  const std::string skipped = std::string("configuration \"") + dcr_test::kCtDcrId + "\" skipped";
  return {
      {"garbage",
       [](const auto& p) { WriteText(p, "\x89PNG\r\n\x1a\n\xff\xfe garbage"); },
       {"$", "$"},
       ""},
      {"truncated",
       [](const auto& p) {
         std::string text = ReadText(p);
         WriteText(p, text.substr(0, text.size() / 2));
       },
       {"$", "$"},
       ""},
      {"empty", [](const auto& p) { WriteText(p, ""); }, {"$", "$"}, ""},
      {"missing", [](const auto& p) { std::filesystem::remove(p); }, {"$"}, "missing; " + skipped},
      {"an array",
       [](const auto& p) { WriteText(p, "[1,2]"); },
       {"$", "$"},
       "expected an object, found an array"},
      {"a whole response instead of a content",
       [](const auto& p) { WriteText(p, dcr::SerializeConfigurations({CtChunk()})); },
       {"$", "$"},
       "neither a DCR (dataSources, channels, extensionConfigurations) nor a \"kind\""},
      {"a wrong field",
       [](const auto& p) {
         WriteText(p, ReplaceAll(ReadText(p), R"("solution":"ChangeTracking")", R"("solution":7)"));
       },
       {"$.dataSources[0].streams[0].solution", "$.dataSources[0].streams[1].solution",
        "$.dataSources[0].streams[2].solution", "$.dataSources[1].streams[0].solution",
        "$.dataSources[1].streams[1].solution", "$.dataSources[1].streams[2].solution", "$"},
       "expected a string, found a number"},
      {"too big",
       [](const auto& p) {
         std::string text = ReadText(p);
         text.append(dcr::kMaxDocumentBytes + 1 - text.size(), ' ');
         WriteText(p, text);
       },
       {"$"},
       "larger than 16777216 bytes; " + skipped},
      {"a folder",
       [](const auto& p) {
         std::filesystem::remove(p);
         std::filesystem::create_directory(p);
       },
       {"$"},
       "not a regular file; " + skipped},
  };
}

TEST_CASE("ConfigCache::Load skips a damaged chunk file and keeps the others", "[dcr][cache]") {
  for (const Damage& damage : ChunkDamages()) {
    SECTION(damage.name) {
      testing::TempDir dir;
      dcr::ConfigCache cache(dir.path());
      std::vector<dcr::Configuration> saved = SampleSet();
      REQUIRE_FALSE(cache.Save(saved));
      std::filesystem::path chunk = cache.ChunkPath(dcr_test::kCtDcrId);
      damage.apply(chunk);

      std::vector<dcr::Configuration> loaded;
      dcr::Diagnostics diagnostics;
      REQUIRE(cache.Load(&loaded, &diagnostics));
      INFO(Describe(diagnostics));
      // The others, with their eTags.
      CHECK(loaded == AsLoaded({saved[1], saved[2]}, cache));
      std::vector<std::string> expected;
      for (const std::string& path : damage.paths)
        expected.push_back(At("error", chunk, path.c_str()));
      CHECK(Located(diagnostics) == expected);
      REQUIRE_FALSE(diagnostics.empty());
      if (!damage.first_message.empty()) CHECK(diagnostics.front().message == damage.first_message);
      // The last error names the configuration that is skipped.
      CHECK_THAT(diagnostics.back().message, Catch::EndsWith(std::string("configuration \"") +
                                                             dcr_test::kCtDcrId + "\" skipped"));
    }
  }
}

struct LkgDamage {
  const char* name;
  std::function<void(const std::filesystem::path&)> apply;
  const char* path;  // of the error naming the lkg
  std::string message;
};

TEST_CASE("ConfigCache::Load falls back on the chunk files without eTags", "[dcr][cache]") {
  const LkgDamage damages[] = {
      {"missing", [](const auto& p) { std::filesystem::remove(p); }, "$",
       "missing; falling back on the chunk files"},
      {"truncated",
       [](const auto& p) {
         std::string text = ReadText(p);
         WriteText(p, text.substr(0, text.size() - 3));
       },
       "$", ""},
      {"not an object", [](const auto& p) { WriteText(p, "[]"); }, "$",
       "expected an object, found an array; falling back on the chunk files"},
      {"no list", [](const auto& p) { WriteText(p, R"({"configuration":[]})"); },
       "$.configurations", "missing (an array is required); falling back on the chunk files"},
      {"a list of the wrong type", [](const auto& p) { WriteText(p, R"({"configurations":5})"); },
       "$.configurations", "expected an array, found a number; falling back on the chunk files"},
      {"a folder",
       [](const auto& p) {
         std::filesystem::remove(p);
         std::filesystem::create_directory(p);
       },
       "$", "not a regular file; falling back on the chunk files"},
  };
  for (const LkgDamage& damage : damages) {
    SECTION(damage.name) {
      testing::TempDir dir;
      dcr::ConfigCache cache(dir.path());
      std::vector<dcr::Configuration> saved = SampleSet();
      REQUIRE_FALSE(cache.Save(saved));
      WriteText(cache.ChunkFolder() / "notes.txt", "not a chunk");
      damage.apply(cache.LkgPath());

      std::vector<dcr::Configuration> loaded;
      dcr::Diagnostics diagnostics;
      REQUIRE(cache.Load(&loaded, &diagnostics));
      INFO(Describe(diagnostics));
      // Every chunk, in file name order, eTags unknown.
      const std::string no_etag;
      CHECK(loaded == AsLoaded({saved[1], saved[0], saved[2]}, cache, &no_etag));
      CHECK(Located(diagnostics) ==
            std::vector<std::string>{At("error", cache.LkgPath(), damage.path),
                                     At("warning", cache.ChunkFolder(), "$")});
      REQUIRE(diagnostics.size() == 2);
      if (!damage.message.empty()) CHECK(diagnostics[0].message == damage.message);
      CHECK(diagnostics[1].message ==
            "loading the 3 chunk files here without mcsconfig.lkg.json: their eTags are unknown, "
            "so the next fetch returns every configuration in full");
    }
  }
}

TEST_CASE("ConfigCache::Load without an lkg still skips a damaged chunk", "[dcr][cache]") {
  for (const Damage& damage : ChunkDamages()) {
    // A folder or a missing file is not a chunk file at all when there is no lkg to list it.
    if (std::string(damage.name) == "missing" || std::string(damage.name) == "a folder") continue;
    SECTION(damage.name) {
      testing::TempDir dir;
      dcr::ConfigCache cache(dir.path());
      std::vector<dcr::Configuration> saved = SampleSet();
      REQUIRE_FALSE(cache.Save(saved));
      std::filesystem::remove(cache.LkgPath());
      std::filesystem::path chunk = cache.ChunkPath(dcr_test::kCtDcrId);
      damage.apply(chunk);

      std::vector<dcr::Configuration> loaded;
      dcr::Diagnostics diagnostics;
      REQUIRE(cache.Load(&loaded, &diagnostics));
      INFO(Describe(diagnostics));
      const std::string no_etag;
      CHECK(loaded == AsLoaded({saved[1], saved[2]}, cache, &no_etag));
      std::vector<std::string> expected = {At("error", cache.LkgPath(), "$"),
                                           At("warning", cache.ChunkFolder(), "$")};
      for (const std::string& path : damage.paths)
        expected.push_back(At("error", chunk, path.c_str()));
      CHECK(Located(diagnostics) == expected);
    }
  }
}

TEST_CASE("ConfigCache::Load is false when nothing cached is usable", "[dcr][cache]") {
  testing::TempDir dir;
  dcr::ConfigCache cache(dir.path());
  std::vector<dcr::Configuration> loaded;
  dcr::Diagnostics diagnostics;

  SECTION("a corrupt lkg and no chunk file") {
    REQUIRE_FALSE(cache.Save({}));
    WriteText(cache.LkgPath(), "{");
    CHECK_FALSE(cache.Load(&loaded, &diagnostics));
    CHECK(Located(diagnostics) == std::vector<std::string>{At("error", cache.LkgPath(), "$")});
    CHECK_THAT(diagnostics.at(0).message, Catch::EndsWith("; no chunk file to fall back on"));
  }
  SECTION("an lkg whose every chunk is damaged") {
    std::vector<dcr::Configuration> saved = SampleSet();
    REQUIRE_FALSE(cache.Save(saved));
    for (const dcr::Configuration& c : saved) WriteText(cache.ChunkPath(c.configuration_id), "");
    CHECK_FALSE(cache.Load(&loaded, &diagnostics));
    CHECK(diagnostics.size() == 6);
    CHECK(dcr::HasErrors(diagnostics));
  }
  CHECK(loaded.empty());
}

TEST_CASE("ConfigCache::Load prefers the chunk file when the lkg disagrees", "[dcr][cache]") {
  testing::TempDir dir;
  dcr::ConfigCache cache(dir.path());
  std::vector<dcr::Configuration> saved = SampleSet();
  REQUIRE_FALSE(cache.Save(saved));
  std::string lkg = ReadText(cache.LkgPath());

  SECTION("the chunk is newer (a crash between chunks and lkg)") {
    dcr::Configuration newer =
        MustParseContent(ReplaceAll(kSmallContent, "T_BLOB", "U_BLOB"), "dcr-small", "new-etag");
    REQUIRE(base::WriteFileAtomically(cache.ChunkPath("dcr-small"), dcr::SerializeContent(newer)) ==
            std::error_code());
    std::vector<dcr::Configuration> loaded;
    dcr::Diagnostics diagnostics;
    REQUIRE(cache.Load(&loaded, &diagnostics));
    INFO(Describe(diagnostics));
    newer.etag = "";  // the lkg's eTag described the old content
    CHECK(loaded == AsLoaded({saved[0], saved[1], newer}, cache));
    CHECK(Located(diagnostics) ==
          std::vector<std::string>{At("warning", cache.ChunkPath("dcr-small"), "$")});
    CHECK(diagnostics.at(0).message ==
          "differs from $.configurations[2].content of " + cache.LkgPath().string() +
              " (interrupted save?); the chunk file is used, without the eTag "
              "\"\"small-etag\"\"");
  }
  SECTION("the lkg's copy is not a valid content") {
    WriteText(cache.LkgPath(),
              ReplaceAll(lkg, R"("solution":"ChangeTracking")", R"("solution":7)"));
    std::vector<dcr::Configuration> loaded;
    dcr::Diagnostics diagnostics;
    REQUIRE(cache.Load(&loaded, &diagnostics));
    INFO(Describe(diagnostics));
    dcr::Configuration ct = saved[0];
    ct.etag = "";
    CHECK(loaded == AsLoaded({ct, saved[1], saved[2]}, cache));
    CHECK(Located(diagnostics) ==
          std::vector<std::string>{At("warning", cache.ChunkPath(dcr_test::kCtDcrId), "$")});
  }
  SECTION("an lkg entry without a content keeps its eTag") {
    std::string slim = R"({"configurations":[{"configurationId":"dcr-small",)"
                       R"("eTag":"\"small-etag\""}]})";
    WriteText(cache.LkgPath(), slim);
    std::vector<dcr::Configuration> loaded;
    dcr::Diagnostics diagnostics;
    REQUIRE(cache.Load(&loaded, &diagnostics));
    CHECK(diagnostics.empty());
    // Chunk files the lkg does not list are not read.
    CHECK(loaded == AsLoaded({saved[2]}, cache));
  }
}

TEST_CASE("ConfigCache::Load reports bad lkg entries and keeps the good ones", "[dcr][cache]") {
  testing::TempDir dir;
  dcr::ConfigCache cache(dir.path());
  std::vector<dcr::Configuration> saved = SampleSet();
  REQUIRE_FALSE(cache.Save(saved));
  std::string entries = ReadText(cache.LkgPath());
  entries = entries.substr(std::string(R"({"configurations":[)").size());
  entries.resize(entries.size() - 2);  // "]}"
  std::string lkg = R"({"configurations":[)" + entries +
                    R"(,5,{"configurationId":"../evil","eTag":"x"},)"
                    R"({"configurationId":"dcr-small","eTag":"again"},)"
                    R"({"configurationId":"agent-settings","op":"removed"},)"
                    R"({"eTag":"no id"},{"configurationId":"dcr-gone","eTag":"g","later":1}],)"
                    R"("written":"by someone else"})";
  WriteText(cache.LkgPath(), lkg);
  std::vector<dcr::Configuration> loaded;
  dcr::Diagnostics diagnostics;
  REQUIRE(cache.Load(&loaded, &diagnostics));
  INFO(Describe(diagnostics));
  CHECK(loaded == AsLoaded(saved, cache));
  const std::filesystem::path l = cache.LkgPath();
  CHECK(Located(diagnostics) == std::vector<std::string>{
                                    At("warning", l, "$.written"),
                                    At("error", l, "$.configurations[3]"),
                                    At("error", l, "$.configurations[4].configurationId"),
                                    At("error", l, "$.configurations[5].configurationId"),
                                    At("warning", l, "$.configurations[6].op"),
                                    At("error", l, "$.configurations[7].configurationId"),
                                    At("warning", l, "$.configurations[8].later"),
                                    At("error", cache.ChunkPath("dcr-gone"), "$"),
                                });
  CHECK(diagnostics.at(2).message == R"("../evil" is not a safe file name; configuration skipped)");
  CHECK(diagnostics.at(3).message ==
        R"(duplicate configurationId "dcr-small", only its first entry counts)");
  CHECK(diagnostics.at(7).message == R"(missing; configuration "dcr-gone" skipped)");
}

// Replays Save(next) over a cache holding `previous` step by step, as Save orders its writes, and
// checks what Load makes of every intermediate state a crash could leave.
TEST_CASE("ConfigCache::Load after a crash at any point of Save", "[dcr][cache]") {
  std::vector<dcr::Configuration> previous = SampleSet();  // ct, agent-settings, dcr-small
  std::vector<dcr::Configuration> next = {
      CtChunk(),
      MustParseContent(ReplaceAll(kSmallContent, "T_BLOB", "U_BLOB"), "dcr-small", "small-2"),
      MustParseContent(R"({"kind":"AgentSettings","settings":[]})", "agent-new", "new-1")};
  next[0].etag = previous[0].etag;  // unchanged
  auto find = [](const std::vector<dcr::Configuration>& set,
                 const std::string& id) -> const dcr::Configuration* {
    for (const dcr::Configuration& c : set) {
      if (c.configuration_id == id) return &c;
    }
    return nullptr;
  };

  testing::TempDir reference_dir;
  dcr::ConfigCache reference(reference_dir.path());
  REQUIRE_FALSE(reference.Save(next));

  // Steps: write each chunk of `next`, remove agent-settings.json, write the lkg.
  const std::size_t kSteps = next.size() + 2;
  for (std::size_t done = 0; done <= kSteps; ++done) {
    CAPTURE(done);
    testing::TempDir dir;
    dcr::ConfigCache cache(dir.path());
    REQUIRE_FALSE(cache.Save(previous));
    for (std::size_t step = 0; step < done; ++step) {
      std::error_code ec;
      if (step < next.size()) {
        ec = base::WriteFileAtomically(cache.ChunkPath(next[step].configuration_id),
                                       dcr::SerializeContent(next[step]));
      } else if (step == next.size()) {
        ec = base::RemoveFileDurably(cache.ChunkPath("agent-settings"));
      } else {
        ec = base::WriteFileAtomically(cache.LkgPath(), dcr::SerializeConfigurations(next));
      }
      REQUIRE_FALSE(ec);
    }
    if (done == kSteps) {
      // The state Save itself leaves.
      CHECK(ReadText(cache.LkgPath()) == ReadText(reference.LkgPath()));
    }

    std::vector<dcr::Configuration> loaded;
    dcr::Diagnostics diagnostics;
    REQUIRE(cache.Load(&loaded, &diagnostics));
    INFO(Describe(diagnostics));
    for (const dcr::Configuration& c : loaded) {
      CAPTURE(c.configuration_id);
      const dcr::Configuration* old_version = find(previous, c.configuration_id);
      const dcr::Configuration* new_version = find(next, c.configuration_id);
      bool is_old =
          old_version != nullptr && dcr::SerializeContent(c) == dcr::SerializeContent(*old_version);
      bool is_new =
          new_version != nullptr && dcr::SerializeContent(c) == dcr::SerializeContent(*new_version);
      // Whole versions only, and an eTag only for the content it was issued with.
      CHECK((is_old || is_new));
      if (!c.etag.empty()) {
        CHECK(((is_old && c.etag == old_version->etag) || (is_new && c.etag == new_version->etag)));
      }
    }
    if (done == kSteps) {
      CHECK(diagnostics.empty());
      CHECK(loaded == AsLoaded(next, cache));
    }
  }
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
