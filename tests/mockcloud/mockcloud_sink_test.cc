// mockcloud as a sink, as a user tries it: --memory, --discard, --seed, --threads and the headers
// /_mock/requests records, against the real process over verified HTTPS.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "httpclient/curl_http_client.h"
#include "mockcloud/mockcloud_fixture.h"
#include "mockcloud/upload_requests.h"

namespace {

using mockcloud_test::Compact;
using mockcloud_test::ErrorCode;
using mockcloud_test::OdsBody;
using mockcloud_test::OdsHeaders;
using mockcloud_test::ParseJsonText;
using mockcloud_test::PostLogs;
using mockcloud_test::PostOds;
using testing::MockCloudProcess;

// /_mock/requests without what differs from one process to the next: the time, and the Host
// header (it names the port).
std::string ComparableRequests(MockCloudProcess& cloud) {
  rapidjson::Document requests = cloud.Requests();
  for (rapidjson::Value& request : requests["requests"].GetArray()) {
    request.RemoveMember("time");
    request["headers"].RemoveMember("Host");
  }
  return Compact(requests);
}

// /_mock/stats without the name of the store.
std::string ComparableStats(MockCloudProcess& cloud) {
  rapidjson::Document stats = cloud.Stats();
  stats.RemoveMember("store");
  return Compact(stats);
}

std::string Get(MockCloudProcess& cloud, const std::string& path) {
  base::HttpResponse response = cloud.Send("GET", path);
  REQUIRE(response.status == 200);
  return response.body;
}

// The same mix of uploads for every mode; returns the statuses answered, in order.
std::vector<int> SendMix(MockCloudProcess& cloud, const std::string& token) {
  std::vector<int> statuses;
  statuses.push_back(
      PostOds(cloud, token, OdsBody("TYPE_X", R"([{"a":1},{"a":"two"}])"), "req-1").status);
  statuses.push_back(PostOds(cloud, token, OdsBody("TYPE_Y", R"([{"b":[1,2]}])"), "req-2").status);
  statuses.push_back(
      PostOds(cloud, token, OdsBody("TYPE_X", R"([{"a":1},{"a":"two"}])"), "req-1").status);
  statuses.push_back(PostOds(cloud, token, "{\"DataType\":", "req-3").status);
  statuses.push_back(PostOds(cloud, "", OdsBody("TYPE_X", "[{}]"), "req-4").status);
  statuses.push_back(
      PostLogs(cloud, token, "Custom-Logs", R"([{"RawData":"a"},{"RawData":"b"}])", "cid-1")
          .status);
  statuses.push_back(
      PostLogs(cloud, token, "Custom-Logs", R"([{"RawData":"a"},{"RawData":"b"}])", "cid-1")
          .status);
  statuses.push_back(PostLogs(cloud, token, "Custom-Logs", R"({"RawData":"a"})", "cid-2").status);
  statuses.push_back(PostOds(cloud, token, OdsBody("TYPE_X", R"([{"a":3}])"), "req-5").status);
  return statuses;
}

const std::vector<int> kMixStatuses = {200, 200, 200, 400, 401, 204, 204, 400, 200};

TEST_CASE("mockcloud --memory answers items, requests and duplicates as SQLite does",
          "[process][sink]") {
  MockCloudProcess sqlite;
  MockCloudProcess memory({.memory = true});
  CHECK(SendMix(sqlite, sqlite.IngestionToken()) == kMixStatuses);
  CHECK(SendMix(memory, memory.IngestionToken()) == kMixStatuses);

  for (const char* path :
       {"/_mock/items", "/_mock/items?dataType=TYPE_X", "/_mock/items?dataType=Custom-Logs",
        "/_mock/items?dataType=NONE", "/_mock/items?offset=1&limit=2",
        "/_mock/items?dataType=TYPE_X&offset=1&limit=1", "/_mock/items?offset=99",
        "/_mock/items?limit=0"}) {
    CAPTURE(path);
    CHECK(Get(memory, path) == Get(sqlite, path));
  }
  CHECK(memory.ItemCount() == 6);
  CHECK(ComparableRequests(memory) == ComparableRequests(sqlite));
  CHECK(ComparableStats(memory) == ComparableStats(sqlite));
  rapidjson::Document stats = memory.Stats();
  CHECK(std::string(stats["store"].GetString()) == "memory");
  CHECK(stats["duplicates"].GetInt() == 2);
  CHECK(std::string(sqlite.Stats()["store"].GetString()) == "sqlite");

  // Nothing on disk; a reset empties it as it empties items.db.
  CHECK_FALSE(std::filesystem::exists(memory.state_dir() / "items.db"));
  CHECK(std::filesystem::exists(sqlite.state_dir() / "items.db"));
  memory.Reset();
  sqlite.Reset();
  CHECK(ComparableStats(memory) == ComparableStats(sqlite));
  CHECK(memory.ItemCount() == 0);
  // A request id accepted before the reset is new again.
  std::string token = memory.IngestionToken();
  CHECK(PostOds(memory, token, OdsBody("TYPE_X", "[{}]"), "req-1").status == 200);
  CHECK(memory.ItemCount() == 1);

  // What --memory kept is gone with the process.
  memory.Restart();
  CHECK(memory.ItemCount() == 0);
  CHECK(memory.Requests()["count"].GetInt() == 0);
  CHECK_FALSE(std::filesystem::exists(memory.state_dir() / "items.db"));
}

// A request to send to a normal and a discarding mockcloud, which must answer it alike.
struct Probe {
  const char* name;
  std::string path;
  std::vector<base::HttpHeader> headers;
  std::string body;
};

std::vector<Probe> Probes(const std::string& token) {
  auto zlib = [](std::string_view text) {
    return codec::Compress(text, codec::Compression::kZlib);
  };
  auto gzip = [](std::string_view text) {
    return codec::Compress(text, codec::Compression::kGzip);
  };
  const std::string good = OdsBody("TYPE_X", R"([{"a":1},{"b":{"c":[true,null]}}])");
  const std::string ods = mockcloud_test::kOdsPath;
  const std::string logs = mockcloud_test::LogsPath("Custom-Logs");
  auto ods_headers = [&](std::string encoding = "deflate", std::string type = "application/json") {
    std::vector<base::HttpHeader> headers = {{"Authorization", "Bearer " + token}};
    if (!encoding.empty()) headers.push_back({"Content-Encoding", encoding});
    if (!type.empty()) headers.push_back({"Content-Type", type});
    return headers;
  };
  std::string zlib_good = zlib(good);
  // Random hex does not compress: a gzip body over 1 MiB as sent.
  std::string noise = "[{\"x\":\"";
  for (std::uint64_t state = 1; noise.size() < 2400000;) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    noise += "0123456789abcdef"[state >> 60];
  }
  noise += "\"}]";
  std::string big_plain = "[{\"x\":\"" + std::string(1024 * 1024, 'x') + "\"}]";
  return {
      {"good", ods, ods_headers(), zlib_good},
      {"good, plain", ods, ods_headers(""), good},
      {"good, empty DataItems", ods, ods_headers(), zlib(OdsBody("TYPE_X", "[]"))},
      {"no api-version", "/OperationalData.svc/PostJsonDataItems", ods_headers(), zlib_good},
      {"wrong api-version", "/OperationalData.svc/PostJsonDataItems?api-version=2015-01-01",
       ods_headers(), zlib_good},
      {"no token",
       ods,
       {{"Content-Type", "application/json"}, {"Content-Encoding", "deflate"}},
       zlib_good},
      {"unknown token",
       ods,
       {{"Authorization", "Bearer a.b.c"},
        {"Content-Type", "application/json"},
        {"Content-Encoding", "deflate"}},
       zlib_good},
      {"no Content-Type", ods, ods_headers("deflate", ""), zlib_good},
      {"xml", ods, ods_headers("deflate", "application/xml"), zlib_good},
      {"gzip to ODS", ods, ods_headers("gzip"), gzip(good)},
      {"raw deflate", ods, ods_headers(), zlib_good.substr(2, zlib_good.size() - 6)},
      {"truncated zlib", ods, ods_headers(), zlib_good.substr(0, zlib_good.size() / 2)},
      {"bytes after the zlib stream", ods, ods_headers(), zlib_good + "x"},
      {"bad JSON", ods, ods_headers(), zlib("{\"DataType\":")},
      {"trailing garbage", ods, ods_headers(), zlib(good + "]")},
      {"too deep", ods, ods_headers(), zlib(std::string(70, '[') + std::string(70, ']'))},
      {"array body", ods, ods_headers(), zlib("[]")},
      {"missing DataType", ods, ods_headers(), zlib(R"({"IPName":"B","DataItems":[]})")},
      {"stream id as DataType", ods, ods_headers(),
       zlib(R"({"DataType":"a:b","IPName":"B","DataItems":[]})")},
      {"DataItems not an array", ods, ods_headers(),
       zlib(R"({"DataType":"A","IPName":"B","DataItems":{}})")},
      {"an item not an object", ods, ods_headers(),
       zlib(R"({"DataType":"A","IPName":"B","DataItems":[{},[]]})")},
      {"a lone surrogate", ods, ods_headers(),
       zlib(R"({"DataType":"A","IPName":"B","DataItems":[{"s":"\udc00"}]})")},
      {"invalid UTF-8", ods, ods_headers(),
       zlib("{\"DataType\":\"A\",\"IPName\":\"B\",\"DataItems\":[{\"s\":\"\xc3\"}]}")},
      {"logs good", logs, ods_headers("gzip"), gzip(R"([{"RawData":"a"},{"RawData":"b"}])")},
      {"logs plain", logs, ods_headers(""), R"([{"RawData":"c"}])"},
      {"logs preview api-version",
       mockcloud_test::LogsPath("Custom-Logs", "dcr-1", "2021-11-01-preview"), ods_headers("gzip"),
       gzip(R"([{}])")},
      {"logs wrong api-version", mockcloud_test::LogsPath("Custom-Logs", "dcr-1", "2016-04-01"),
       ods_headers("gzip"), gzip(R"([{}])")},
      {"logs no token", logs, {{"Content-Type", "application/json"}}, R"([{}])"},
      {"logs deflate", logs, ods_headers("deflate"), zlib(R"([{}])")},
      {"logs object", logs, ods_headers("gzip"), gzip(R"({"RawData":"a"})")},
      {"logs element not an object", logs, ods_headers("gzip"), gzip(R"([{},"x"])")},
      {"logs bad gzip", logs, ods_headers("gzip"), "not gzip"},
      {"logs over 1 MiB as sent", logs, ods_headers("gzip"), gzip(noise)},
      {"logs over 1 MiB decompressed", logs, ods_headers("gzip"), gzip(big_plain)},
      {"logs over 1 MiB plain", logs, ods_headers(""), big_plain},
  };
}

