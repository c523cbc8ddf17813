#include "dcr/active_config.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "test_data.h"

namespace {

using dcr_test::CtChunk;
using dcr_test::Describe;
using dcr_test::MustParseContent;

constexpr char kLowId[] = "dcr-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kHighId[] = "dcr-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

TEST_CASE("Resolve routes every stream of the CT chunk", "[dcr][active]") {
  dcr::Configuration ct = CtChunk();
  dcr::Diagnostics diagnostics;
  dcr::ActiveConfig active = dcr::Resolve({ct}, &diagnostics);
  INFO(Describe(diagnostics));
  CHECK(diagnostics.empty());
  CHECK(active.configuration_ids == std::vector<std::string>{dcr_test::kCtDcrId});
  REQUIRE(active.extensions.size() == 2);
  const dcr::ExtensionEntry& linux = active.extensions.at("ChangeTracking-Linux");
  CHECK(linux.name == "ChangeTracking-Linux");
  CHECK(linux.configuration_id == dcr_test::kCtDcrId);
  CHECK(linux.configurations == ct.dcr.extension_configurations[0].second);
  REQUIRE(active.streams.size() == 6);
  const std::string id =
      std::string(dcr_test::kCtDcrId) + ":CTDataSource-Linux:CONFIG_DATA_BLOB_V2";
  const dcr::StreamRoute& route = active.streams.at(id);
  CHECK(route.stream_id == id);
  CHECK(route.data_type == "CONFIG_DATA_BLOB_V2");
  CHECK(route.solution == "ChangeTracking");
  CHECK(route.extension_name == "ChangeTracking-Linux");
  CHECK(route.configuration_id == dcr_test::kCtDcrId);
  CHECK(route.channels == ct.dcr.channels);
}

TEST_CASE("Resolve picks the lowest configurationId when DCRs share an extension",
          "[dcr][active]") {
  dcr::Configuration high = CtChunk(kHighId);
  high.source = "high.json";
  dcr::Configuration low = CtChunk(kLowId);
  low.source = "low.json";
  // Only the Linux extension is named by both; the Windows one only by the high DCR.
  std::erase_if(low.dcr.data_sources, [](const dcr::DataSource& d) {
    return d.extension_name != "ChangeTracking-Linux";
  });
  std::erase_if(low.dcr.extension_configurations,
                [](const auto& entry) { return entry.first != "ChangeTracking-Linux"; });

  for (bool reversed : {false, true}) {
    CAPTURE(reversed);
    std::vector<dcr::Configuration> input = {high, low};
    if (reversed) std::swap(input[0], input[1]);
    dcr::Diagnostics diagnostics;
    dcr::ActiveConfig active = dcr::Resolve(input, &diagnostics);
    REQUIRE(diagnostics.size() == 1);
    const dcr::Diagnostic& warning = diagnostics[0];
    CHECK(warning.severity == dcr::Diagnostic::Severity::kWarning);
    CHECK(warning.source == "low.json");
    CHECK(warning.message ==
          std::string("extension ChangeTracking-Linux is named by 2 DCRs; using ") + kLowId +
              " (the lowest configurationId), ignoring " + kHighId);
    CHECK(active.extensions.at("ChangeTracking-Linux").configuration_id == kLowId);
    CHECK(active.extensions.at("ChangeTracking-Linux").configurations.at(0).id ==
          std::string(kLowId) + ":CTDataSource-Linux");
    CHECK(active.extensions.at("ChangeTracking-Windows").configuration_id == kHighId);
    CHECK(active.configuration_ids == std::vector<std::string>{kLowId, kHighId});
    REQUIRE(active.streams.size() == 6);
    for (const auto& [stream_id, route] : active.streams) {
      CAPTURE(stream_id);
      bool linux = route.extension_name == "ChangeTracking-Linux";
      CHECK(route.configuration_id == (linux ? kLowId : kHighId));
      CHECK(stream_id.starts_with(linux ? kLowId : kHighId));
    }
    CHECK(active.streams.count(std::string(kHighId) + ":CTDataSource-Linux:CONFIG_CHANGE_BLOB") ==
          0);
  }
}

TEST_CASE("Resolve merges AgentSettings and ignores what it cannot serve", "[dcr][active]") {
  dcr::Configuration first = MustParseContent(
      R"({"kind":"AgentSettings","settings":[{"name":"MaxDiskQuotaInMB","value":"5000"},)"
      R"({"name":"A","value":"1"}]})",
      "as-1");
  dcr::Configuration second = MustParseContent(
      R"({"kind":"AgentSettings","settings":[{"name":"MaxDiskQuotaInMB","value":"6000"}]})",
      "as-2");
  dcr::Configuration unknown;
  dcr::Diagnostics parse_diagnostics;
  REQUIRE(dcr::ParseContent(R"({"kind":"Future"})", "f.json", "zz-future", "", &unknown,
                            &parse_diagnostics));
  dcr::Configuration events =
      MustParseContent(R"({"dataSources":[{"id":"ev","kind":"winEventLog","configuration":{},)"
                       R"("streams":[{"stream":"GENERIC_EVENT_BLOB","solution":"LogManagement"}],)"
                       R"("sendToChannels":[]}]})",
                       "dcr-events");

  dcr::Diagnostics diagnostics;
  dcr::ActiveConfig active = dcr::Resolve({second, unknown, events, first}, &diagnostics);
  using Settings = std::vector<std::pair<std::string, std::string>>;
  CHECK(active.settings.settings == Settings{{"MaxDiskQuotaInMB", "6000"}, {"A", "1"}});
  CHECK(active.configuration_ids == std::vector<std::string>{"as-1", "as-2"});
  CHECK(active.extensions.empty());
  CHECK(active.streams.empty());
  CHECK(dcr_test::Summary(diagnostics) ==
        std::vector<std::string>{"warning $", "warning $.dataSources[0]", "warning $"});
  CHECK_FALSE(dcr::HasErrors(diagnostics));
}

TEST_CASE("Resolve gives the same diagnostics for the same configurations", "[dcr][active]") {
  dcr::Configuration high = CtChunk(kHighId);
  high.source = "high.json";
  dcr::Configuration low = CtChunk(kLowId);
  low.source = "low.json";
  const std::string taken = std::string(kLowId) + ":CTDataSource-Linux:CONFIG_CHANGE_BLOB";
  dcr::Configuration other = MustParseContent(
      R"({"dataSources":[{"id":"o","kind":"extension","configuration":{"extensionName":"Other"},)"
      R"("streams":[{"stream":"CONFIG_CHANGE_BLOB","solution":"ChangeTracking",)"
      R"("extensionOutputStream":")" +
          taken + R"("}],"sendToChannels":[]}]})",
      "dcr-zz");
  other.source = "other.json";
  dcr::Configuration events =
      MustParseContent(R"({"dataSources":[{"id":"ev","kind":"winEventLog","configuration":{},)"
                       R"("streams":[{"stream":"GENERIC_EVENT_BLOB","solution":"LogManagement"}],)"
                       R"("sendToChannels":[]}]})",
                       "dcr-events");
  events.source = "events.json";
  dcr::Configuration unknown;
  REQUIRE(dcr::ParseContent(R"({"kind":"Future"})", "f.json", "zz-future", "", &unknown, nullptr));

  std::vector<dcr::Configuration> input = {events, high, low, other, unknown};
  std::sort(input.begin(), input.end(),
            [](const auto& a, const auto& b) { return a.configuration_id < b.configuration_id; });
  dcr::Diagnostics first;
  dcr::Resolve(input, &first);
  INFO(Describe(first));
  std::vector<std::string> text;
  for (const dcr::Diagnostic& d : first)
    text.push_back(d.source + " " + d.json_path + " " + d.message);
  CHECK(text ==
        std::vector<std::string>{
            "events.json $ configuration \"dcr-events\" names no extension; amahost has nothing "
            "to serve from it",
            "events.json $.dataSources[0] data source \"ev\" of kind \"winEventLog\" is not served "
            "by amahost (only extension data sources are)",
            "f.json $ configuration \"zz-future\" has an unknown content kind; ignored",
            "low.json $ extension ChangeTracking-Linux is named by 2 DCRs; using " +
                std::string(kLowId) + " (the lowest configurationId), ignoring " + kHighId,
            "low.json $ extension ChangeTracking-Windows is named by 2 DCRs; using " +
                std::string(kLowId) + " (the lowest configurationId), ignoring " + kHighId,
            "other.json $ stream " + taken +
                " of extension Other in dcr-zz is already declared "
                "for extension ChangeTracking-Linux in " +
                kLowId + "; that one is used",
        });

  // Every order, every call: the same list, so the host can log it only when it changes.
  std::size_t orders = 0;
  do {
    dcr::Diagnostics again;
    dcr::Resolve(input, &again);
    CHECK(again == first);
    ++orders;
  } while (std::next_permutation(input.begin(), input.end(), [](const auto& a, const auto& b) {
    return a.configuration_id < b.configuration_id;
  }));
  CHECK(orders == 120);
}

