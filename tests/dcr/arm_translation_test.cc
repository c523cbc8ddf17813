#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "dcr/parse.h"
#include "test_data.h"

namespace {

using dcr_test::Describe;
using dcr_test::ReadData;
using dcr_test::ReplaceAll;
using dcr_test::Summary;
using Outputs = std::vector<std::pair<std::string, std::string>>;

dcr::TranslationOptions CtOptions() {
  dcr::TranslationOptions options;
  options.agent_resource_id = dcr_test::kCtVm;
  options.handler_url = "https://global.handler.control.monitor.azure.com/";
  return options;
}

dcr::Configuration MustTranslate(const std::string& json,
                                 const dcr::TranslationOptions& options = CtOptions(),
                                 dcr::Diagnostics* diagnostics_out = nullptr) {
  dcr::Configuration configuration;
  dcr::Diagnostics diagnostics;
  bool ok = dcr::TranslateArmDcr(json, "arm.json", options, &configuration, &diagnostics);
  INFO(Describe(diagnostics));
  REQUIRE(ok);
  REQUIRE_FALSE(dcr::HasErrors(diagnostics));
  if (diagnostics_out != nullptr) *diagnostics_out = diagnostics;
  return configuration;
}

TEST_CASE("The CT ARM DCR translates to the agent-side chunk AMCS sends", "[dcr][arm]") {
  dcr::Configuration ct = MustTranslate(ReadData("ct_arm.json"));
  const std::string id = dcr_test::kCtDcrId;
  CHECK(ct.configuration_id == id);
  CHECK(ct.kind == dcr::ContentKind::kDcr);
  CHECK(ct.source == "arm.json");
  CHECK(ct.etag.size() == 32);

  // The data sources, channel and stream ids equal those of the chunk AMCS produced (§1b).
  dcr::Configuration chunk = dcr_test::CtChunk();
  REQUIRE(ct.dcr.data_sources.size() == 2);
  CHECK(ct.dcr.data_sources[0] == chunk.dcr.data_sources[1]);  // Windows first, as in the ARM
  CHECK(ct.dcr.data_sources[1] == chunk.dcr.data_sources[0]);
  CHECK(ct.dcr.channels == chunk.dcr.channels);
  const dcr::DataSource& linux = ct.dcr.data_sources[1];
  REQUIRE(linux.streams.size() == 3);
  const char* data_types[] = {"CONFIG_CHANGE_BLOB", "CONFIG_CHANGE_BLOB_V2", "CONFIG_DATA_BLOB_V2"};
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(linux.streams[i].stream == data_types[i]);
    CHECK(linux.streams[i].solution == "ChangeTracking");
    CHECK(linux.streams[i].extension_output_stream == id + ":CTDataSource-Linux:" + data_types[i]);
  }
  REQUIRE(ct.dcr.channels.size() == 1);
  CHECK(ct.dcr.channels[0].id == "ods-731eac71-f4a0-479a-a013-782706f35f28");
  CHECK(ct.dcr.channels[0].endpoint ==
        "https://731eac71-f4a0-479a-a013-782706f35f28.ods.opinsights.azure.com");
  CHECK(ct.dcr.channels[0].token_endpoint_uri ==
        "https://global.handler.control.monitor.azure.com/subscriptions/"
        "11111111-2222-3333-4444-555555555555/resourceGroups/lucasrg3/providers/Microsoft.Compute/"
        "virtualMachines/LucasVMUbuntuCT/agentConfigurations/dcr-cad67fc3f9024d43bafe704f83012bc6/"
        "channels/ods-731eac71-f4a0-479a-a013-782706f35f28/issueIngestionToken?"
        "operatingLocation=eastus&platform=linux&includeMeConfig=true&api-version=2022-06-02");

