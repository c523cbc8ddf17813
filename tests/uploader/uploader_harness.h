#ifndef AMAHOST_TESTS_UPLOADER_UPLOADER_HARNESS_H_
#define AMAHOST_TESTS_UPLOADER_UPLOADER_HARNESS_H_

// What the uploader's tests share: routes, entries, a decoder of the bodies sent, and a harness
// with a real store in a temporary folder, the uploader on worker threads of its own and a
// scripted HTTP client at the seam.

#include <catch2/catch.hpp>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/logger.h"
#include "codec/msgpack_writer.h"
#include "inflate.h"
#include "localstore/store.h"
#include "rapidjson/document.h"
#include "support/fake_http_client.h"
#include "support/temp_dir.h"
#include "support/wait.h"
#include "uploader/uploader.h"

namespace uploader_test {

using std::chrono::milliseconds;
using testing::FakeHttpClient;
using testing::HeaderValue;

inline constexpr char kStreamA[] = "dcr-1:CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2";
inline constexpr char kStreamB[] = "dcr-1:CTDataSource-Linux:CONFIG_DATA_BLOB_V2";
inline const std::string kOdsA = "https://ws-a.ods.test";
inline const std::string kOdsB = "https://ws-b.ods.test";
inline const std::string kTokenA = "https://handler.test/ws-a/issueIngestionToken";
inline const std::string kTokenB = "https://handler.test/ws-b/issueIngestionToken";

inline uploader::Route MakeRoute(const std::string& stream_id, const std::string& endpoint,
                                 const std::string& token_uri,
                                 const std::string& protocol = "ods") {
  uploader::Route route;
  route.stream_id = stream_id;
  route.data_type = stream_id.substr(stream_id.rfind(':') + 1);
  route.ip_name = "ChangeTracking";
  route.configuration_id = "dcr-1";
  route.channel_id = "ods-ws";
  route.protocol = protocol;
  route.endpoint = endpoint;
  route.token_endpoint_uri = token_uri;
  return route;
}

inline FakeHttpClient::Answer Token(const std::string& token) {
  return FakeHttpClient::Status(
      200, R"({"configurationId":"dcr-1","ingestionAuthToken":")" + token + "\"}");
}

// `count` entries [time, {"i": first + k}], one stored row.
inline std::string Entries(int first, int count) {
  std::string bytes;
  codec::MsgpackWriter writer(&bytes);
  for (int k = 0; k < count; ++k) {
    writer.Array(2);
    writer.Int(1700000000);
    writer.Map(1);
    writer.Str("i");
    writer.Int(first + k);
  }
  return bytes;
}

// The "i" of every DataItem of an ODS request, in order, and its DataType.
struct Body {
  std::string data_type;
  std::vector<int> items;
};

inline Body Decode(const base::HttpRequest& request) {
  std::string json = Inflate(request.body);
  rapidjson::Document document;
  document.Parse(json.data(), json.size());
  REQUIRE_FALSE(document.HasParseError());
  Body body;
  body.data_type = document["DataType"].GetString();
  for (const auto& item : document["DataItems"].GetArray())
    body.items.push_back(item["i"].GetInt());
  return body;
}

inline std::vector<int> Range(int first, int count) {
  std::vector<int> values;
  for (int k = 0; k < count; ++k) values.push_back(first + k);
  return values;
}

// A real store in a temporary folder, the uploader on a thread of its own, and a scripted
// HTTP client at the seam.
class Harness {
 public:
  explicit Harness(const std::function<void(uploader::UploaderOptions&)>& tweak = {}) {
    localstore::StoreOptions store_options;
    store_options.tables_dir = dir / "Tables";
    store_options.synchronous_full = false;  // a process crash is not what these tests test
    store_options.logger = &logger;
    REQUIRE_FALSE(localstore::Store::Open(store_options, &store));

    options.agent_id = "11111111-2222-3333-4444-555555555555";
    options.resource_id = "/subscriptions/s/resourceGroups/rg/providers/vm";
    options.region = "eastus";
    options.user_agent = "amahost/test (Linux; x64)";
    options.batch_window = milliseconds(1);
    options.retry_base = milliseconds(5);
    options.retry_cap = milliseconds(40);
    options.request_timeout = milliseconds(5000);
    options.logger = &logger;
    if (tweak) tweak(options);
    up = std::make_unique<uploader::Uploader>(options, *store, *async_http, http);
    http.Script(kTokenA, {Token("tok-a")});
    http.Script(kTokenB, {Token("tok-b")});
    http.Script(kOdsA, {FakeHttpClient::Status(200)});
    http.Script(kOdsB, {FakeHttpClient::Status(200)});
  }

  ~Harness() {
    Stop();
    async_http->Stop();
    // The commit thread calls the uploader: it must be gone first.
    store->Close();
  }

  // Commits now tell the uploader, as ama wires them.
  void Connect() {
    store->SetCommitListener([this](const std::string& stream_id) { up->Notify(stream_id); });
  }
  // `workers` threads run the uploader, as ama runs one per core.
  void Start(int workers = 2) {
    for (int i = 0; i < workers; ++i) {
      threads_.emplace_back([this](std::stop_token stop) { up->Run(stop); });
    }
  }
  void Stop() {
    for (std::jthread& thread : threads_) thread.request_stop();
    threads_.clear();
  }
  // As after a crash of the host: the workers and the HTTP client go (what was in flight is
  // never answered), then a new uploader starts on the same store.
  void Restart(int workers = 2) {
    Stop();
    async_http->Stop();
    store->SetCommitListener({});
    up.reset();
    async_http = std::make_unique<testing::FakeAsyncHttpClient>(http);
    up = std::make_unique<uploader::Uploader>(options, *store, *async_http, http);
    Start(workers);
  }

  void Append(const std::string& stream_id, std::string entries, std::uint32_t count) {
    auto done = std::make_shared<std::promise<std::error_code>>();
    std::future<std::error_code> result = done->get_future();
    store->Append({stream_id, std::move(entries), count},
                  [done](std::error_code error) { done->set_value(error); });
    REQUIRE(result.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    REQUIRE_FALSE(result.get());
  }
  void Append(const std::string& stream_id, int first, int count) {
    Append(stream_id, Entries(first, count), static_cast<std::uint32_t>(count));
  }

  std::uint64_t Backlog(const std::string& stream_id) {
    return store->GetBacklog(stream_id).records;
  }
  std::uint64_t Removed(const std::string& stream_id) {
    for (const localstore::StreamStats& stats : store->Stats()) {
      if (stats.stream_id == stream_id) return stats.removed_records;
    }
    return 0;
  }
  // The "i" of every DataItem posted to `ods`, over all its requests, in order.
  std::vector<int> Uploaded(const std::string& ods) {
    std::vector<int> items;
    for (const auto& sent : http.Requests(ods)) {
      for (int i : Decode(sent.request).items) items.push_back(i);
    }
    return items;
  }
  bool WaitEmpty(const std::string& stream_id) {
    return testing::WaitUntil([&] { return Backlog(stream_id) == 0; });
  }

  testing::TempDir dir;
  base::MemoryLogger logger;
  FakeHttpClient http;
  std::unique_ptr<testing::FakeAsyncHttpClient> async_http =
      std::make_unique<testing::FakeAsyncHttpClient>(http);
  std::unique_ptr<localstore::Store> store;
  uploader::UploaderOptions options;
  std::unique_ptr<uploader::Uploader> up;

 private:
  std::vector<std::jthread> threads_;
};

}  // namespace uploader_test

#endif  // AMAHOST_TESTS_UPLOADER_UPLOADER_HARNESS_H_