TEST_CASE("mockcloud --discard counts items and refuses what normal mode refuses",
          "[process][sink]") {
  MockCloudProcess normal;
  MockCloudProcess discard({.discard = true});
  std::string normal_token = normal.IngestionToken();
  std::string discard_token = discard.IngestionToken();
  std::vector<Probe> normal_probes = Probes(normal_token);
  std::vector<Probe> discard_probes = Probes(discard_token);
  int refused = 0;
  for (std::size_t i = 0; i < normal_probes.size(); ++i) {
    CAPTURE(normal_probes[i].name);
    base::HttpResponse expected =
        normal.Send("POST", normal_probes[i].path, normal_probes[i].body, normal_probes[i].headers);
    base::HttpResponse answered = discard.Send("POST", discard_probes[i].path,
                                               discard_probes[i].body, discard_probes[i].headers);
    CHECK(answered.status == expected.status);
    CHECK(ErrorCode(answered) == ErrorCode(expected));
    if (expected.status >= 400) ++refused;
  }
  CHECK(refused >= 25);  // the probes really probe

  // The same counts, bytes included; only the items themselves are gone.
  CHECK(ComparableStats(discard) == ComparableStats(normal));
  rapidjson::Document stats = discard.Stats();
  CHECK(std::string(stats["store"].GetString()) == "discard");
  CHECK(stats["items"].GetInt() == 8);
  CHECK(stats["dataTypes"]["TYPE_X"].GetInt() == 4);
  CHECK(stats["dataTypes"]["Custom-Logs"].GetInt() == 4);
  CHECK(stats["bytes"].GetUint64() > 0);
  CHECK(stats["compressedBytes"].GetUint64() > 0);
  CHECK(stats["bytes"].GetUint64() != stats["compressedBytes"].GetUint64());

  rapidjson::Document items = ParseJsonText(Get(discard, "/_mock/items?dataType=TYPE_X"));
  CHECK(items["count"].GetInt() == 4);
  CHECK(items["items"].Size() == 0);
  CHECK(items["discarded"].GetBool());
  CHECK_THAT(items["message"].GetString(), Catch::Contains("--discard"));
  CHECK(discard.ItemCount() == 8);
  CHECK(discard.Requests()["count"].GetInt() == static_cast<int>(discard_probes.size()));
  CHECK_FALSE(std::filesystem::exists(discard.state_dir() / "items.db"));

  // Request ids are still known: a retry is a duplicate, counted once.
  std::string body = OdsBody("TYPE_Z", R"([{"z":1},{"z":2},{"z":3}])");
  CHECK(PostOds(discard, discard_token, body, "same-id").status == 200);
  CHECK(PostOds(discard, discard_token, body, "same-id").status == 200);
  CHECK(PostLogs(discard, discard_token, "Custom-Z", R"([{}])", "same-cid").status == 204);
  CHECK(PostLogs(discard, discard_token, "Custom-Z", R"([{}])", "same-cid").status == 204);
  stats = discard.Stats();
  CHECK(stats["dataTypes"]["TYPE_Z"].GetInt() == 3);
  CHECK(stats["dataTypes"]["Custom-Z"].GetInt() == 1);
  CHECK(stats["duplicates"].GetInt() == 2);
  rapidjson::Document requests = discard.Requests();
  const rapidjson::Value& list = requests["requests"];
  CHECK(list[list.Size() - 1]["duplicate"].GetBool());
  CHECK(list[list.Size() - 1]["itemCount"].GetInt() == 1);
}

