#include "mockcloud/schema_check.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "base/logger.h"
#include "codec/compression.h"
#include "codec/json_parse.h"
#include "mockcloud/command_line.h"
#include "mockcloud/item_store.h"
#include "mockcloud/mock_cloud.h"
#include "mockcloud/table_schema.h"
#include "mockcloud/upload_parser.h"
#include "support/temp_dir.h"

namespace mockcloud {
namespace {

void WriteText(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path);
  out << text;
}

Request OdsRequest(const std::string& body) {
  Request request;
  request.method = "POST";
  request.path = "/OperationalData.svc/PostJsonDataItems";
  request.headers = {{"Content-Type", "application/json"}, {"Content-Encoding", "deflate"}};
  request.body = codec::Compress(body, codec::Compression::kZlib);
  return request;
}

std::string Ods(std::string_view data_type, std::string_view items) {
  return R"({"DataType":")" + std::string(data_type) +
         R"(","IPName":"ChangeTracking","DataItems":)" + std::string(items) + "}";
}

SchemaResult CheckOds(const std::string& body, ItemCapture capture = ItemCapture::kTexts,
                      const SchemaSet& schemas = SchemaSet::Builtin()) {
  OdsUpload upload;
  UploadError error;
  INFO(body);
  REQUIRE(ParseOdsUpload(OdsRequest(body), UploadLimits{}, &upload, &error, capture, nullptr,
                         &schemas));
  return upload.schema;
}

TEST_CASE("The schema check names unknown fields and mistyped values of ConfigurationChange",
          "[schema]") {
  for (ItemCapture capture : {ItemCapture::kTexts, ItemCapture::kCountOnly}) {
    CAPTURE(capture == ItemCapture::kTexts);
    SchemaResult result = CheckOds(
        Ods("CONFIG_CHANGE_BLOB_V2",
            R"([{"Computer":"vm1","ConfigChangeType":"Files","Size":"12 KB","Colour":"red"},)"
            R"({"Computer":"vm1","ConfigChangeType":"Files","Size":"13 KB","Colour":"blue"},)"
            R"({"Computer":"vm1","DateModified":"yesterday","Size":5,"_ResourceId":"/x"},)"
            R"({"Computer":"vm1","ConfigChangeType":"Files","Size":7,"Nested":{"Colour":1}}])"),
        capture);
    REQUIRE(result.checked);
    const SchemaReport& report = result.report;
    CHECK(report.table == "ConfigurationChange");
    CHECK(report.items == 4);
    CHECK(report.items_with_problems == 4);
    CHECK(report.unknown_fields == std::vector<std::string>{"Colour", "Nested"});
    CHECK(report.unknown_field_count == 3);
    CHECK(report.reserved_fields == std::vector<std::string>{"_ResourceId"});
    REQUIRE(report.type_mismatches.size() == 2);
    CHECK(report.type_mismatches[0].field == "Size");
    CHECK(report.type_mismatches[0].expected == ColumnType::kLong);
    CHECK(report.type_mismatches[0].got == "string");
    CHECK(report.type_mismatches[0].count == 2);
    CHECK(report.type_mismatches[0].example == "12 KB");
    CHECK(report.type_mismatches[1].field == "DateModified");
    CHECK(report.type_mismatches[1].expected == ColumnType::kDatetime);
    CHECK(report.mismatch_count == 3);
    CHECK_FALSE(report.truncated);
    CHECK(SchemaResultJson(result) ==
          R"({"checked":true,"table":"ConfigurationChange","items":4,"itemsWithProblems":4,)"
          R"("unknownFields":["Colour","Nested"],"reservedFields":["_ResourceId"],)"
          R"("typeMismatches":[{"field":"Size","expected":"long","got":"string","count":2,)"
          R"("example":"12 KB"},{"field":"DateModified","expected":"datetime","got":"string",)"
          R"("count":1,"example":"yesterday"}],"truncated":false})");
  }
}

TEST_CASE("A record that fits its table gives an empty report", "[schema]") {
  SchemaResult result = CheckOds(Ods(
      "CONFIG_CHANGE_BLOB_V2",
      R"([{"Computer":"vm1","ConfigChangeType":"Files","ChangeCategory":"Modified",)"
      R"("FileSystemPath":"/etc/hosts","Size":120,"PreviousSize":null,)"
      R"("DateModified":"2026-12-01T14:00:00.123Z","TimeGenerated":"2026-12-01T14:00:01+01:00"}])"));
  REQUIRE(result.checked);
  CHECK(result.report.clean());
  CHECK(result.report.items == 1);
  CHECK(result.report.unknown_fields.empty());
  CHECK(result.report.type_mismatches.empty());

  SchemaResult data = CheckOds(
      Ods("CONFIG_DATA_BLOB_V2", R"([{"ConfigDataType":"Software","CurrentVersion":"1.2"}])"));
  REQUIRE(data.checked);
  CHECK(data.report.table == "ConfigurationData");
  CHECK(data.report.clean());
}

