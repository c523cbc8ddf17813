#include "records.h"

#include <catch2/catch.hpp>

#include "settings.h"
#include "snapshot.h"
#include "support/temp_dir.h"

namespace {

ctagent::Item Package(const std::string& name, const std::string& version,
                      const std::string& size) {
  return {name + ":amd64",
          {{"SoftwareName", name},
           {"CurrentVersion", version},
           {"Architecture", "amd64"},
           {"Publisher", "Debian"},
           {"SoftwareType", "Package"},
           {"Size", size}}};
}

ctagent::Items Of(std::initializer_list<ctagent::Item> list) {
  ctagent::Items items;
  for (const auto& item : list) items[item.key] = item;
  return items;
}

const ctagent::RecordContext kContext{"vm1", "2026-12-02T10:00:00.000Z"};

}  // namespace

TEST_CASE("records: Added, Modified with FieldsChanged and Previous columns, Removed",
          "[ctagent]") {
  const auto before = Of({Package("a", "1.0", "1024"), Package("b", "2.0", "2048")});
  const auto after = Of({Package("a", "1.1", "4096"), Package("c", "3.0", "1")});
  const auto records = ctagent::ChangeRecords(ctagent::Kind::kSoftware, before, after, kContext);
  REQUIRE(records.size() == 3);
  for (const auto& record : records) CHECK(record.data_type == "CONFIG_CHANGE_BLOB_V2");
  CHECK(records[0].json ==
        R"({"TimeGenerated":"2026-12-02T10:00:00.000Z","Computer":"vm1","ConfigChangeType":)"
        R"("Software","ChangeCategory":"Modified","FieldsChanged":"Current|Size","SoftwareName":)"
        R"("a","Current":"1.1","Previous":"1.0","Publisher":"Debian","SoftwareType":"Package",)"
        R"("Size":4096,"PreviousSize":1024})");
  CHECK(records[1].json ==
        R"({"TimeGenerated":"2026-12-02T10:00:00.000Z","Computer":"vm1","ConfigChangeType":)"
        R"("Software","ChangeCategory":"Added","SoftwareName":"c","Current":"3.0","Publisher":)"
        R"("Debian","SoftwareType":"Package","Size":1})");
  CHECK(records[2].json ==
        R"({"TimeGenerated":"2026-12-02T10:00:00.000Z","Computer":"vm1","ConfigChangeType":)"
        R"("Software","ChangeCategory":"Removed","SoftwareName":"b","Previous":"2.0",)"
        R"("Publisher":"Debian","SoftwareType":"Package","PreviousSize":2048})");
  CHECK(ctagent::ChangeRecords(ctagent::Kind::kSoftware, after, after, kContext).empty());
}

TEST_CASE("records: inventory carries ConfigDataType and the ConfigurationData columns",
          "[ctagent]") {
  const auto records = ctagent::InventoryRecords(ctagent::Kind::kSoftware,
                                                 Of({Package("a", "1.0", "1024")}), kContext);
  REQUIRE(records.size() == 1);
  CHECK(records[0].data_type == "CONFIG_DATA_BLOB_V2");
  CHECK(records[0].json ==
        R"({"TimeGenerated":"2026-12-02T10:00:00.000Z","Computer":"vm1","ConfigDataType":)"
        R"("Software","Architecture":"amd64","CurrentVersion":"1.0","Publisher":"Debian",)"
        R"("Size":1024,"SoftwareName":"a","SoftwareType":"Package"})");
}

TEST_CASE("records: fields JSON round trip, hostile text refused", "[ctagent]") {
  ctagent::Item item = Package("q\"\n\x01", "1", "2");
  ctagent::Item back;
  REQUIRE(ctagent::ParseFieldsJson(ctagent::FieldsJson(item), &back));
  CHECK(back.fields == item.fields);
  CHECK_FALSE(ctagent::ParseFieldsJson(R"({"a":1})", &back));
  CHECK_FALSE(ctagent::ParseFieldsJson("[", &back));
}

