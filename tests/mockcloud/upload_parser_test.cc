#include "mockcloud/upload_parser.h"

#include <catch2/catch.hpp>

#include "codec/compression.h"
#include "codec/json_parse.h"

namespace mockcloud {
namespace {

std::string Zlib(std::string_view data) { return codec::Compress(data, codec::Compression::kZlib); }

std::vector<std::string> Texts(const DataItems& items) {
  REQUIRE(items.has_texts);
  REQUIRE(items.ends.size() == items.count);
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < items.count; ++i) texts.emplace_back(items.Text(i));
  return texts;
}
std::string Gzip(std::string_view data) { return codec::Compress(data, codec::Compression::kGzip); }

Request Upload(std::string body, std::string encoding = "deflate",
               std::string type = "application/json") {
  Request request;
  request.method = "POST";
  request.path = "/OperationalData.svc/PostJsonDataItems";
  if (!type.empty()) request.headers.push_back({"Content-Type", type});
  if (!encoding.empty()) request.headers.push_back({"Content-Encoding", encoding});
  request.body = encoding == "deflate" ? Zlib(body) : encoding == "gzip" ? Gzip(body) : body;
  return request;
}

const char kGood[] =
    R"({"DataType":"CONFIG_CHANGE_BLOB_V2","IPName":"ChangeTracking","ManagementGroupId":"x",)"
    R"("DataItems":[{"a":1},{"b":{"c":[true,null,"\u00e9"]}}]})";

TEST_CASE("ParseOdsUpload extracts DataType, IPName and each DataItem", "[upload]") {
  for (const char* encoding : {"deflate", "", "identity", "Deflate"}) {
    CAPTURE(encoding);
    OdsUpload upload;
    UploadError error;
    Request request = Upload(kGood, encoding);
    if (std::string_view(encoding) == "Deflate") request.body = Zlib(kGood);
    REQUIRE(ParseOdsUpload(request, UploadLimits{}, &upload, &error));
    CHECK(upload.data_type == "CONFIG_CHANGE_BLOB_V2");
    CHECK(upload.ip_name == "ChangeTracking");
    CHECK(Texts(upload.items) ==
          std::vector<std::string>{R"({"a":1})", "{\"b\":{\"c\":[true,null,\"\xc3\xa9\"]}}"});
    CHECK(upload.json_bytes == std::string_view(kGood).size());
  }
  OdsUpload upload;
  UploadError error;
  CHECK(ParseOdsUpload(Upload(kGood, "deflate", "Application/JSON; charset=utf-8"), UploadLimits{},
                       &upload, &error));
  CHECK(ParseOdsUpload(Upload(R"({"DataType":"A","IPName":"B","DataItems":[]})"), UploadLimits{},
                       &upload, &error));
  CHECK(upload.items.count == 0);
}

TEST_CASE("ParseOdsUpload writes items as a DOM would, whatever the JSON looks like", "[upload]") {
  // Whitespace, escapes, numbers of every kind, nested containers, a repeated key, unicode.
  const std::string body =
      "{ \"DataItems\" : [ {\"a\" : [1, -2, 3.5e2, 18446744073709551615, -9223372036854775808,"
      " 0.1, 1E-7], \"b\\u0041\":\"x\\ny\\\"z\\/\\u00e9\\ud83d\\ude00\"} ,"
      " {\"c\":{\"d\":{}},\"e\":[[],[{}]],\"f\":null,\"g\":true,\"g\":false} ] ,"
      " \"DataType\":\"A\", \"IPName\":\"B\", \"DataType\":\"ignored\" }";
  OdsUpload upload;
  UploadError error;
  REQUIRE(ParseOdsUpload(Upload(body), UploadLimits{}, &upload, &error));
  CHECK(upload.data_type == "A");
  rapidjson::Document document;
  document.Parse(body.data(), body.size());
  REQUIRE_FALSE(document.HasParseError());
  std::vector<std::string> expected;
  for (const rapidjson::Value& item : document["DataItems"].GetArray()) {
    expected.push_back(codec::CompactJson(item));
  }
  CHECK(Texts(upload.items) == expected);
}

TEST_CASE("Counting items gives the same verdicts as keeping them", "[upload]") {
  const std::vector<std::string> bodies = {
      kGood,
      R"({"DataType":"A","IPName":"B","DataItems":[]})",
      R"({"DataType":"A","IPName":"B","DataItems":[{},{},{"x":[1,{"y":2}]}]})",
      "{\"DataType\":",
      std::string(kGood) + "x",
      std::string(100, '[') + std::string(100, ']'),
      "[]",
      R"({"IPName":"B","DataItems":[]})",
      R"({"DataType":5,"IPName":"B","DataItems":[]})",
      R"({"DataType":{},"IPName":"B","DataItems":[]})",
      R"({"DataType":"","IPName":"B","DataItems":[]})",
      R"({"DataType":"a:b","IPName":"B","DataItems":[]})",
      R"({"DataType":"A","DataItems":[]})",
      R"({"DataType":"A","IPName":"B"})",
      R"({"DataType":"A","IPName":"B","DataItems":{}})",
      R"({"DataType":"A","IPName":"B","DataItems":[{},3]})",
      R"({"DataType":"A","IPName":"B","DataItems":[{},[{}],{}]})",
      R"({"DataType":"A","IPName":"B","DataItems":[{}],"DataItems":3})",
      R"({"DataType":"A","IPName":"B","DataItems":[{"s":"\udc00"}]})",
      "{\"DataType\":\"A\",\"IPName\":\"B\",\"DataItems\":[{\"s\":\"\xff\"}]}",
      R"({"DataType":"A","IPName":"B","DataItems":[{"s":")" + std::string(1, '\0') + R"("}]})",
      "  ",
      "",
  };
  for (const std::string& body : bodies) {
    CAPTURE(body);
    OdsUpload kept;
    OdsUpload counted;
    UploadError kept_error;
    UploadError counted_error;
    std::string scratch = "left over from an earlier call";
    bool kept_ok = ParseOdsUpload(Upload(body), UploadLimits{}, &kept, &kept_error);
    bool counted_ok = ParseOdsUpload(Upload(body), UploadLimits{}, &counted, &counted_error,
                                     ItemCapture::kCountOnly, &scratch);
    REQUIRE(kept_ok == counted_ok);
    if (kept_ok) {
      CHECK(counted.items.count == kept.items.count);
      CHECK_FALSE(counted.items.has_texts);
      CHECK(counted.items.text.empty());
      CHECK(counted.data_type == kept.data_type);
      CHECK(counted.json_bytes == kept.json_bytes);
    } else {
      CHECK(counted_error.status == kept_error.status);
      CHECK(counted_error.code == kept_error.code);
      CHECK(counted_error.message == kept_error.message);
    }
  }
}

TEST_CASE("ParseOdsUpload says exactly what is wrong", "[upload]") {
  struct Case {
    const char* name;
    Request request;
    int status;
    const char* code;
    const char* message_part;
  };
  Request raw_deflate = Upload(kGood);
  // Raw deflate: the zlib stream without its 2-byte header and 4-byte Adler-32 trailer.
  std::string zlib = Zlib(kGood);
  raw_deflate.body = zlib.substr(2, zlib.size() - 6);
  const std::vector<Case> cases = {
      {"no content type", Upload(kGood, "deflate", ""), 400, "MissingContentType", "Content-Type"},
      {"xml", Upload(kGood, "deflate", "application/xml; charset=utf-8"), 400,
       "UnsupportedContentType", "application/xml"},
      {"gzip", Upload(kGood, "gzip"), 400, "UnsupportedContentEncoding", "gzip"},
      {"raw deflate", raw_deflate, 400, "InvalidContentEncoding", "zlib (RFC 1950)"},
      {"not deflated", Upload(kGood, "none-really"), 400, "UnsupportedContentEncoding", "none"},
      {"bad JSON", Upload("{\"DataType\":"), 400, "InvalidDataFormat", "invalid JSON at byte"},
      {"trailing garbage", Upload(std::string(kGood) + "x"), 400, "InvalidDataFormat",
       "invalid JSON"},
      {"too deep", Upload(std::string(100, '[') + std::string(100, ']')), 400, "InvalidDataFormat",
       "nested deeper"},
      {"array body", Upload("[]"), 400, "InvalidDataFormat", "must be a JSON object"},
      {"missing DataType", Upload(R"({"IPName":"B","DataItems":[]})"), 400, "InvalidDataType",
       "\"DataType\" is missing"},
      {"numeric DataType", Upload(R"({"DataType":5,"IPName":"B","DataItems":[]})"), 400,
       "InvalidDataType", "\"DataType\" must be a string"},
      {"empty DataType", Upload(R"({"DataType":"","IPName":"B","DataItems":[]})"), 400,
       "InvalidDataType", "\"DataType\" is empty"},
      {"stream id as DataType",
       Upload(R"({"DataType":"dcr-1:CT:CONFIG_CHANGE_BLOB_V2","IPName":"B","DataItems":[]})"), 400,
       "InvalidDataType", "not a stream id"},
      {"missing IPName", Upload(R"({"DataType":"A","DataItems":[]})"), 400, "InvalidIPName",
       "\"IPName\" is missing"},
      {"missing DataItems", Upload(R"({"DataType":"A","IPName":"B"})"), 400, "InvalidDataFormat",
       "\"DataItems\" is missing"},
      {"DataItems not an array", Upload(R"({"DataType":"A","IPName":"B","DataItems":{}})"), 400,
       "InvalidDataFormat", "\"DataItems\" must be an array"},
      {"an item not an object", Upload(R"({"DataType":"A","IPName":"B","DataItems":[{},3]})"), 400,
       "InvalidDataFormat", "DataItems[1] is not a JSON object"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      OdsUpload upload;
      UploadError error;
      REQUIRE_FALSE(ParseOdsUpload(c.request, UploadLimits{}, &upload, &error));
      CHECK(error.status == c.status);
      CHECK(error.code == c.code);
      CHECK_THAT(error.message, Catch::Contains(c.message_part));
    }
  }
}

TEST_CASE("ParseOdsUpload bounds the inflated size", "[upload]") {
  UploadLimits limits;
  limits.max_ods_inflated = 64;
  OdsUpload upload;
  UploadError error;
  REQUIRE_FALSE(ParseOdsUpload(Upload(kGood), limits, &upload, &error));
  CHECK(error.status == 413);
}

TEST_CASE("ParseLogsUpload takes a gzip or plain JSON array of objects up to 1 MB", "[upload]") {
  LogsUpload items;
  UploadError error;
  REQUIRE(ParseLogsUpload(Upload(R"([{"a":1},{"b":2}])", "gzip"), UploadLimits{}, &items, &error));
  CHECK(Texts(items.items) == std::vector<std::string>{R"({"a":1})", R"({"b":2})"});
  REQUIRE(ParseLogsUpload(Upload(R"([{"a":1}])", ""), UploadLimits{}, &items, &error));
  CHECK(items.items.count == 1);
  REQUIRE(ParseLogsUpload(Upload(R"([{"a":1},{}])", "gzip"), UploadLimits{}, &items, &error,
                          ItemCapture::kCountOnly));
  CHECK(items.items.count == 2);
  CHECK(items.json_bytes == 12);

  CHECK_FALSE(ParseLogsUpload(Upload(R"({"a":1})", "gzip"), UploadLimits{}, &items, &error));
  CHECK_THAT(error.message, Catch::Contains("JSON array"));
  CHECK_FALSE(ParseLogsUpload(Upload(R"([1])", "gzip"), UploadLimits{}, &items, &error));
  CHECK_THAT(error.message, Catch::Contains("body[0] is not a JSON object"));
  CHECK_FALSE(ParseLogsUpload(Upload(R"([{}])", "deflate"), UploadLimits{}, &items, &error));
  CHECK(error.code == "UnsupportedContentEncoding");

  // Over 1 MB once decompressed, though far smaller on the wire.
  std::string big = "[{\"x\":\"" + std::string(1024 * 1024, 'x') + "\"}]";
  CHECK_FALSE(ParseLogsUpload(Upload(big, "gzip"), UploadLimits{}, &items, &error));
  CHECK(error.status == 413);
  CHECK_FALSE(ParseLogsUpload(Upload(big, ""), UploadLimits{}, &items, &error));
  CHECK(error.status == 413);
  CHECK_FALSE(ParseLogsUpload(Upload(big, "gzip"), UploadLimits{}, &items, &error,
                              ItemCapture::kCountOnly));
  CHECK(error.status == 413);

  // Exactly 1 MiB, as sent and once decompressed, is accepted; one byte more is not.
  for (bool compress : {false, true}) {
    CAPTURE(compress);
    std::string exact = "[{\"x\":\"" + std::string(1024 * 1024 - 10, 'x') + "\"}]";
    REQUIRE(exact.size() == 1024 * 1024);
    CHECK(ParseLogsUpload(Upload(exact, compress ? "gzip" : ""), UploadLimits{}, &items, &error));
    std::string over = "[{\"x\":\"" + std::string(1024 * 1024 - 9, 'x') + "\"}]";
    CHECK_FALSE(
        ParseLogsUpload(Upload(over, compress ? "gzip" : ""), UploadLimits{}, &items, &error));
    CHECK(error.status == 413);
  }
}

}  // namespace
}  // namespace mockcloud
