#include "dcr/parse.h"

#include <catch2/catch.hpp>

#include "test_data.h"

namespace {

using dcr_test::CtChunk;
using dcr_test::Describe;
using dcr_test::MustParseContent;
using dcr_test::Summary;

// A minimal valid DCR content, assembled from parts so that each case changes one thing.
constexpr char kChannel[] =
    R"({"id":"ods-1","protocol":"ods","endpoint":"https://w.ods.opinsights.azure.com",)"
    R"("tokenEndpointUri":"https://handler.example/token"})";
constexpr char kStream[] = R"({"stream":"T_BLOB","solution":"S"})";

std::string DataSource(
    const std::string& streams = kStream, const std::string& rest = R"("sendToChannels":["ods-1"])",
    const std::string& head =
        R"("configuration":{"extensionName":"Ext"},"id":"ds","kind":"extension")") {
  return "{" + head + R"(,"streams":[)" + streams + "]," + rest + "}";
}

std::string Content(const std::string& data_source = DataSource(),
                    const std::string& channels = kChannel, const std::string& extra = "") {
  return R"({"dataSources":[)" + data_source + R"(],"channels":[)" + channels + "]" + extra + "}";
}

struct Case {
  const char* name;
  std::string json;
  bool usable;
  std::vector<std::string> diagnostics;  // "error <path>" / "warning <path>", in order
};

TEST_CASE("ParseContent reports each problem with its JSON path and severity", "[dcr][parse]") {
  std::string deep = R"({"dataSources":[],"extensionConfigurations":{"Ext":[{"id":"x",)"
                     R"("extensionSettings":)" +
                     std::string(100, '[') + std::string(100, ']') + "}]}}";
  const Case cases[] = {
      {"valid", Content(), true, {}},
      {"not an object", "[]", false, {"error $"}},
      {"no known key", "{}", false, {"error $"}},
      {"invalid JSON", R"({"dataSources":[})", false, {"error $"}},
      {"trailing garbage", Content() + " x", false, {"error $"}},
      {"NUL byte after the document", Content() + std::string(1, '\0') + "x", false, {"error $"}},
      {"invalid UTF-8", "{\"dataSources\":[],\"x\xff\":1}", false, {"error $"}},
      {"nested too deep", deep, false, {"error $"}},
      {"dataSources not an array", R"({"dataSources":{}})", false, {"error $.dataSources"}},
      {"data source without id",
       Content(DataSource(kStream, R"("sendToChannels":["ods-1"])",
                          R"("configuration":{"extensionName":"Ext"},"kind":"extension")")),
       false,
       {"error $.dataSources[0].id"}},
      {"data source without kind",
       Content(DataSource(kStream, R"("sendToChannels":["ods-1"])", R"("id":"ds")")),
       false,
       {"error $.dataSources[0].kind"}},
      {"extension without configuration",
       Content(
           DataSource(kStream, R"("sendToChannels":["ods-1"])", R"("id":"ds","kind":"extension")")),
       false,
       {"error $.dataSources[0].configuration"}},
      {"extension name that is not a safe name",
       Content(
           DataSource(kStream, R"("sendToChannels":["ods-1"])",
                      R"("configuration":{"extensionName":"../x"},"id":"ds","kind":"extension")")),
       false,
       {"error $.dataSources[0].configuration.extensionName"}},
      {"streams missing",
       Content(R"({"configuration":{"extensionName":"Ext"},"id":"ds",)"
               R"("kind":"extension","sendToChannels":["ods-1"]})"),
       false,
       {"error $.dataSources[0].streams"}},
      {"stream without stream",
       Content(DataSource(kStream + std::string(R"(,{"solution":"S"})"))),
       false,
       {"error $.dataSources[0].streams[1].stream"}},
      {"stream that is a number",
       Content(DataSource(R"({"stream":5,"solution":"S"})")),
       false,
       {"error $.dataSources[0].streams[0].stream"}},
      {"DataType with a space",
       Content(DataSource(R"({"stream":"T BLOB","solution":"S"})")),
       false,
       {"error $.dataSources[0].streams[0].stream"}},
      {"stream without solution",
       Content(DataSource(R"({"stream":"T_BLOB"})")),
       false,
       {"error $.dataSources[0].streams[0].solution"}},
      {"duplicate stream id",
       Content(DataSource(std::string(kStream) + "," + kStream)),
       false,
       {"error $.dataSources[0].streams[1].extensionOutputStream"}},
      {"empty extensionOutputStream",
       Content(DataSource(R"({"stream":"T_BLOB","solution":"S","extensionOutputStream":""})")),
       false,
       {"error $.dataSources[0].streams[0].extensionOutputStream"}},
      {"sendToChannels missing",
       Content(DataSource(kStream, R"("x":1)")),
       false,
       {"warning $.dataSources[0].x", "error $.dataSources[0].sendToChannels"}},
      {"unknown channel",
       Content(DataSource(kStream, R"("sendToChannels":["ods-2"])")),
       false,
       {"error $.dataSources[0].sendToChannels[0]"}},
      {"ods channel without endpoint",
       Content(DataSource(), R"({"id":"ods-1","protocol":"ods","tokenEndpointUri":"https://h/t"})"),
       false,
       {"error $.channels[0].endpoint"}},
      {"endpoint that is not http(s)",
       Content(DataSource(), R"({"id":"ods-1","protocol":"ods","endpoint":"ftp://w",)"
                             R"("tokenEndpointUri":"https://h/t"})"),
       false,
       {"error $.channels[0].endpoint"}},
      {"duplicate channel id",
       Content(DataSource(), std::string(kChannel) + "," + kChannel),
       false,
       {"error $.channels[1].id"}},
      {"extension configurations of an extension not in an array",
       Content(DataSource(), kChannel, R"(,"extensionConfigurations":{"ChangeTracking-Linux":{}})"),
       false,
       {R"(error $.extensionConfigurations["ChangeTracking-Linux"])"}},
      {"outputStreams value that is not a string",
       Content(DataSource(), kChannel,
               R"(,"extensionConfigurations":{"Ext":[{"id":"c","outputStreams":{"T_BLOB":3}}]})"),
       false,
       {"error $.extensionConfigurations.Ext[0].outputStreams.T_BLOB"}},
      // Warnings only: the configuration stays usable.
      {"unknown top-level key",
       Content(DataSource(), kChannel, R"(,"newThing":{"a":1})"),
       true,
       {"warning $.newThing"}},
      {"unknown stream key",
       Content(DataSource(R"({"stream":"T_BLOB","solution":"S","future":true})")),
       true,
       {"warning $.dataSources[0].streams[0].future"}},
      {"unknown channel protocol and key",
       Content(DataSource(), R"({"id":"ods-1","protocol":"carrier-pigeon","loft":"x"})"),
       true,
       {"warning $.channels[0].loft", "warning $.channels[0].protocol"}},
      {"no channels to send to",
       Content(DataSource(kStream, R"("sendToChannels":[])")),
       true,
       {"warning $.dataSources[0].sendToChannels"}},
      {"outputStreams naming a stream no data source declares",
       Content(
           DataSource(), kChannel,
           R"(,"extensionConfigurations":{"Ext":[{"id":"c","outputStreams":{"X_BLOB":"a:b:X_BLOB"}}]})"),
       true,
       {"warning $.extensionConfigurations.Ext[0].outputStreams.X_BLOB"}},
      {"unknown content kind", R"({"kind":"Telepathy","waves":[1]})", true, {"warning $.kind"}},
      {"non-extension data source kind",
       Content(
           DataSource(kStream, R"("sendToChannels":["ods-1"])",
                      R"("configuration":{"xPathQueries":["*"]},"id":"ev","kind":"winEventLog")")),
       true,
       {}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name, c.json);
    dcr::Configuration configuration;
    dcr::Diagnostics diagnostics;
    bool usable =
        dcr::ParseContent(c.json, "dcrs/t.json", "cfg", "e", &configuration, &diagnostics);
    INFO(Describe(diagnostics));
    CHECK(usable == c.usable);
    CHECK(dcr::HasErrors(diagnostics) == !c.usable);
    CHECK(Summary(diagnostics) == c.diagnostics);
    for (const dcr::Diagnostic& d : diagnostics) CHECK(d.source == "dcrs/t.json");
  }
}

TEST_CASE("ParseContent refuses a document over 16 MiB", "[dcr][parse]") {
  std::string json = Content();
  json.append(dcr::kMaxDocumentBytes + 1 - json.size(), ' ');
  dcr::Configuration configuration;
  dcr::Diagnostics diagnostics;
  CHECK_FALSE(dcr::ParseContent(json, "big", "cfg", "", &configuration, &diagnostics));
  REQUIRE(diagnostics.size() == 1);
  CHECK_THAT(diagnostics[0].message, Catch::Contains("larger than 16777216 bytes"));
  json.pop_back();  // exactly at the limit is fine
  diagnostics.clear();
  CHECK(dcr::ParseContent(json, "big", "cfg", "", &configuration, &diagnostics));
}

TEST_CASE("Very deep nesting is refused without exhausting the stack", "[dcr][parse]") {
  std::string json = std::string(1000000, '[') + std::string(1000000, ']');
  dcr::Configuration configuration;
  dcr::Diagnostics diagnostics;
  CHECK_FALSE(dcr::ParseContent(json, "deep", "cfg", "", &configuration, &diagnostics));
  REQUIRE(diagnostics.size() == 1);
  CHECK_THAT(diagnostics[0].message, Catch::Contains("nested deeper than 64"));
}

TEST_CASE("Diagnostic::ToString names severity, source, path and message", "[dcr][parse]") {
  dcr::Diagnostic error{.severity = dcr::Diagnostic::Severity::kError,
                        .source = "dcrs/ct.json",
                        .json_path = "$.dataSources[0].streams",
                        .message = "expected an array"};
  CHECK(error.ToString() == "error: dcrs/ct.json: $.dataSources[0].streams: expected an array");
  error.severity = dcr::Diagnostic::Severity::kWarning;
  CHECK(error.ToString() == "warning: dcrs/ct.json: $.dataSources[0].streams: expected an array");
}

TEST_CASE("The CT chunk of §1b parses into the model", "[dcr][parse]") {
  dcr::Configuration ct = CtChunk();
  CHECK(ct.configuration_id == dcr_test::kCtDcrId);
  CHECK(ct.kind == dcr::ContentKind::kDcr);
  REQUIRE(ct.dcr.data_sources.size() == 2);
  const dcr::DataSource& linux = ct.dcr.data_sources[0];
  CHECK(linux.id == "CTDataSource-Linux");
  CHECK(linux.kind == "extension");
  CHECK(linux.extension_name == "ChangeTracking-Linux");
  CHECK(linux.configuration_json == R"({"extensionName":"ChangeTracking-Linux"})");
  REQUIRE(linux.streams.size() == 3);
  CHECK(linux.streams[1] ==
        dcr::StreamBinding{.stream = "CONFIG_CHANGE_BLOB_V2",
                           .solution = "ChangeTracking",
                           .extension_output_stream = std::string(dcr_test::kCtDcrId) +
                                                      ":CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2"});
  CHECK(linux.send_to_channels ==
        std::vector<std::string>{"ods-" + std::string(dcr_test::kCtWorkspace)});
  REQUIRE(ct.dcr.channels.size() == 1);
  CHECK(ct.dcr.channels[0].protocol == "ods");
  CHECK(ct.dcr.channels[0].endpoint ==
        "https://731eac71-f4a0-479a-a013-782706f35f28.ods.opinsights.azure.com");
  REQUIRE(ct.dcr.extension_configurations.size() == 2);
  CHECK(ct.dcr.extension_configurations[0].first == "ChangeTracking-Linux");
  const dcr::ExtensionConfiguration& config = ct.dcr.extension_configurations[0].second.at(0);
  CHECK(config.id == std::string(dcr_test::kCtDcrId) + ":CTDataSource-Linux");
  CHECK(config.origin_ids == std::vector<std::string>{dcr_test::kCtDcrResourceId});
  // servicesSettings (agent side) passes through untouched, as serviceSettings does (ARM side).
  CHECK_THAT(config.extension_settings_json,
             Catch::Contains(R"("servicesSettings":{"serviceCollectionFrequency":300})"));
  CHECK_THAT(ct.dcr.extension_configurations[1].second.at(0).extension_settings_json,
             Catch::Contains(R"("serviceSettings":{"serviceCollectionFrequency":1800})"));
  CHECK(config.input_streams_json == "{}");
  REQUIRE(config.output_streams.size() == 3);
  CHECK(config.output_streams[2].first == "CONFIG_DATA_BLOB_V2");
}

TEST_CASE("Missing stream ids and extension configurations are synthesised", "[dcr][parse]") {
  std::string json = Content(
      DataSource(std::string(kStream) + R"(,{"stream":"U_BLOB","solution":"S"})",
                 R"("sendToChannels":["ods-1"])",
                 R"("configuration":{"extensionName":"Ext","extensionSettings":{"a":[1,2]}},)"
                 R"("id":"ds","kind":"extension")"));
  dcr::Configuration c = MustParseContent(json, "dcr-1");
  REQUIRE(c.dcr.data_sources.at(0).streams.size() == 2);
  CHECK(c.dcr.data_sources[0].streams[0].extension_output_stream == "dcr-1:ds:T_BLOB");
  CHECK(c.dcr.data_sources[0].streams[1].extension_output_stream == "dcr-1:ds:U_BLOB");
  REQUIRE(c.dcr.extension_configurations.size() == 1);
  CHECK(c.dcr.extension_configurations[0].first == "Ext");
  REQUIRE(c.dcr.extension_configurations[0].second.size() == 1);
  const dcr::ExtensionConfiguration& synthesised = c.dcr.extension_configurations[0].second[0];
  CHECK(synthesised.id == "dcr-1:ds");
  CHECK(synthesised.origin_ids.empty());
  CHECK(synthesised.extension_settings_json == R"({"a":[1,2]})");
  CHECK(synthesised.input_streams_json == "{}");
  using Outputs = std::vector<std::pair<std::string, std::string>>;
  CHECK(synthesised.output_streams ==
        Outputs{{"T_BLOB", "dcr-1:ds:T_BLOB"}, {"U_BLOB", "dcr-1:ds:U_BLOB"}});

  // Without configuration.extensionSettings the settings are {}.
  dcr::Configuration plain = MustParseContent(Content(), "dcr-2");
  CHECK(plain.dcr.extension_configurations.at(0).second.at(0).extension_settings_json == "{}");

  // A present entry is not duplicated.
  dcr::Configuration ct = CtChunk();
  CHECK(ct.dcr.extension_configurations.at(0).second.size() == 1);
  CHECK(ct.dcr.extension_configurations.at(1).second.size() == 1);
}

TEST_CASE("AgentSettings accepts settings as an array or as a JSON string", "[dcr][parse]") {
  const char* forms[] = {
      R"({"kind":"AgentSettings","settings":[{"name":"MaxDiskQuotaInMB","value":"10000"},)"
      R"({"name":"UseTimeReceivedForForwardedEvents","value":"true"}]})",
      R"({"kind":"AgentSettings","settings":"[{\"name\":\"MaxDiskQuotaInMB\",\"value\":\"10000\"},)"
      R"({\"name\":\"UseTimeReceivedForForwardedEvents\",\"value\":\"true\"}]"})",
      // Values that are not strings are kept as their JSON text.
      R"({"kind":"AgentSettings","settings":[{"name":"MaxDiskQuotaInMB","value":10000},)"
      R"({"name":"UseTimeReceivedForForwardedEvents","value":true}]})",
  };
  using Settings = std::vector<std::pair<std::string, std::string>>;
  for (const char* json : forms) {
    CAPTURE(json);
    dcr::Configuration c = MustParseContent(json, "as-1");
    CHECK(c.kind == dcr::ContentKind::kAgentSettings);
    CHECK(c.agent_settings.settings ==
          Settings{{"MaxDiskQuotaInMB", "10000"}, {"UseTimeReceivedForForwardedEvents", "true"}});
  }

  const Case bad[] = {
      {"settings missing", R"({"kind":"AgentSettings"})", false, {"error $.settings"}},
      {"settings a string that is not JSON",
       R"({"kind":"AgentSettings","settings":"[{"})",
       false,
       {"error $.settings"}},
      {"settings an object",
       R"({"kind":"AgentSettings","settings":{}})",
       false,
       {"error $.settings"}},
      {"setting without value",
       R"({"kind":"AgentSettings","settings":[{"name":"A"}]})",
       false,
       {"error $.settings[0].value"}},
      {"setting without name",
       R"({"kind":"AgentSettings","settings":[{"value":"1"}]})",
       false,
       {"error $.settings[0].name"}},
      {"unknown keys",
       R"({"kind":"AgentSettings","v":2,"settings":[{"name":"A","value":"1","u":0}]})",
       true,
       {"warning $.v", "warning $.settings[0].u"}},
  };
  for (const Case& c : bad) {
    CAPTURE(c.name, c.json);
    dcr::Configuration configuration;
    dcr::Diagnostics diagnostics;
    CHECK(dcr::ParseContent(c.json, "s", "as", "", &configuration, &diagnostics) == c.usable);
    CHECK(Summary(diagnostics) == c.diagnostics);
  }
}

TEST_CASE("SerializeContent round-trips through ParseContent", "[dcr][parse]") {
  std::vector<dcr::Configuration> originals = {
      CtChunk(),
      MustParseContent(
          Content(
              DataSource(std::string(kStream) +
                         R"(,{"stream":"U_BLOB","solution":"S","extensionOutputStream":"x:y:U"})")),
          "dcr-1"),
      MustParseContent(R"({"kind":"AgentSettings","settings":"[{\"name\":\"A\",\"value\":7}]"})",
                       "as-1"),
      MustParseContent(
          R"({"dataSources":[],"channels":[{"id":"gig-1","protocol":"gig",)"
          R"("endpointUriTemplate":"https://x.ingest.monitor.azure.com/streams/<STREAM>",)"
          R"("tokenEndpointUri":"https://h/t"},{"id":"me-1","protocol":"me"}],)"
          R"("extensionConfigurations":{"E":[{"id":"e1","originIds":["o"],)"
          R"("extensionSettings":{"s":"\u00e9\n","n":[1.5,-2,1e300,null]},)"
          R"("inputStreams":{"i":["a"]}}]}})",
          "dcr-2"),
  };
  dcr::Diagnostics unknown_diagnostics;
  dcr::Configuration unknown;
  REQUIRE(dcr::ParseContent(R"({"kind":"Telepathy","waves":[1,{"b":2}]})", "test", "u-1", "e",
                            &unknown, &unknown_diagnostics));
  CHECK(unknown.kind == dcr::ContentKind::kUnknown);
  originals.push_back(unknown);

  for (const dcr::Configuration& original : originals) {
    CAPTURE(original.configuration_id);
    std::string text = dcr::SerializeContent(original);
    CAPTURE(text);
    dcr::Configuration again;
    dcr::Diagnostics diagnostics;
    REQUIRE(dcr::ParseContent(text, original.source, original.configuration_id, original.etag,
                              &again, &diagnostics));
    CHECK(again == original);
    CHECK(dcr::SerializeContent(again) == text);
  }
}

TEST_CASE("SerializeContent writes the agent-side shape", "[dcr][parse]") {
  dcr::Configuration c = MustParseContent(Content(), "dcr-1");
  CHECK(
      dcr::SerializeContent(c) ==
      R"({"dataSources":[{"configuration":{"extensionName":"Ext"},"id":"ds","kind":"extension",)"
      R"("streams":[{"stream":"T_BLOB","solution":"S","extensionOutputStream":"dcr-1:ds:T_BLOB"}],)"
      R"("sendToChannels":["ods-1"]}],)"
      R"("channels":[{"endpoint":"https://w.ods.opinsights.azure.com",)"
      R"("tokenEndpointUri":"https://handler.example/token","id":"ods-1","protocol":"ods"}],)"
      R"("extensionConfigurations":{"Ext":[{"id":"dcr-1:ds","originIds":[],)"
      R"("extensionSettings":{},"inputStreams":{},"outputStreams":{"T_BLOB":"dcr-1:ds:T_BLOB"}}]}})");
  c.configuration_id = "x";
  c.etag = "\"e\"";
  CHECK(dcr::SerializeConfigurations({c}) ==
        R"({"configurations":[{"configurationId":"x","eTag":"\"e\"","op":"added","content":)" +
            dcr::SerializeContent(c) + "}]}");
}

TEST_CASE("ParseConfigurationsResponse splits added and removed and drops bad ones",
          "[dcr][parse]") {
  std::string body =
      R"({"configurations":[)"
      R"({"configurationId":"dcr-a","eTag":"ea","op":"added","content":)" +
      Content() +
      R"(},{"configurationId":"dcr-b","eTag":"eb","op":"removed"},)"
      R"({"configurationId":"dcr-c","eTag":"ec","op":"added","content":{"dataSources":5}},)"
      R"({"configurationId":"dcr-d","op":"renamed","content":{}},)"
      R"({"eTag":"x","content":{}},)"
      R"({"configurationId":"as","eTag":"es","content":{"kind":"AgentSettings","settings":[]}})"
      R"(],"next":null})";
  dcr::ConfigurationsResponse response;
  dcr::Diagnostics diagnostics;
  REQUIRE(dcr::ParseConfigurationsResponse(body, "https://h/x", &response, &diagnostics));
  CHECK(Summary(diagnostics) ==
        std::vector<std::string>{"warning $.next", "error $.configurations[2].content.dataSources",
                                 "error $.configurations[2]", "warning $.configurations[3].op",
                                 "error $.configurations[4].configurationId"});
  REQUIRE(response.added.size() == 2);
  CHECK(response.added[0].configuration_id == "dcr-a");
  CHECK(response.added[0].etag == "ea");
  CHECK(response.added[0].source == "https://h/x");
  CHECK(response.added[0].dcr.data_sources.size() == 1);
  CHECK(response.added[1].configuration_id == "as");
  CHECK(response.added[1].kind == dcr::ContentKind::kAgentSettings);
  CHECK(response.removed == std::vector<std::string>{"dcr-b"});
  CHECK(response.refused == std::vector<std::string>{"dcr-c"});

  const char* unusable[] = {"", "[]", "{}", R"({"configurations":{}})", "{\"configurations\":[]}x"};
  for (const char* text : unusable) {
    CAPTURE(text);
    dcr::ConfigurationsResponse r;
    dcr::Diagnostics d;
    CHECK_FALSE(dcr::ParseConfigurationsResponse(text, "u", &r, &d));
    CHECK(dcr::HasErrors(d));
  }
}

TEST_CASE("ParseConfigurationsResponse names every refused configuration", "[dcr][parse]") {
  const std::string bad_stream = Content(DataSource(R"({"stream":"T_BLOB"})"));
  const std::string bad_channel = Content(DataSource(), R"({"id":"ods-1","protocol":"ods"})");
  std::string body = R"({"configurations":[)"
                     R"({"configurationId":"dcr-1","eTag":"e1","content":)" +
                     bad_stream + "}," + R"({"configurationId":"dcr-2","eTag":"e2","content":)" +
                     Content() + "}," + R"({"configurationId":"dcr-3","eTag":7,"content":)" +
                     Content() + "}," + R"({"configurationId":"dcr-4","eTag":"e4"},)" +
                     R"({"configurationId":"dcr-5","eTag":"e5","content":)" + bad_channel + "}," +
                     // A later entry may not replace a refused one.
                     R"({"configurationId":"dcr-1","eTag":"e1b","content":)" + Content() + "}," +
                     R"({"configurationId":"","content":)" + bad_stream + "}]}";
  dcr::ConfigurationsResponse response;
  dcr::Diagnostics diagnostics;
  REQUIRE(dcr::ParseConfigurationsResponse(body, "https://h/cfg", &response, &diagnostics));
  INFO(Describe(diagnostics));
  CHECK(response.refused == std::vector<std::string>{"dcr-1", "dcr-3", "dcr-4", "dcr-5"});
  REQUIRE(response.added.size() == 1);
  CHECK(response.added[0].configuration_id == "dcr-2");
  CHECK(response.removed.empty());

  struct Expected {
    const char* path;
    std::string message;
  };
  const Expected expected[] = {
      {"$.configurations[0].content.dataSources[0].streams[0].solution",
       "missing (a non-empty string is required)"},
      {"$.configurations[0]", R"(configuration "dcr-1" refused (1 error in it))"},
      {"$.configurations[2].eTag", "expected a string, found a number"},
      {"$.configurations[2]", R"(configuration "dcr-3" refused (1 error in it))"},
      {"$.configurations[3].content", "missing (an object is required)"},
      {"$.configurations[3]", R"(configuration "dcr-4" refused (1 error in it))"},
      {"$.configurations[4].content.channels[0].endpoint",
       R"(missing (required for protocol "ods"))"},
      {"$.configurations[4].content.channels[0].tokenEndpointUri",
       R"(missing (required for protocol "ods"))"},
      // The data source sending to the broken channel is not blamed a second time.
      {"$.configurations[4]", R"(configuration "dcr-5" refused (2 errors in it))"},
      {"$.configurations[5].configurationId",
       R"(duplicate configurationId "dcr-1", only its first entry counts)"},
      {"$.configurations[6].configurationId", "must not be empty"},
  };
  REQUIRE(diagnostics.size() == std::size(expected));
  for (std::size_t i = 0; i < diagnostics.size(); ++i) {
    CAPTURE(i);
    CHECK(diagnostics[i].severity == dcr::Diagnostic::Severity::kError);
    CHECK(diagnostics[i].source == "https://h/cfg");
    CHECK(diagnostics[i].json_path == expected[i].path);
    CHECK(diagnostics[i].message == expected[i].message);
  }
}

TEST_CASE("Diagnostics stay on one line whatever the document holds", "[dcr][parse]") {
  // A control character escaped in JSON arrives raw in a value or a key.
  std::string body =
      R"({"configurations":[{"configurationId":"a","op":"re\nmoved\u001b[2J","content":{}}],)"
      R"("x\ny":1})";
  dcr::ConfigurationsResponse response;
  dcr::Diagnostics diagnostics;
  REQUIRE(dcr::ParseConfigurationsResponse(body, "line1\nline2", &response, &diagnostics));
  REQUIRE(diagnostics.size() == 2);
  CHECK(diagnostics[0].source == R"(line1\x0aline2)");
  CHECK(diagnostics[0].json_path == R"($["x\ny"])");
  CHECK(diagnostics[1].message == R"(unknown op "re\x0amoved\x1b[2J", configuration ignored)");
  for (const dcr::Diagnostic& d : diagnostics) {
    CHECK(d.ToString().find('\n') == std::string::npos);
    CHECK(d.ToString().find('\x1b') == std::string::npos);
  }
}

TEST_CASE("RewriteChannelEndpoints replaces scheme and authority only", "[dcr][parse]") {
  dcr::Configuration c = CtChunk();
  c.dcr.channels.push_back(dcr::Channel{.id = "gig-1",
                                        .protocol = "gig",
                                        .endpoint = "",
                                        .token_endpoint_uri = "http://other:80?q=1",
                                        .endpoint_uri_template = "https://x.example/s/<STREAM>"});
  dcr::RewriteChannelEndpoints("https://127.0.0.1:7443/", &c);
  CHECK(c.dcr.channels[0].endpoint == "https://127.0.0.1:7443");
  CHECK(c.dcr.channels[0].token_endpoint_uri ==
        "https://127.0.0.1:7443/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/"
        "lucasrg3/providers/Microsoft.Compute/virtualMachines/LucasVMUbuntuCT/agentConfigurations/"
        "dcr-cad67fc3f9024d43bafe704f83012bc6/channels/ods-731eac71-f4a0-479a-a013-782706f35f28/"
        "issueIngestionToken?operatingLocation=eastus&platform=linux&includeMeConfig=true&"
        "api-version=2022-06-02");
  CHECK(c.dcr.channels[1].endpoint.empty());
  CHECK(c.dcr.channels[1].token_endpoint_uri == "https://127.0.0.1:7443?q=1");
  CHECK(c.dcr.channels[1].endpoint_uri_template == "https://127.0.0.1:7443/s/<STREAM>");

  dcr::Configuration unchanged = CtChunk();
  dcr::Configuration copy = unchanged;
  dcr::RewriteChannelEndpoints("not a url", &copy);
  CHECK(copy == unchanged);
}

}  // namespace
