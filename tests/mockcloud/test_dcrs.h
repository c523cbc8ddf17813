#ifndef AMAHOST_TESTS_MOCKCLOUD_TEST_DCRS_H_
#define AMAHOST_TESTS_MOCKCLOUD_TEST_DCRS_H_

// Two small Change Tracking DCRs for mockcloud's control-plane tests: one in the agent-side
// content shape (docs/protocol.md §1), one in the ARM resource shape (§1a). Both point
// their channels at Azure; mockcloud must rewrite them to itself.

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "support/temp_dir.h"

namespace mockcloud_test {

inline constexpr char kContentDcrId[] = "dcr-11111111111111111111111111111111";
inline constexpr char kContentWorkspace[] = "aaaaaaaa-0000-4000-8000-000000000001";
inline constexpr char kContentDcr[] = R"({
  "dataSources": [{
    "configuration": {"extensionName": "ChangeTracking-Linux"},
    "id": "CTDataSource-Linux",
    "kind": "extension",
    "streams": [
      {"stream": "CONFIG_CHANGE_BLOB_V2", "solution": "ChangeTracking",
       "extensionOutputStream": "dcr-11111111111111111111111111111111:CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2"},
      {"stream": "CONFIG_DATA_BLOB_V2", "solution": "ChangeTracking",
       "extensionOutputStream": "dcr-11111111111111111111111111111111:CTDataSource-Linux:CONFIG_DATA_BLOB_V2"}
    ],
    "sendToChannels": ["ods-aaaaaaaa-0000-4000-8000-000000000001"]
  }],
  "channels": [{
    "endpoint": "https://aaaaaaaa-0000-4000-8000-000000000001.ods.opinsights.azure.com",
    "tokenEndpointUri": "https://global.handler.control.monitor.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm/agentConfigurations/dcr-11111111111111111111111111111111/channels/ods-aaaaaaaa-0000-4000-8000-000000000001/issueIngestionToken?operatingLocation=eastus&platform=linux&includeMeConfig=true&api-version=2022-06-02",
    "id": "ods-aaaaaaaa-0000-4000-8000-000000000001",
    "protocol": "ods"
  }],
  "extensionConfigurations": {
    "ChangeTracking-Linux": [{
      "id": "dcr-11111111111111111111111111111111:CTDataSource-Linux",
      "originIds": ["/subscriptions/s/resourceGroups/rg/providers/Microsoft.Insights/dataCollectionRules/ct-content"],
      "extensionSettings": {"enableFiles": true, "fileSettings": {"fileCollectionFrequency": 900}},
      "outputStreams": {
        "CONFIG_CHANGE_BLOB_V2": "dcr-11111111111111111111111111111111:CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2",
        "CONFIG_DATA_BLOB_V2": "dcr-11111111111111111111111111111111:CTDataSource-Linux:CONFIG_DATA_BLOB_V2"
      }
    }]
  }
})";

inline constexpr char kArmDcrId[] = "dcr-22222222222222222222222222222222";
inline constexpr char kArmWorkspace[] = "bbbbbbbb-0000-4000-8000-000000000002";
inline constexpr char kArmDcr[] = R"({
  "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Insights/dataCollectionRules/ct-arm",
  "name": "ct-arm",
  "type": "Microsoft.Insights/dataCollectionRules",
  "location": "eastus",
  "properties": {
    "immutableId": "dcr-22222222222222222222222222222222",
    "dataSources": {"extensions": [{
      "name": "CTDataSource-Linux",
      "extensionName": "ChangeTracking-Linux",
      "streams": ["Microsoft-ConfigurationChange", "Microsoft-ConfigurationChangeV2",
                  "Microsoft-ConfigurationData"],
      "extensionSettings": {"enableFiles": true, "serviceSettings": {"serviceCollectionFrequency": 300}}
    }]},
    "destinations": {"logAnalytics": [{
      "workspaceResourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law",
      "workspaceId": "bbbbbbbb-0000-4000-8000-000000000002",
      "name": "Microsoft-CT-Dest"
    }]},
    "dataFlows": [{
      "streams": ["Microsoft-ConfigurationChange", "Microsoft-ConfigurationChangeV2",
                  "Microsoft-ConfigurationData"],
      "destinations": ["Microsoft-CT-Dest"]
    }]
  }
})";

// A temporary `dcrs` folder holding both DCRs (content.json, arm.json), for `mockcloud
// --dcr-dir`; Write adds or replaces a file. Removed with its folder on destruction.
class DcrFolder {
 public:
  DcrFolder() {
    std::filesystem::create_directories(path());
    Write("content.json", kContentDcr);
    Write("arm.json", kArmDcr);
  }
  std::filesystem::path path() const { return dir_ / "dcrs"; }
  void Write(const std::string& name, std::string_view text) const {
    std::ofstream(path() / name) << text;
  }

 private:
  testing::TempDir dir_;
};

}  // namespace mockcloud_test

#endif  // AMAHOST_TESTS_MOCKCLOUD_TEST_DCRS_H_