// The statuses of `count` uploads to `cloud`, one after the other; with `interleave`, a token
// request and a control-plane request (which no fault targets) between them.
std::string FaultPattern(MockCloudProcess& cloud, int count, bool interleave) {
  std::string token = cloud.IngestionToken();
  std::string pattern;
  for (int i = 0; i < count; ++i) {
    if (interleave) {
      cloud.IngestionToken();
      cloud.Send("GET", std::string(mockcloud_test::kVmPath) + "/agentConfigurations");
    }
    int status = PostOds(cloud, token, OdsBody("TYPE_X", "[{}]")).status;
    REQUIRE((status == 200 || status == 503));
    pattern += status == 200 ? '.' : 'F';
  }
  return pattern;
}

TEST_CASE("mockcloud --seed gives the same requests the same faults", "[process][sink]") {
  const MockCloudProcess::Fault half = {
      .target = "ods", .status = 503, .count = 1000, .probability = 0.5};
  MockCloudProcess first({.seed = 42});
  first.SetFault(half);
  std::string pattern = FaultPattern(first, 40, false);
  INFO(pattern);
  // Both kinds, or the comparisons below would prove little.
  CHECK(pattern.find('F') != std::string::npos);
  CHECK(pattern.find('.') != std::string::npos);

  // After a reset, the same draws again, whatever requests no fault targets come between.
  first.Reset();
  first.SetFault(half);
  CHECK(FaultPattern(first, 40, true) == pattern);

  // Another process with the same seed; another seed gives another pattern.
  MockCloudProcess second({.seed = 42});
  second.SetFault(half);
  CHECK(FaultPattern(second, 40, false) == pattern);
  MockCloudProcess other({.seed = 43});
  other.SetFault(half);
  CHECK(FaultPattern(other, 40, false) != pattern);
}

