// The Logs Ingestion endpoint of a real mockcloud, checked as the ODS one is: api-version, bearer
// token, gzip, JSON array of objects, 1 MiB as sent and decompressed, 204, duplicates.

#include <catch2/catch.hpp>
#include <string>

#include "mockcloud/mockcloud_fixture.h"
#include "mockcloud/upload_requests.h"

namespace {

using mockcloud_test::ErrorCode;
using mockcloud_test::LogsPath;
using mockcloud_test::ParseJsonText;
using mockcloud_test::PostLogs;
using testing::MockCloudProcess;

// A JSON array of one object whose text is exactly `size` bytes long.
std::string ArrayOfSize(std::size_t size) {
  std::string head = "[{\"x\":\"";
  std::string tail = "\"}]";
  return head + std::string(size - head.size() - tail.size(), 'x') + tail;
}

// A JSON array of `size` bytes that gzip cannot shrink much: pseudo-random hex.
std::string NoiseOfSize(std::size_t size) {
  std::string text = "[{\"x\":\"";
  for (std::uint64_t state = 7; text.size() < size - 3;) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    text += "0123456789abcdef"[state >> 60];
  }
  return text + "\"}]";
}

TEST_CASE("mockcloud answers a good Logs Ingestion upload 204 and keeps its items",
          "[process][logs]") {
  MockCloudProcess cloud;
  std::string token = cloud.IngestionToken();
  base::HttpResponse response = PostLogs(cloud, token, "Custom-MyTable_CL",
                                         R"([{"TimeGenerated":"2026-11-22T10:00:00Z",)"
                                         R"("RawData":"a"},{"RawData":"b"}])",
                                         "cid-1");
  CHECK(response.status == 204);
  CHECK(response.body.empty());
  CHECK(cloud.Items("Custom-MyTable_CL") ==
        std::vector<std::string>{R"({"TimeGenerated":"2026-11-22T10:00:00Z","RawData":"a"})",
                                 R"({"RawData":"b"})"});
  // Plain JSON too, and the preview api-version.
  CHECK(PostLogs(cloud, token, "Custom-MyTable_CL", R"([{"RawData":"c"}])", "", false).status ==
        204);
  CHECK(cloud
            .Send("POST", LogsPath("Custom-MyTable_CL", "dcr-1", "2021-11-01-preview"), "[{}]",
                  {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}})
            .status == 204);
  rapidjson::Document requests = cloud.Requests();
  const rapidjson::Value& first = requests["requests"][0];
  CHECK(std::string(first["endpoint"].GetString()) == "logs");
  CHECK(std::string(first["requestId"].GetString()) == "cid-1");
  CHECK(std::string(first["dataType"].GetString()) == "Custom-MyTable_CL");
  CHECK(first["status"].GetInt() == 204);
  CHECK(first["itemCount"].GetInt() == 2);
}

TEST_CASE("mockcloud takes a Logs Ingestion request id once however often it is retried",
          "[process][logs]") {
  for (bool discard : {false, true}) {
    CAPTURE(discard);
    MockCloudProcess cloud({.discard = discard});
    std::string token = cloud.IngestionToken();
    for (int attempt = 0; attempt < 3; ++attempt) {
      CHECK(PostLogs(cloud, token, "Custom-T", R"([{"n":1},{"n":2}])", "same-cid").status == 204);
    }
    // A refused attempt does not count as the first.
    CHECK(PostLogs(cloud, "", "Custom-T", R"([{"n":3}])", "other-cid").status == 401);
    CHECK(PostLogs(cloud, token, "Custom-T", R"([{"n":3}])", "other-cid").status == 204);
    CHECK(cloud.ItemCount("Custom-T") == 3);
    rapidjson::Document stats = cloud.Stats();
    CHECK(stats["duplicates"].GetInt() == 2);
    CHECK(stats["requests"].GetInt() == 5);
    rapidjson::Document requests = cloud.Requests();
    CHECK_FALSE(requests["requests"][0]["duplicate"].GetBool());
    CHECK(requests["requests"][1]["duplicate"].GetBool());
    CHECK(requests["requests"][2]["duplicate"].GetBool());
    CHECK_FALSE(requests["requests"][4]["duplicate"].GetBool());
  }
}