  REQUIRE(ct.dcr.extension_configurations.size() == 2);
  CHECK(ct.dcr.extension_configurations[0].first == "ChangeTracking-Windows");
  CHECK(ct.dcr.extension_configurations[1].first == "ChangeTracking-Linux");
  const dcr::ExtensionConfiguration& config = ct.dcr.extension_configurations[1].second.at(0);
  CHECK(config.id == id + ":CTDataSource-Linux");
  CHECK(config.origin_ids == std::vector<std::string>{dcr_test::kCtDcrResourceId});
  CHECK(config.input_streams_json == "{}");
  CHECK(config.output_streams ==
        Outputs{{"CONFIG_CHANGE_BLOB", id + ":CTDataSource-Linux:CONFIG_CHANGE_BLOB"},
                {"CONFIG_CHANGE_BLOB_V2", id + ":CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2"},
                {"CONFIG_DATA_BLOB_V2", id + ":CTDataSource-Linux:CONFIG_DATA_BLOB_V2"}});
  rapidjson::Document arm;
  arm.Parse(ReadData("ct_arm.json").c_str());
  const rapidjson::Value& settings =
      arm["properties"]["dataSources"]["extensions"][1]["extensionSettings"];
  rapidjson::Document copied;
  copied.Parse(config.extension_settings_json.c_str());
  CHECK(copied == settings);

  // The translation is itself valid agent-side content.
  dcr::Configuration again;
  dcr::Diagnostics diagnostics;
  REQUIRE(dcr::ParseContent(dcr::SerializeContent(ct), ct.source, ct.configuration_id, ct.etag,
                            &again, &diagnostics));
  CHECK(again == ct);
  CHECK(diagnostics.empty());
}

TEST_CASE("Ids missing from the ARM DCR are derived stably", "[dcr][arm]") {
  std::string json = ReadData("ct_arm.json");
  json = ReplaceAll(json, R"("immutableId": "dcr-cad67fc3f9024d43bafe704f83012bc6",)", "");
  json = ReplaceAll(json, R"("workspaceId": "731eac71-f4a0-479a-a013-782706f35f28",)", "");
  dcr::Configuration c = MustTranslate(json);
  // Golden values from an independent FNV-1a-128 (Python) of the lower-cased resource ids: they
  // must never change, or hosts would see new DCRs and workspaces after an upgrade.
  CHECK(c.configuration_id == "dcr-4ef71082ac57f31974311230426192e0");
  REQUIRE(c.dcr.channels.size() == 1);
  CHECK(c.dcr.channels[0].id == "ods-41ac5ff1-ba18-8fc5-9667-4e524ddbda24");
  CHECK(c.dcr.channels[0].endpoint ==
        "https://41ac5ff1-ba18-8fc5-9667-4e524ddbda24.ods.opinsights.azure.com");
  CHECK(c.dcr.data_sources.at(0).streams.at(0).extension_output_stream ==
        "dcr-4ef71082ac57f31974311230426192e0:CTDataSource-Windows:CONFIG_CHANGE_BLOB");

  // Case of the resource id does not matter; a different id gives a different DCR id.
  CHECK(MustTranslate(ReplaceAll(json, "lucasrg3/providers/Microsoft.Insights",
                                 "LUCASRG3/providers/Microsoft.Insights"))
            .configuration_id == c.configuration_id);
  CHECK(MustTranslate(ReplaceAll(json, "ct-dcr177230743", "other")).configuration_id !=
        c.configuration_id);

  // Without a resource id the file content decides.
  std::string no_id =
      ReplaceAll(json, std::string(R"("id": ")") + dcr_test::kCtDcrResourceId + "\",", "");
  dcr::Configuration a = MustTranslate(no_id);
  CHECK(a.configuration_id.starts_with("dcr-"));
  CHECK(a.configuration_id.size() == 36);
  CHECK(a.configuration_id != c.configuration_id);
  CHECK(MustTranslate(no_id).configuration_id == a.configuration_id);
  CHECK(MustTranslate(no_id + " ").configuration_id != a.configuration_id);
  CHECK(a.dcr.extension_configurations.at(0).second.at(0).origin_ids.empty());
}