TEST_CASE("A DataType with no schema is not checked, and says so", "[schema]") {
  SchemaResult result = CheckOds(Ods("LINUX_SYSLOGS_BLOB", R"([{"Anything":1}])"));
  CHECK_FALSE(result.checked);
  CHECK(SchemaResultJson(result) ==
        R"({"checked":false,"reason":"no schema for DataType \"LINUX_SYSLOGS_BLOB\""})");
}

TEST_CASE("DataType after DataItems: checked from the kept texts, or not with --discard",
          "[schema]") {
  std::string body =
      R"({"DataItems":[{"Size":"x"}],"IPName":"ChangeTracking","DataType":"CONFIG_CHANGE_BLOB_V2"})";
  SchemaResult kept = CheckOds(body);
  REQUIRE(kept.checked);
  REQUIRE(kept.report.type_mismatches.size() == 1);
  CHECK(kept.report.type_mismatches[0].field == "Size");
  SchemaResult counted = CheckOds(body, ItemCapture::kCountOnly);
  CHECK_FALSE(counted.checked);
  CHECK_THAT(counted.reason, Catch::Contains("DataType comes after DataItems"));
}

TEST_CASE("Column types take the JSON values Azure stores in them", "[schema]") {
  SchemaSet schemas;
  schemas.Add("T", TableSchema("T_CL", {{"s", ColumnType::kString},
                                        {"l", ColumnType::kLong},
                                        {"i", ColumnType::kInt},
                                        {"r", ColumnType::kReal},
                                        {"b", ColumnType::kBool},
                                        {"g", ColumnType::kGuid},
                                        {"d", ColumnType::kDynamic}}));
  struct Case {
    const char* item;
    const char* got;  // nullptr: fits
  };
  const Case cases[] = {
      {R"({"s":"x"})", nullptr},
      {R"({"s":1})", "long"},
      {R"({"s":{}})", "object"},
      {R"({"l":-9223372036854775808})", nullptr},
      {R"({"l":9223372036854775807})", nullptr},
      {R"({"l":9223372036854775808})", "real"},
      {R"({"l":1.5})", "real"},
      {R"({"l":"1"})", "string"},
      {R"({"i":2147483647})", nullptr},
      {R"({"i":-2147483648})", nullptr},
      {R"({"i":2147483648})", "long"},
      {R"({"r":1})", nullptr},
      {R"({"r":1e300})", nullptr},
      {R"({"r":true})", "bool"},
      {R"({"b":false})", nullptr},
      {R"({"b":"true"})", "string"},
      {R"({"g":"74be27de-1e4e-49d9-b579-fe0b331d3642"})", nullptr},
      {R"({"g":"74be27de1e4e49d9b579fe0b331d3642"})", "string"},
      {R"({"d":[1,{"a":2}]})", nullptr},
      {R"({"d":"x"})", nullptr},
      {R"({"s":null,"l":null,"b":null})", nullptr},
  };
  for (const Case& c : cases) {
    CAPTURE(c.item);
    SchemaResult result =
        CheckOds(Ods("T", std::string("[") + c.item + "]"), ItemCapture::kCountOnly, schemas);
    REQUIRE(result.checked);
    if (c.got == nullptr) {
      CHECK(result.report.clean());
    } else {
      REQUIRE(result.report.type_mismatches.size() == 1);
      CHECK(result.report.type_mismatches[0].got == c.got);
    }
  }
}

// An in-process MockCloud's answer to GET `path`, or POST of `body` with `headers`.
Response Call(MockCloud& cloud, std::string method, std::string target, std::string body = {},
              std::vector<base::HttpHeader> headers = {}) {
  Request request;
  request.method = std::move(method);
  request.target = target;
  std::size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) request.query = target.substr(question + 1);
  request.headers = std::move(headers);
  request.headers.push_back({"Host", "127.0.0.1"});
  request.body = std::move(body);
  return cloud.Handle(request).response;
}