TEST_CASE("ResolveTag maps a record tag to a stream id", "[dcr][active]") {
  dcr::Configuration ambiguous = MustParseContent(
      R"({"dataSources":[)"
      R"({"id":"one","kind":"extension","configuration":{"extensionName":"Amb"},)"
      R"("streams":[{"stream":"T_BLOB","solution":"S"}],"sendToChannels":[]},)"
      R"({"id":"two","kind":"extension","configuration":{"extensionName":"Amb"},)"
      R"("streams":[{"stream":"T_BLOB","solution":"S"},{"stream":"U_BLOB","solution":"S"}],)"
      R"("sendToChannels":[]}]})",
      "dcr-amb");
  dcr::Diagnostics diagnostics;
  dcr::ActiveConfig active = dcr::Resolve({CtChunk(), ambiguous}, &diagnostics);
  const std::string ct = dcr_test::kCtDcrId;
  struct Case {
    std::string extension;
    std::string tag;
    std::optional<std::string> expected;
  };
  const Case cases[] = {
      {"ChangeTracking-Linux", ct + ":CTDataSource-Linux:CONFIG_CHANGE_BLOB",
       ct + ":CTDataSource-Linux:CONFIG_CHANGE_BLOB"},
      {"ChangeTracking-Linux", "CONFIG_CHANGE_BLOB", ct + ":CTDataSource-Linux:CONFIG_CHANGE_BLOB"},
      {"ChangeTracking-Windows", "CONFIG_DATA_BLOB_V2",
       ct + ":CTDataSource-Windows:CONFIG_DATA_BLOB_V2"},
      // Another extension's stream is not this extension's to write.
      {"ChangeTracking-Linux", ct + ":CTDataSource-Windows:CONFIG_CHANGE_BLOB", std::nullopt},
      {"Amb", "T_BLOB", std::nullopt},  // ambiguous
      {"Amb", "U_BLOB", "dcr-amb:two:U_BLOB"},
      {"Amb", "dcr-amb:one:T_BLOB", "dcr-amb:one:T_BLOB"},
      {"", ct + ":CTDataSource-Windows:CONFIG_CHANGE_BLOB",
       ct + ":CTDataSource-Windows:CONFIG_CHANGE_BLOB"},
      {"", "CONFIG_CHANGE_BLOB", std::nullopt},  // a bare DataType needs an extension
      {"ChangeTracking-Linux", "NO_SUCH_BLOB", std::nullopt},
      {"Unknown", "CONFIG_CHANGE_BLOB", std::nullopt},
  };
  for (const Case& c : cases) {
    CAPTURE(c.extension, c.tag);
    CHECK(active.ResolveTag(c.extension, c.tag) == c.expected);
  }
}