TEST_CASE("snapshot: survives reopening, the outbox is bounded and counted, acked records go",
          "[ctagent]") {
  testing::TempDir dir;
  const auto items = Of({Package("a", "1.0", "1024")});
  {
    std::unique_ptr<ctagent::Snapshot> snapshot;
    std::string error;
    REQUIRE_FALSE(ctagent::Snapshot::Open(dir.path(), 3, &snapshot, &error));
    CHECK_FALSE(snapshot->Has(ctagent::Kind::kSoftware));
    std::vector<ctagent::Record> records;
    for (int i = 0; i < 5; ++i)
      records.push_back({"CONFIG_DATA_BLOB_V2", "{\"n\":" + std::to_string(i) + "}"});
    REQUIRE_FALSE(snapshot->Commit(ctagent::Kind::kSoftware, items, records, 100, 100));
    CHECK(snapshot->PendingCount() == 3);
    CHECK(snapshot->dropped() == 2);
  }
  std::unique_ptr<ctagent::Snapshot> snapshot;
  std::string error;
  REQUIRE_FALSE(ctagent::Snapshot::Open(dir.path(), 3, &snapshot, &error));
  CHECK(snapshot->Has(ctagent::Kind::kSoftware));
  CHECK(snapshot->LastInventory(ctagent::Kind::kSoftware) == 100);
  CHECK_FALSE(snapshot->LastInventory(ctagent::Kind::kFiles));
  ctagent::Items loaded;
  REQUIRE_FALSE(snapshot->Load(ctagent::Kind::kSoftware, &loaded));
  CHECK(loaded.at("a:amd64").fields == items.at("a:amd64").fields);
  std::vector<ctagent::PendingRecord> pending;
  REQUIRE_FALSE(snapshot->Pending(10, &pending));
  REQUIRE(pending.size() == 3);
  CHECK(pending[0].record.json == "{\"n\":2}");
  REQUIRE_FALSE(snapshot->Forget({pending[0].id, pending[1].id}));
  CHECK(snapshot->PendingCount() == 1);
  CHECK(std::filesystem::exists(dir / "Packages.json"));
}

TEST_CASE("settings: the bundled DCR's TaggedData, both services spellings, bad text",
          "[ctagent]") {
  const std::string tagged = R"({"schemaVersion":1,"extensionConfigurations":[{"id":"x",
    "extensionSettings":{"enableFiles":false,"enableSoftware":true,"enableServices":true,
      "enableInventory":true,
      "fileSettings":{"fileCollectionFrequency":"600","fileInfo":[
        {"name":"a","enabled":true,"destinationPath":"/etc/.*.conf","recurse":false,
         "maxContentsReturnable":5,"maxOutputSize":7,"links":"Ignore"},
        {"name":"relative","destinationPath":"etc"}]},
      "softwareSettings":{"softwareCollectionFrequency":1},
      "serviceSettings":{"serviceCollectionFrequency":120},
      "inventorySettings":{"inventoryCollectionFrequency":36000}},
    "outputStreams":{"CONFIG_CHANGE_BLOB_V2":"dcr-1:s:CONFIG_CHANGE_BLOB_V2"}}]})";
  ctagent::Settings settings;
  std::string error, warning;
  REQUIRE(ctagent::ParseTaggedData(tagged, &settings, &error, &warning));
  CHECK_FALSE(settings.enable_files);
  CHECK(settings.files_frequency == std::chrono::seconds(600));
  CHECK(settings.software_frequency == std::chrono::seconds(10));  // clamped
  CHECK(settings.services_frequency == std::chrono::seconds(120));
  REQUIRE(settings.files.size() == 1);
  CHECK_FALSE(settings.files[0].recurse);
  CHECK_FALSE(settings.files[0].follow_links);
  CHECK(settings.files[0].max_output_size == 7);
  CHECK_THAT(warning, Catch::Contains("relative"));
  CHECK(settings.output_streams.at("CONFIG_CHANGE_BLOB_V2") == "dcr-1:s:CONFIG_CHANGE_BLOB_V2");
  CHECK_FALSE(ctagent::ParseTaggedData("{}", &settings, &error, &warning));
  CHECK_FALSE(ctagent::ParseTaggedData("not json", &settings, &error, &warning));
}
