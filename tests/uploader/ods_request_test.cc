#include "uploader/ods_request.h"

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "codec/fluent_entries.h"
#include "codec/msgpack_writer.h"
#include "uploader/errors.h"

namespace {

using codec::MsgpackWriter;

// One Fluent entry [time, record]; the record is whatever `record` writes.
std::string Entry(std::int64_t seconds, const std::function<void(MsgpackWriter&)>& record) {
  std::string bytes;
  MsgpackWriter writer(&bytes);
  writer.Array(2);
  writer.Int(seconds);
  record(writer);
  return bytes;
}

std::string EventTimeEntry(codec::EventTime time,
                           const std::function<void(MsgpackWriter&)>& record) {
  std::string bytes;
  MsgpackWriter writer(&bytes);
  writer.Array(2);
  codec::WriteEventTime(writer, time);
  record(writer);
  return bytes;
}

localstore::StoredRow Row(std::int64_t row_id, std::string entries, std::uint32_t count) {
  localstore::StoredRow row;
  row.row_id = row_id;
  row.count = count;
  row.entries = std::move(entries);
  return row;
}

const uploader::OdsBodyHeader kHeader{
    .data_type = "CONFIG_CHANGE_BLOB_V2", .ip_name = "ChangeTracking", .agent_id = "agent-1"};

const std::string kPrefix = R"({"DataType":"CONFIG_CHANGE_BLOB_V2","IPName":"ChangeTracking",)"
                            R"("ManagementGroupId":"00000000-0000-0000-0000-000000000002",)"
                            R"("sourceHealthServiceId":"agent-1","type":"JsonData","DataItems":[)";

}  // namespace

TEST_CASE("BuildOdsJson writes the ODS body with one DataItem per record", "[uploader][ods]") {
  struct Case {
    std::string name;
    std::vector<localstore::StoredRow> rows;
    std::string items;  // the DataItems array's content
    std::uint64_t records;
  };
  std::string text_entry = Entry(1700000000, [](MsgpackWriter& w) {
    w.Map(1);
    w.Str("msg");
    w.Str("h\xc3\xa9llo \"q\" \\ \n\t\x01 \xe6\x97\xa5\xe6\x9c\xac \xff");
  });
  std::string typed_entry = EventTimeEntry({1700000000, 5}, [](MsgpackWriter& w) {
    w.Map(7);
    w.Str("n");
    w.Int(-3);
    w.Str("u");
    w.Uint(18446744073709551615u);
    w.Str("f");
    w.Double(0.5);
    w.Str("b");
    w.Bin(std::string_view("\x00\xff", 2));
    w.Str("t");
    codec::WriteEventTime(w, {1700000000, 123456789});
    w.Str("nil");
    w.Nil();
    w.Str("arr");
    w.Array(2);
    w.Bool(true);
    w.Map(0);
  });
  // Fluent Bit ≥ 2.1: [[time, metadata], record]; the metadata does not reach the item.
  std::string v2_entry;
  {
    MsgpackWriter w(&v2_entry);
    w.Array(2);
    w.Array(2);
    codec::WriteEventTime(w, {1700000001, 0});
    w.Map(1);
    w.Str("meta");
    w.Int(1);
    w.Map(1);
    w.Str("k");
    w.Str("v");
  }
  std::vector<Case> cases = {
      {"no rows", {}, "", 0},
      {"a row without entries", {Row(1, "", 0)}, "", 0},
      {"unicode, escapes and invalid UTF-8",
       {Row(1, text_entry, 1)},
       "{\"msg\":\"h\xc3\xa9llo \\\"q\\\" \\\\ \\n\\t\\u0001 \xe6\x97\xa5\xe6\x9c\xac "
       "\xef\xbf\xbd\"}",
       1},
      {"every msgpack type, EventTime entry time",
       {Row(4, typed_entry, 1)},
       R"({"n":-3,"u":18446744073709551615,"f":0.5,"b":"AP8=",)"
       R"("t":"2023-11-14T22:13:20.123456789Z","nil":null,"arr":[true,{}]})",
       1},
      {"several rows of several entries, in order",
       {Row(1, text_entry + v2_entry, 2), Row(2, typed_entry, 1), Row(3, v2_entry, 1)},
       "{\"msg\":\"h\xc3\xa9llo \\\"q\\\" \\\\ \\n\\t\\u0001 \xe6\x97\xa5\xe6\x9c\xac "
       "\xef\xbf\xbd\"},{\"k\":\"v\"},"
       R"({"n":-3,"u":18446744073709551615,"f":0.5,"b":"AP8=",)"
       R"("t":"2023-11-14T22:13:20.123456789Z","nil":null,"arr":[true,{}]},{"k":"v"})",
       4},
      {"a row's stored count is not trusted",
       {Row(1, v2_entry + v2_entry, 7)},
       R"({"k":"v"},{"k":"v"})",
       2},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      uploader::OdsJson json;
      REQUIRE_FALSE(uploader::BuildOdsJson(kHeader, c.rows, &json));
      CHECK(json.text == kPrefix + c.items + "]}");
      CHECK(json.records == c.records);
      CHECK(json.malformed_row_id == -1);
    }
  }
}