TEST_CASE("MockCloud logs schema problems at most once per interval, names escaped", "[schema]") {
  std::unique_ptr<ItemStore> store = ItemStore::InMemory();
  base::MemoryLogger logger;
  MockCloud cloud(MockCloudOptions{}, *store, logger);
  Response token = Call(cloud, "GET",
                        "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/"
                        "virtualMachines/vm/agentConfigurations/dcr-1/channels/c/"
                        "issueIngestionToken");
  REQUIRE(token.status == 200);
  rapidjson::Document document;
  std::string error;
  REQUIRE(codec::ParseJson(token.body, &document, &error));
  std::string bearer = std::string("Bearer ") + document["ingestionAuthToken"].GetString();
  auto post = [&](const std::string& items) {
    return Call(cloud, "POST", "/OperationalData.svc/PostJsonDataItems?api-version=2016-04-01",
                codec::Compress(Ods("CONFIG_CHANGE_BLOB_V2", items), codec::Compression::kZlib),
                {{"Content-Type", "application/json"},
                 {"Content-Encoding", "deflate"},
                 {"Authorization", bearer}})
        .status;
  };
  CHECK(post(R"([{"Bad\nName":1,"Size":"x"}])") == 200);
  CHECK(post(R"([{"Other":1}])") == 200);
  CHECK(post(R"([{"Computer":"vm1"}])") == 200);
  std::vector<base::MemoryLogger::Line> lines = logger.Lines();
  std::vector<std::string> warnings;
  for (const auto& line : lines) {
    if (line.component == "schema") warnings.push_back(line.message);
  }
  REQUIRE(warnings.size() == 1);  // the second within the interval is counted, not logged
  CHECK(warnings[0] ==
        "CONFIG_CHANGE_BLOB_V2 (table ConfigurationChange, request id none): 1 of 1 items do not "
        "fit; no such column: \"Bad\\nName\"; Size is long, got string");
  CHECK(lines.back().level != base::LogLevel::kWarning);
  Response stats = Call(cloud, "GET", "/_mock/stats");
  CHECK_THAT(stats.body, Catch::Contains(R"("schema":{"checkedRequests":3,"uncheckedRequests":0,)"
                                         R"("requestsWithProblems":2,)"));
}

TEST_CASE("IsIso8601 reads the extended format Kusto takes as a datetime", "[schema]") {
  for (const char* good :
       {"2026-12-01", "2026-12-01T14:00", "2026-12-01T14:00:59", "2026-12-01T14:00:59.123456789Z",
        "2024-02-29T00:00:00z", "2026-12-01T14:00:00+01:00", "2026-12-01T14:00:00-0530",
        "2026-12-01t14:00:00+01", "2026-12-31T23:59:60Z"}) {
    CAPTURE(good);
    CHECK(IsIso8601(good));
  }
  for (const char* bad : {"", "yesterday", "2026-12-1", "2026-13-01", "2026-02-30", "2025-02-29",
                          "2026-12-01 14:00:00", "2026-12-01T24:00", "2026-12-01T14:00:00.Z",
                          "2026-12-01T14:00:00.1234567890Z", "2026-12-01T14:00:00+1",
                          "2026-12-01T14:00:00Zx", "1764597600", "2026-12-01T14:00:00+01:00:00"}) {
    CAPTURE(bad);
    CHECK_FALSE(IsIso8601(bad));
  }
}

TEST_CASE("The report's lists are bounded and long names are cut", "[schema]") {
  std::string item = "{";
  for (int i = 0; i < 70; ++i) item += "\"F" + std::to_string(i) + "\":1,";
  item += "\"" + std::string(300, 'x') + "\":1}";
  SchemaResult result = CheckOds(Ods("CONFIG_CHANGE_BLOB_V2", "[" + item + "," + item + "]"));
  REQUIRE(result.checked);
  CHECK(result.report.unknown_fields.size() == SchemaReport::kMaxListed);
  CHECK(result.report.truncated);
  CHECK(result.report.unknown_field_count == 142);
  CHECK(result.report.items_with_problems == 2);

  SchemaResult cut =
      CheckOds(Ods("CONFIG_CHANGE_BLOB_V2", "[{\"" + std::string(300, 'y') + "\":1,\"Size\":\"" +
                                                std::string(300, 'z') + "\"}]"));
  REQUIRE(cut.report.unknown_fields.size() == 1);
  CHECK(cut.report.unknown_fields[0] == std::string(SchemaReport::kMaxText, 'y') + "…");
  CHECK(cut.report.type_mismatches[0].example == std::string(SchemaReport::kMaxText, 'z') + "…");
}