TEST_CASE("mockcloud records each upload's headers as sent, Authorization redacted",
          "[process][sink]") {
  for (bool memory : {false, true}) {
    CAPTURE(memory);
    MockCloudProcess cloud({.memory = memory});
    std::string token = cloud.IngestionToken();
    std::vector<base::HttpHeader> headers = OdsHeaders(token, "req-h");
    headers.push_back({"X-Custom-Thing", "a value"});
    headers.push_back({"X-Twice", "1"});
    headers.push_back({"x-TWICE", "2"});
    std::string body =
        codec::Compress(OdsBody("TYPE_X", R"([{"a":1}])"), codec::Compression::kZlib);
    REQUIRE(cloud.Send("POST", mockcloud_test::kOdsPath, body, headers).status == 200);
    // Refused ones too, and a scheme-less credential.
    REQUIRE(cloud
                .Send("POST", mockcloud_test::kOdsPath, body,
                      {{"Authorization", token}, {"Content-Type", "application/json"}})
                .status == 401);

    base::HttpResponse listed = cloud.Send("GET", "/_mock/requests");
    CHECK(listed.body.find(token) == std::string::npos);
    CHECK(cloud.Log().find(token) == std::string::npos);
    rapidjson::Document requests = ParseJsonText(listed.body);
    REQUIRE(requests["count"].GetInt() == 2);
    const rapidjson::Value& recorded = requests["requests"][0]["headers"];
    CHECK(std::string(recorded["Authorization"].GetString()) == "Bearer <redacted>");
    CHECK(std::string(recorded["X-Request-ID"].GetString()) == "req-h");
    CHECK(std::string(recorded["x-ms-AzureResourceId"].GetString()) == mockcloud_test::kVmPath);
    CHECK(std::string(recorded["Content-Encoding"].GetString()) == "deflate");
    CHECK(std::string(recorded["X-Custom-Thing"].GetString()) == "a value");
    CHECK(std::string(recorded["X-Twice"].GetString()) == "1, 2");
    CHECK_FALSE(recorded.HasMember("x-TWICE"));
    CHECK(std::string(recorded["Content-Length"].GetString()) == std::to_string(body.size()));
    CHECK(requests["requests"][0]["compressedBytes"].GetUint64() == body.size());
    CHECK(requests["requests"][0]["bytes"].GetUint64() == OdsBody("TYPE_X", R"([{"a":1}])").size());
    CHECK(std::string(requests["requests"][1]["headers"]["Authorization"].GetString()) ==
          "<redacted>");

    if (!memory) {
      // Kept in items.db like the rest.
      cloud.Restart();
      CHECK(std::string(cloud.Requests()["requests"][0]["headers"]["X-Custom-Thing"].GetString()) ==
            "a value");
    }
  }
}