TEST_CASE("BuildOdsJson escapes the header fields", "[uploader][ods]") {
  uploader::OdsJson json;
  REQUIRE_FALSE(uploader::BuildOdsJson({.data_type = "A\"B", .ip_name = "C\\D", .agent_id = "\n"},
                                       {}, &json));
  CHECK(json.text == R"({"DataType":"A\"B","IPName":"C\\D",)"
                     R"("ManagementGroupId":"00000000-0000-0000-0000-000000000002",)"
                     R"("sourceHealthServiceId":"\n","type":"JsonData","DataItems":[]})");
}

TEST_CASE("BuildOdsJson reports a malformed row instead of crashing", "[uploader][ods]") {
  std::string good = Entry(1, [](MsgpackWriter& w) {
    w.Map(1);
    w.Str("a");
    w.Int(1);
  });
  std::string deep;
  {
    MsgpackWriter w(&deep);
    w.Array(2);
    w.Int(1);
    for (int i = 0; i < 70; ++i) {
      w.Map(1);
      w.Str("k");
    }
    w.Nil();
  }
  struct Case {
    std::string name;
    std::string entries;
  };
  std::vector<Case> cases = {
      {"the never-used byte", "\xc1"},
      {"a truncated entry", good.substr(0, good.size() - 1)},
      {"garbage after a good entry", good + "\x01"},
      {"a record that is not a map", Entry(1, [](MsgpackWriter& w) { w.Str("text"); })},
      {"an entry of three elements", "\x93\x01\x80\x01"},
      {"a string as time", "\x92\xa1x\x80"},
      {"a record nested deeper than JSON conversion allows", deep},
      {"a str head declaring 4 GB", good + "\x92\x01\x81\xdb\xff\xff\xff\xff"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      std::vector<localstore::StoredRow> rows = {Row(7, good, 1), Row(8, c.entries, 1),
                                                 Row(9, good, 1)};
      uploader::OdsJson json;
      CHECK(uploader::BuildOdsJson(kHeader, rows, &json) == uploader::Errc::kMalformedRow);
      CHECK(json.malformed_row_id == 8);
    }
  }
}

TEST_CASE("OdsUrl appends the ODS path without a double slash", "[uploader][ods]") {
  const std::string path = "/OperationalData.svc/PostJsonDataItems?api-version=2016-04-01";
  struct Case {
    std::string endpoint;
    std::string url;
  };
  std::vector<Case> cases = {
      {"https://ws.ods.opinsights.azure.com", "https://ws.ods.opinsights.azure.com" + path},
      {"https://ws.ods.opinsights.azure.com/", "https://ws.ods.opinsights.azure.com" + path},
      {"https://ws.ods.opinsights.azure.com//", "https://ws.ods.opinsights.azure.com" + path},
      {"https://127.0.0.1:8443/ods/ws1", "https://127.0.0.1:8443/ods/ws1" + path},
      {"https://127.0.0.1:8443/ods/ws1/", "https://127.0.0.1:8443/ods/ws1" + path},
      {"", path},
  };
  for (const Case& c : cases) {
    INFO(c.endpoint);
    CHECK(uploader::OdsUrl(c.endpoint) == c.url);
  }
}

TEST_CASE("BuildOdsRequest sets the method, URL, body and exactly the ODS headers",
          "[uploader][ods]") {
  base::HttpRequest request = uploader::BuildOdsRequest(
      "https://ws.ods.opinsights.azure.com/",
      {.agent_id = "11111111-2222-3333-4444-555555555555",
       .resource_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/"
                      "virtualMachines/vm",
       .region = "eastus",
       .user_agent = "amahost/0.1.0 (Linux; x64)"},
      "tok.en-_~+/=", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", std::string("\x78\x9c\x03\x00", 4),
      std::chrono::milliseconds(1234));
  CHECK(request.method == "POST");
  CHECK(request.url ==
        "https://ws.ods.opinsights.azure.com/OperationalData.svc/"
        "PostJsonDataItems?api-version=2016-04-01");
  CHECK(request.body == std::string("\x78\x9c\x03\x00", 4));
  CHECK(request.timeout == std::chrono::milliseconds(1234));
  std::vector<std::pair<std::string, std::string>> headers;
  for (const base::HttpHeader& header : request.headers)
    headers.emplace_back(header.name, header.value);
  std::vector<std::pair<std::string, std::string>> expected = {
      {"Authorization", "Bearer tok.en-_~+/="},
      {"Content-Type", "application/json"},
      {"Content-Encoding", "deflate"},
      {"x-ms-AzureResourceId",
       "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"},
      {"x-ms-AzureRegion", "eastus"},
      {"x-ms-UUID", "11111111-2222-3333-4444-555555555555"},
      {"X-Request-ID", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"},
      {"User-Agent", "amahost/0.1.0 (Linux; x64)"},
  };
  CHECK(headers == expected);
}