TEST_CASE("MapArmStream: the CT streams by AMCS's table, others by our rule", "[dcr][arm]") {
  struct Case {
    const char* arm;
    const char* data_type;
    const char* solution;
  };
  const Case cases[] = {
      {"Microsoft-ConfigurationChange", "CONFIG_CHANGE_BLOB", "ChangeTracking"},
      {"Microsoft-ConfigurationChangeV2", "CONFIG_CHANGE_BLOB_V2", "ChangeTracking"},
      {"Microsoft-ConfigurationData", "CONFIG_DATA_BLOB_V2", "ChangeTracking"},
      {"microsoft-configurationchangev2", "CONFIG_CHANGE_BLOB_V2", "ChangeTracking"},
      {"Microsoft-Perf", "PERF_BLOB", "LogManagement"},
      {"Microsoft-Syslog", "SYSLOG_BLOB", "LogManagement"},
      {"Microsoft-WindowsEvent", "WINDOWS_EVENT_BLOB", "LogManagement"},
      {"Microsoft-InsightsMetrics", "INSIGHTS_METRICS_BLOB", "LogManagement"},
      {"Microsoft-HTTPLogs", "HTTP_LOGS_BLOB", "LogManagement"},
      {"Microsoft-SecurityEventV2Data", "SECURITY_EVENT_V2_DATA_BLOB", "LogManagement"},
      {"Custom-MyTable_CL", "MY_TABLE_CL_BLOB", "LogManagement"},
      {"Custom-Text-app.log", "TEXT_APP_LOG_BLOB", "LogManagement"},
      {"Custom-Already_BLOB", "ALREADY_BLOB", "LogManagement"},
      {"NoPrefix", "NO_PREFIX_BLOB", "LogManagement"},
      {"Microsoft-", "", ""},
      {"Custom---", "", ""},
      {"", "", ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.arm);
    dcr::OdsStream mapped = dcr::MapArmStream(c.arm);
    CHECK(mapped.data_type == c.data_type);
    CHECK(mapped.solution == c.solution);
  }
}

constexpr char kTwoWorkspaces[] = R"({
  "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Insights/dataCollectionRules/d",
  "location": "West Europe",
  "properties": {
    "immutableId": "dcr-1",
    "dataSources": {
      "extensions": [{"name": "app", "extensionName": "MyExt",
                      "streams": ["Microsoft-Perf", "Custom-MyTable_CL", "Custom-Orphan",
                                  "Custom-my_table_CL"]}],
      "syslog": [{"name": "sys", "streams": ["Microsoft-Syslog"]}]
    },
    "destinations": {
      "logAnalytics": [
        {"name": "la1", "workspaceId": "AAAAAAAA-0000-0000-0000-000000000001"},
        {"name": "la2", "workspaceId": "aaaaaaaa-0000-0000-0000-000000000002"}],
      "azureMonitorMetrics": {"name": "m"}
    },
    "dataFlows": [
      {"streams": ["Microsoft-Perf"], "destinations": ["la1"]},
      {"streams": ["Custom-MyTable_CL"], "destinations": ["la2"], "transformKql": "source | where 1"}
    ]
  }
})";

TEST_CASE("Streams going to different workspaces get separate data sources", "[dcr][arm]") {
  dcr::TranslationOptions options;
  options.agent_resource_id =
      "/subscriptions/s/resourceGroups/r/providers/Microsoft.HybridCompute/machines/arc1";
  options.handler_url = "https://handler.example";
  dcr::Diagnostics diagnostics;
  dcr::Configuration c = MustTranslate(kTwoWorkspaces, options, &diagnostics);
  CHECK(Summary(diagnostics) ==
        std::vector<std::string>{"warning $.properties.destinations.azureMonitorMetrics",
                                 "warning $.properties.dataFlows[1].transformKql",
                                 "warning $.properties.dataSources.extensions[0].streams[2]",
                                 "warning $.properties.dataSources.extensions[0].streams[3]",
                                 "warning $.properties.dataSources.syslog"});
  REQUIRE(c.dcr.data_sources.size() == 2);
  CHECK(c.dcr.data_sources[0].id == "app");
  CHECK(c.dcr.data_sources[1].id == "app");
  CHECK(c.dcr.data_sources[0].streams ==
        std::vector<dcr::StreamBinding>{{"PERF_BLOB", "LogManagement", "dcr-1:app:PERF_BLOB"}});
  CHECK(c.dcr.data_sources[1].streams ==
        std::vector<dcr::StreamBinding>{
            {"MY_TABLE_CL_BLOB", "LogManagement", "dcr-1:app:MY_TABLE_CL_BLOB"}});
  CHECK(c.dcr.data_sources[0].send_to_channels ==
        std::vector<std::string>{"ods-aaaaaaaa-0000-0000-0000-000000000001"});
  CHECK(c.dcr.data_sources[1].send_to_channels ==
        std::vector<std::string>{"ods-aaaaaaaa-0000-0000-0000-000000000002"});
  REQUIRE(c.dcr.channels.size() == 2);
  CHECK(c.dcr.channels[1].token_endpoint_uri ==
        "https://handler.example/subscriptions/s/resourceGroups/r/providers/"
        "Microsoft.HybridCompute/machines/arc1/agentConfigurations/dcr-1/channels/"
        "ods-aaaaaaaa-0000-0000-0000-000000000002/issueIngestionToken?operatingLocation=westeurope"
        "&platform=linux&includeMeConfig=true&api-version=2022-06-02");
  REQUIRE(c.dcr.extension_configurations.size() == 1);
  CHECK(c.dcr.extension_configurations[0].second.at(0).output_streams ==
        Outputs{{"PERF_BLOB", "dcr-1:app:PERF_BLOB"},
                {"MY_TABLE_CL_BLOB", "dcr-1:app:MY_TABLE_CL_BLOB"}});
  CHECK(c.dcr.extension_configurations[0].second.at(0).extension_settings_json == "{}");
}