TEST_CASE("ParseTableSchema reads a table and refuses what it cannot use", "[schema]") {
  std::optional<TableSchema> schema;
  std::string error;
  REQUIRE(ParseTableSchema(
      R"({"table":"AppEvents_CL","columns":{"Level":"string","Count":"long","At":"datetime"}})",
      &schema, &error));
  CHECK(schema->table() == "AppEvents_CL");
  CHECK(schema->columns().size() == 4);  // TimeGenerated added
  CHECK(schema->Find("Count") == 1);
  CHECK(schema->Find("TimeGenerated") == 3);
  CHECK(schema->Find("count") == -1);

  struct Bad {
    const char* text;
    const char* problem;
  };
  const Bad bad[] = {
      {"", "invalid JSON"},
      {"[]", "expected an object"},
      {R"({"table":"T","columns":{"A":"string"},"x":1})", "unknown key \"x\""},
      {R"({"columns":{"A":"string"}})", "\"table\" must be"},
      {R"({"table":"a b","columns":{"A":"string"}})", "\"table\" must be"},
      {R"({"table":"T","columns":{}})", "\"columns\" must be"},
      {R"({"table":"T","columns":[]})", "\"columns\" must be"},
      {R"({"table":"T","columns":{"A":"text"}})", "column \"A\": the type must be"},
      {R"({"table":"T","columns":{"A":1}})", "column \"A\": the type must be"},
      {R"({"table":"T","columns":{"A-B":"string"}})", "a name must be"},
      {R"({"table":"T","columns":{"_ResourceId":"string"}})", "Azure fills it itself"},
      {R"({"table":"T","columns":{"Type":"string"}})", "Azure fills it itself"},
      {R"({"table":"T","columns":{"A":"string","A":"long"}})", "listed twice"},
      {R"({"table":"T","columns":{"TimeGenerated":"string"}})", "datetime in every table"},
  };
  for (const Bad& b : bad) {
    CAPTURE(b.text);
    CHECK_FALSE(ParseTableSchema(b.text, &schema, &error));
    CHECK_THAT(error, Catch::Contains(b.problem));
  }
}

TEST_CASE("SchemaSet::Load names the file and the problem", "[schema]") {
  testing::TempDir dir;
  SchemaSet schemas = SchemaSet::Builtin();
  std::string error;
  CHECK_FALSE(schemas.Load("X", dir / "missing.json", &error));
  CHECK_THAT(error, Catch::Contains("--schema X=") && Catch::Contains("missing.json"));
  WriteText(dir / "bad.json", R"({"table":"T","columns":{"A":"text"}})");
  CHECK_FALSE(schemas.Load("X", dir / "bad.json", &error));
  CHECK_THAT(error, Catch::Contains("bad.json: column \"A\""));
  WriteText(dir / "good.json", R"({"table":"Mine","columns":{"A":"int"}})");
  REQUIRE(schemas.Load("CONFIG_CHANGE_BLOB_V2", dir / "good.json", &error));
  CHECK(schemas.Find("CONFIG_CHANGE_BLOB_V2")->table() == "Mine");  // replaces the built-in one
  CHECK(schemas.Find("CONFIG_DATA_BLOB_V2")->table() == "ConfigurationData");
  CHECK(schemas.Find("OTHER") == nullptr);
}

TEST_CASE("ParseCommandLine takes --schema DATATYPE=FILE, once per DATATYPE", "[schema][cli]") {
  CommandLine options;
  std::string error;
  REQUIRE(ParseCommandLine({"--schema", "A=a.json", "--schema=Custom-App_CL=/x/b.json"}, &options,
                           &error));
  REQUIRE(options.schemas.size() == 2);
  CHECK(options.schemas[1].first == "Custom-App_CL");
  CHECK(options.schemas[1].second == "/x/b.json");
  for (std::vector<std::string> bad : {std::vector<std::string>{"--schema", "a.json"},
                                       {"--schema", "=a.json"},
                                       {"--schema", "A:B=a.json"},
                                       {"--schema", "A="},
                                       {"--schema", "A=1", "--schema", "A=2"}}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseCommandLine(bad, &options, &error));
    CHECK_THAT(error, Catch::Contains("--schema"));
  }
  CHECK_THAT(HelpText(), Catch::Contains("--schema DATATYPE=FILE"));
}

}  // namespace
}  // namespace mockcloud