TEST_CASE("BuildTaggedData gives the exact TaggedData of the CT extension", "[dcr][active]") {
  dcr::Diagnostics diagnostics;
  dcr::ActiveConfig active = dcr::Resolve({CtChunk()}, &diagnostics);
  std::vector<std::string> asked;
  auto pipe_name = [&](const std::string& stream_id) {
    asked.push_back(stream_id);
    return std::string("@CAgentStream_CloudAgentInfo_ChangeTracking-Linux_default_fluent.socket");
  };
  std::optional<std::string> tagged =
      dcr::BuildTaggedData(active, "ChangeTracking-Linux", 3, pipe_name);
  REQUIRE(tagged.has_value());
  std::string expected = dcr_test::ReadData("ct_tagged_data_linux.json");
  expected.pop_back();  // the file's final newline
  CHECK(*tagged == expected);
  CHECK(asked.size() == 3);  // only the extension's own streams

  CHECK_FALSE(dcr::BuildTaggedData(active, "NotAnExtension", 3, pipe_name).has_value());
  // Streams without a pipe name are left out of outputStreamDefinitions.
  std::optional<std::string> no_pipes =
      dcr::BuildTaggedDataWithNames(active, "ChangeTracking-Windows", 1, {});
  REQUIRE(no_pipes.has_value());
  CHECK(no_pipes->ends_with(R"("outputStreamDefinitions":{}})"));
  CHECK(no_pipes->starts_with(
      R"({"schemaVersion":1,"version":1,"extensionName":"ChangeTracking-Windows",)"));
}

}  // namespace