TEST_CASE("TranslateArmDcr reports unusable ARM DCRs with paths", "[dcr][arm]") {
  struct Case {
    const char* name;
    std::string from;
    std::string to;
    std::vector<std::string> errors;
  };
  const std::string ct = ReadData("ct_arm.json");
  const Case cases[] = {
      {"no properties", R"("properties": {)", R"("props": {)", {"error $.properties"}},
      {"unknown destination",
       R"("destinations": ["Microsoft-CT-Dest"])",
       R"("destinations": ["nowhere"])",
       {"error $.properties.dataFlows[0].destinations[0]"}},
      {"workspaceId that is not a GUID",
       "731eac71-f4a0-479a-a013-782706f35f28",
       "evil.com/x",
       {"error $.properties.destinations.logAnalytics[0].workspaceId"}},
      {"extension without extensionName",
       R"("extensionName": "ChangeTracking-Linux",)",
       "",
       {"error $.properties.dataSources.extensions[1].extensionName"}},
      {"streams not an array",
       R"("name": "CTDataSource-Linux",)",
       R"("name": "CTDataSource-Linux", "streams": 1,)",
       {"error $.properties.dataSources.extensions[1].streams"}},
      {"dataFlow without destinations",
       R"("destinations": ["Microsoft-CT-Dest"])",
       R"("x": [])",
       {"error $.properties.dataFlows[0].destinations"}},
      {"stream that translates to nothing",
       R"("Microsoft-ConfigurationData"
          ],
          "extensionSettings": {
            "enableFiles": true,
            "enableSoftware": true,
            "enableRegistry": false)",
       R"("Microsoft-ConfigurationData", "Custom--"
          ],
          "extensionSettings": {
            "enableFiles": true,
            "enableSoftware": true,
            "enableRegistry": false)",
       {"error $.properties.dataSources.extensions[1].streams[3]"}},
      {"duplicate data source name",
       R"("name": "CTDataSource-Linux")",
       R"("name": "CTDataSource-Windows")",
       {"error $.properties.dataSources.extensions[1].name"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    std::string json = ReplaceAll(ct, c.from, c.to);
    REQUIRE(json != ct);
    dcr::Configuration configuration;
    dcr::Diagnostics diagnostics;
    CHECK_FALSE(dcr::TranslateArmDcr(json, "arm.json", CtOptions(), &configuration, &diagnostics));
    dcr::Diagnostics errors;
    for (const dcr::Diagnostic& d : diagnostics) {
      if (d.severity == dcr::Diagnostic::Severity::kError) errors.push_back(d);
    }
    INFO(Describe(diagnostics));
    CHECK(Summary(errors) == c.errors);
  }

  dcr::TranslationOptions bad_agent = CtOptions();
  bad_agent.agent_resource_id = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/x";
  dcr::Configuration configuration;
  dcr::Diagnostics diagnostics;
  CHECK_FALSE(dcr::TranslateArmDcr(ct, "arm.json", bad_agent, &configuration, &diagnostics));
  CHECK(Summary(diagnostics) == std::vector<std::string>{"error $"});
}

}  // namespace