TEST_CASE("mockcloud counts every item of parallel uploads on many connections exactly",
          "[process][sink]") {
  constexpr int kClients = 8;
  constexpr int kUploads = 12;
  constexpr int kItems = 50;
  for (const MockCloudProcess::Options& options :
       {MockCloudProcess::Options{.threads = 4}, MockCloudProcess::Options{.memory = true},
        MockCloudProcess::Options{.discard = true, .threads = 3}}) {
    CAPTURE(options.memory, options.discard, options.threads);
    MockCloudProcess cloud(options);
    std::string token = cloud.IngestionToken();
    // Exactly this many uploads are refused, whichever connections they come from.
    cloud.SetFault({.target = "ods", .status = 503, .count = 10});
    std::string items = "[";
    for (int i = 0; i < kItems; ++i)
      items += (i > 0 ? ",{\"i\":" : "{\"i\":") + std::to_string(i) + "}";
    items += "]";
    std::atomic<int> ok{0};
    std::atomic<int> faulted{0};
    std::atomic<int> other{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        // A client (and so a connection) of its own per thread.
        httpclient::CurlHttpClient client({.ca_file = cloud.ca_file()});
        std::string type = "TYPE_" + std::to_string(c % 2);
        std::string body = codec::Compress(OdsBody(type, items), codec::Compression::kZlib);
        for (int u = 0; u < kUploads; ++u) {
          std::string id = "client-" + std::to_string(c) + "-" + std::to_string(u);
          base::HttpRequest request;
          request.method = "POST";
          request.url = cloud.base_url() + mockcloud_test::kOdsPath;
          request.headers = OdsHeaders(token, id);
          request.body = body;
          // Retried until accepted, as an uploader would; every third one once more after it.
          for (int attempt = 0; attempt < (u % 3 == 0 ? 2 : 1);) {
            base::HttpResponse response;
            if (client.Send(request, &response)) {
              ++other;
              break;
            }
            if (response.status == 503) {
              ++faulted;
              continue;
            }
            if (response.status == 200) {
              ++ok;
            } else {
              ++other;
            }
            ++attempt;
          }
        }
      });
    }
    for (std::thread& client : clients) client.join();

    const int retries = kClients * ((kUploads + 2) / 3);
    CHECK(other == 0);
    CHECK(faulted == 10);
    CHECK(ok == kClients * kUploads + retries);
    rapidjson::Document stats = cloud.Stats();
    CHECK(stats["requests"].GetInt() == kClients * kUploads + retries + 10);
    CHECK(stats["accepted"].GetInt() == kClients * kUploads + retries);
    CHECK(stats["duplicates"].GetInt() == retries);
    CHECK(stats["items"].GetInt() == kClients * kUploads * kItems);
    CHECK(stats["dataTypes"]["TYPE_0"].GetInt() == kClients / 2 * kUploads * kItems);
    CHECK(stats["dataTypes"]["TYPE_1"].GetInt() == kClients / 2 * kUploads * kItems);
    CHECK(stats["faultsFired"].GetInt() == 10);
    CHECK(cloud.ItemCount() == static_cast<std::size_t>(kClients * kUploads * kItems));
    if (!options.discard) {
      // Every upload's items together, in one piece each.
      rapidjson::Document kept = cloud.ItemsDocument("TYPE_1");
      REQUIRE(kept.Size() == static_cast<rapidjson::SizeType>(kClients / 2 * kUploads * kItems));
      for (rapidjson::SizeType i = 0; i < kept.Size(); ++i) {
        CHECK(kept[i]["i"].GetInt() == static_cast<int>(i % kItems));
      }
    }
  }
}

}  // namespace