TEST_CASE("mockcloud holds Logs Ingestion to 1 MiB as sent and decompressed", "[process][logs]") {
  MockCloudProcess cloud;
  std::string token = cloud.IngestionToken();
  constexpr std::size_t kMiB = 1024 * 1024;

  SECTION("decompressed") {
    CHECK(PostLogs(cloud, token, "Custom-T", ArrayOfSize(kMiB)).status == 204);
    base::HttpResponse over = PostLogs(cloud, token, "Custom-T", ArrayOfSize(kMiB + 1));
    CHECK(over.status == 413);
    CHECK(ErrorCode(over) == "PayloadTooLarge");
  }
  SECTION("as sent, compressed or not") {
    CHECK(PostLogs(cloud, token, "Custom-T", ArrayOfSize(kMiB), "", false).status == 204);
    CHECK(PostLogs(cloud, token, "Custom-T", ArrayOfSize(kMiB + 1), "", false).status == 413);
    // Over 1 MiB once gzipped (hex holds 4 bits a byte: gzip halves it at best).
    std::string noise = NoiseOfSize(2 * kMiB + kMiB / 4);
    std::string gzipped = codec::Compress(noise, codec::Compression::kGzip);
    REQUIRE(gzipped.size() > kMiB);
    base::HttpResponse over = PostLogs(cloud, token, "Custom-T", noise);
    CHECK(over.status == 413);
    CHECK_THAT(ParseJsonText(over.body)["error"]["message"].GetString(),
               Catch::Contains("Logs Ingestion limit"));
  }
  CHECK(cloud.Stats()["rejected"].GetInt() >= 1);
}

TEST_CASE("mockcloud says what is wrong with a Logs Ingestion upload", "[process][logs]") {
  MockCloudProcess cloud;
  std::string token = cloud.IngestionToken();
  auto post = [&](const std::string& path, std::vector<base::HttpHeader> headers,
                  std::string body) { return cloud.Send("POST", path, body, headers); };
  const std::string path = LogsPath("Custom-T");
  const base::HttpHeader bearer = {"Authorization", "Bearer " + token};
  const base::HttpHeader json = {"Content-Type", "application/json"};
  const base::HttpHeader gzip = {"Content-Encoding", "gzip"};
  const std::string body = codec::Compress("[{}]", codec::Compression::kGzip);

  base::HttpResponse response = post(LogsPath("Custom-T", "dcr-1", ""), {bearer, json, gzip}, body);
  CHECK(response.status == 400);
  CHECK(ErrorCode(response) == "InvalidApiVersion");
  response = post("/dataCollectionRules/dcr-1/streams/Custom-T", {bearer, json, gzip}, body);
  CHECK(ErrorCode(response) == "MissingApiVersion");
  response = post(path, {json, gzip}, body);
  CHECK(response.status == 401);
  CHECK(ErrorCode(response) == "MissingToken");
  REQUIRE(response.FindHeader("WWW-Authenticate") != nullptr);
  response = post(path, {{"Authorization", "Bearer not.a.token"}, json, gzip}, body);
  CHECK(ErrorCode(response) == "InvalidToken");
  // libcurl sends application/x-www-form-urlencoded when told no Content-Type.
  response = post(path, {bearer, gzip}, body);
  CHECK(ErrorCode(response) == "UnsupportedContentType");
  response = post(path, {bearer, json, {"Content-Encoding", "deflate"}},
                  codec::Compress("[{}]", codec::Compression::kZlib));
  CHECK(ErrorCode(response) == "UnsupportedContentEncoding");
  response = post(path, {bearer, json, gzip}, body.substr(0, body.size() - 3));
  CHECK(ErrorCode(response) == "InvalidContentEncoding");
  response = post(path, {bearer, json}, R"({"RawData":"a"})");
  CHECK(response.status == 400);
  CHECK_THAT(ParseJsonText(response.body)["error"]["message"].GetString(),
             Catch::Contains("JSON array"));
  response = post(path, {bearer, json}, R"([{},"a"])");
  CHECK_THAT(ParseJsonText(response.body)["error"]["message"].GetString(),
             Catch::Contains("body[1] is not a JSON object"));
  response = post(path, {bearer, json}, R"([{},)");
  CHECK(ErrorCode(response) == "InvalidDataFormat");
  CHECK(cloud.ItemCount() == 0);
  CHECK(cloud.Stats()["rejected"].GetInt() == 10);
}

}  // namespace
