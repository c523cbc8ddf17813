// The upload pipeline on a real store: several batches in flight, the memory budget, a failing
// stream's probes, the upload journal across a restart, dead letters, Logs Ingestion parts,
// a route change under a batch waiting for its retry or for its token, and rows left behind by a
// read that raced a removal.

#include <catch2/catch.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "localstore/errc.h"
#include "uploader_harness.h"

using namespace uploader_test;
using std::chrono::milliseconds;
using testing::FakeHttpClient;
using testing::HeaderValue;

namespace {

const std::string kDce = "https://dce.test";
const std::string kTemplate =
    "https://dce.test/dataCollectionRules/dcr-1/streams/<STREAM>?api-version=2023-01-01";

// Appends `rows` rows of `per_row` records each: i = 0, 1, 2, … in order.
void AppendRows(Harness& h, const std::string& stream, int rows, int per_row) {
  for (int r = 0; r < rows; ++r) h.Append(stream, r * per_row, per_row);
}

std::string Gunzip(std::string_view data) { return Inflate(data, 31); }

// The "i" of every record of a Logs Ingestion body (a JSON array of objects).
std::vector<int> LogsItems(const std::string& json) {
  rapidjson::Document document;
  document.Parse(json.data(), json.size());
  REQUIRE_FALSE(document.HasParseError());
  REQUIRE(document.IsArray());
  std::vector<int> items;
  for (const auto& item : document.GetArray()) items.push_back(item["i"].GetInt());
  return items;
}

std::vector<std::string> RequestIds(const std::vector<FakeHttpClient::Sent>& sent,
                                    const char* header = "X-Request-ID") {
  std::vector<std::string> ids;
  for (const auto& each : sent) ids.push_back(HeaderValue(each.request, header));
  return ids;
}

// The store as the uploader sees it, but GetBacklog calls after the first `pass` wait until
// Release() (or FakeHttpClient::kMaxHold, so that a failed test cannot hang): a test can then
// act between a worker's read of a batch and its look at the backlog. Declared before the
// Harness, so that it outlives the workers; `store` is set once the Harness has opened it.
class HeldBacklog final : public localstore::BatchSource {
 public:
  explicit HeldBacklog(std::size_t pass) : pass_(pass) {}

  void Release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }
  std::size_t Held() const {
    std::lock_guard lock(mutex_);
    return held_;
  }

  std::vector<std::string> StreamsWithData() override { return store->StreamsWithData(); }
  std::error_code ReadOldest(const std::string& stream_id, std::int64_t after_row_id,
                             const localstore::ReadLimits& limits,
                             std::vector<localstore::StoredRow>* rows) override {
    return store->ReadOldest(stream_id, after_row_id, limits, rows);
  }
  std::error_code Remove(const std::string& stream_id, std::int64_t first_row_id,
                         std::int64_t last_row_id) override {
    return store->Remove(stream_id, first_row_id, last_row_id);
  }
  std::error_code RecordUpload(const std::string& stream_id,
                               const localstore::JournaledUpload& upload) override {
    return store->RecordUpload(stream_id, upload);
  }
  std::error_code JournaledUploads(const std::string& stream_id,
                                   std::vector<localstore::JournaledUpload>* uploads) override {
    return store->JournaledUploads(stream_id, uploads);
  }
  std::error_code AddDeadLetter(const std::string& stream_id, std::int64_t first_row_id,
                                std::int64_t last_row_id,
                                const localstore::DeadLetter& letter) override {
    return store->AddDeadLetter(stream_id, first_row_id, last_row_id, letter);
  }
  localstore::Backlog GetBacklog(const std::string& stream_id) override {
    {
      std::unique_lock lock(mutex_);
      if (calls_++ >= pass_ && !released_) {
        ++held_;
        cv_.wait_for(lock, FakeHttpClient::kMaxHold, [&] { return released_; });
        --held_;
      }
    }
    return store->GetBacklog(stream_id);
  }

  localstore::BatchSource* store = nullptr;

 private:
  const std::size_t pass_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::size_t calls_ = 0;
  std::size_t held_ = 0;
  bool released_ = false;
};

}  // namespace

TEST_CASE("Several batches of one stream are in flight at once, each removed after its 200",
          "[uploader][pipeline]") {
  Harness h([](uploader::UploaderOptions& o) {
    o.max_batch_records = 10;
    o.max_requests_in_flight = 4;
  });
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  AppendRows(h, kStreamA, 6, 10);
  h.async_http->Hold(true);
  h.Start();
  REQUIRE(testing::WaitUntil([&] { return h.async_http->InFlight() == 4; }));
  // Nothing is answered yet: every row is still in the store.
  CHECK(h.Backlog(kStreamA) == 60);
  h.async_http->Hold(false);
  REQUIRE(h.WaitEmpty(kStreamA));
  CHECK(h.async_http->MaxInFlight() == 4);

  std::vector<int> items = h.Uploaded(kOdsA);
  std::sort(items.begin(), items.end());
  CHECK(items == Range(0, 60));
  std::vector<std::string> ids = RequestIds(h.http.Requests(kOdsA));
  CHECK(ids.size() == 6);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 6);
  CHECK(h.up->TotalStats().records_uploaded == 60);
  CHECK(h.up->TotalStats().batches_sent == 6);
  CHECK(h.up->TotalStats().requests_in_flight == 0);
  CHECK(h.up->TotalStats().body_bytes_in_flight == 0);
}

TEST_CASE("The memory budget bounds the batches built and in flight", "[uploader][pipeline]") {
  Harness h([](uploader::UploaderOptions& o) {
    o.max_batch_records = 10;
    o.max_batch_bytes = 64 * 1024;
    // Room for one batch: the next is read only once the one before has left the store.
    o.max_body_bytes_in_flight = 64 * 1024;
  });
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  AppendRows(h, kStreamA, 5, 10);
  h.Start();
  REQUIRE(h.WaitEmpty(kStreamA));
  CHECK(h.async_http->MaxInFlight() == 1);
  CHECK(h.Uploaded(kOdsA) == Range(0, 50));
}

TEST_CASE("A failing stream retries one batch at a time until it succeeds, then the rest",
          "[uploader][pipeline]") {
  Harness h([](uploader::UploaderOptions& o) { o.max_batch_records = 10; });
  h.http.Script(kOdsA, {FakeHttpClient::Status(503), FakeHttpClient::Status(503),
                        FakeHttpClient::Status(503), FakeHttpClient::Status(503),
                        FakeHttpClient::Status(503), FakeHttpClient::Status(200)});
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  AppendRows(h, kStreamA, 3, 10);
  h.async_http->Hold(true);
  h.Start();
  REQUIRE(testing::WaitUntil([&] { return h.async_http->InFlight() == 3; }));
  h.async_http->Hold(false);
  REQUIRE(h.WaitEmpty(kStreamA));
  auto sent = h.http.Requests(kOdsA);
  std::vector<std::string> ids = RequestIds(sent);
  // Three first attempts (503), then the oldest rows alone until they pass (503, 503, 200),
  // then the other two.
  REQUIRE(ids.size() == 8);
  std::string oldest;
  for (const auto& each : sent) {
    if (Decode(each.request).items == Range(0, 10))
      oldest = HeaderValue(each.request, "X-Request-ID");
  }
  CHECK(std::set<std::string>({ids[0], ids[1], ids[2]}).size() == 3);
  CHECK(ids[3] == oldest);
  CHECK(ids[4] == oldest);
  CHECK(ids[5] == oldest);
  std::set<std::string> others = {ids[0], ids[1], ids[2]};
  others.erase(oldest);
  CHECK(std::set<std::string>({ids[6], ids[7]}) == others);
  // Every record once among the successful requests (the last three).
  std::multiset<int> delivered;
  for (std::size_t i = 5; i < sent.size(); ++i) {
    for (int item : Decode(sent[i].request).items) delivered.insert(item);
  }
  std::vector<int> range = Range(0, 30);
  CHECK(delivered == std::multiset<int>(range.begin(), range.end()));
  CHECK(h.up->TotalStats().retries == 5);
}

TEST_CASE("A failing stream probes only once none of its requests is out, oldest rows first",
          "[uploader][pipeline]") {
  // Regression: the answer to a newer batch came first, and once its short backoff had passed
  // the stream probed with it while the oldest batch's request was still out.
  Harness h([](uploader::UploaderOptions& o) {
    o.max_batch_records = 10;
    o.retry_base = milliseconds(1);
    o.retry_cap = milliseconds(1);
  });
  h.http.Script(kOdsA, {FakeHttpClient::Status(503), FakeHttpClient::Status(503),
                        FakeHttpClient::Status(200)});
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  AppendRows(h, kStreamA, 2, 10);
  h.async_http->Hold(true);
  h.Start();
  REQUIRE(testing::WaitUntil([&] { return h.async_http->InFlight() == 2; }));
  auto first_item = [](const base::HttpRequest& request) { return Decode(request).items.at(0); };
  // The newer batch is refused first; the oldest stays out well past the backoff.
  REQUIRE(h.async_http->AnswerOne([&](const auto& r) { return first_item(r) == 10; }));
  REQUIRE(testing::WaitUntil([&] { return h.up->TotalStats().retries == 1; }));
  // Nothing starts while the oldest is out (this waits out many backoffs; it passes at once
  // only when the stream wrongly probes).
  CHECK_FALSE(
      testing::WaitUntil([&] { return h.async_http->Started().size() > 2; }, milliseconds(200)));
  REQUIRE(h.async_http->AnswerOne([&](const auto& r) { return first_item(r) == 0; }));
  h.async_http->Hold(false);
  REQUIRE(h.WaitEmpty(kStreamA));
  std::vector<int> order;
  for (const base::HttpRequest& request : h.async_http->Started())
    order.push_back(first_item(request));
  // Both first attempts, then the probe with the oldest rows (200), then the rest.
  CHECK(order.size() == 4);
  CHECK(std::multiset<int>(order.begin(), order.begin() + 2) == std::multiset<int>{0, 10});
  CHECK(std::vector<int>(order.begin() + 2, order.end()) == std::vector<int>{0, 10});
}

TEST_CASE("Retry-After holds back every request of its stream while another stream goes on",
          "[uploader][pipeline]") {
  Harness h([](uploader::UploaderOptions& o) { o.max_batch_records = 10; });
  h.http.Script(kOdsA, {FakeHttpClient::Status(503, "", {{"Retry-After", "1"}}),
                        FakeHttpClient::Status(200)});
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA), MakeRoute(kStreamB, kOdsB, kTokenB)});
  h.Connect();
  h.Start();
  h.Append(kStreamA, 0, 10);
  REQUIRE(testing::WaitUntil([&] { return h.http.Count(kOdsA) == 1; }));
  // More of stream A while it waits, and of stream B, which is not held back.
  h.Append(kStreamA, 10, 10);
  h.Append(kStreamB, 0, 10);
  REQUIRE(h.WaitEmpty(kStreamB));
  REQUIRE(h.WaitEmpty(kStreamA));
  auto sent = h.http.Requests(kOdsA);
  REQUIRE(sent.size() >= 3);
  for (std::size_t i = 1; i < sent.size(); ++i) {
    CHECK(sent[i].at - sent[0].at >= milliseconds(1000));
  }
  CHECK(h.http.Requests(kOdsB)[0].at - sent[0].at < milliseconds(1000));
}

TEST_CASE("Batches in flight at a crash go again first, with the same rows and request ids",
          "[uploader][pipeline][journal]") {
  Harness h([](uploader::UploaderOptions& o) {
    o.max_batch_records = 10;
    o.stop_grace = milliseconds(0);
  });
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  AppendRows(h, kStreamA, 3, 10);
  h.async_http->Hold(true);
  h.Start();
  REQUIRE(testing::WaitUntil([&] { return h.async_http->InFlight() == 3; }));
  std::map<std::string, std::vector<int>> before;  // request id -> items
  for (const base::HttpRequest& request : h.async_http->Started()) {
    before[HeaderValue(request, "X-Request-ID")] = Decode(request).items;
  }
  REQUIRE(before.size() == 3);
  h.Append(kStreamA, 30, 10);  // committed after the batches were journaled

  h.Restart();
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  REQUIRE(h.WaitEmpty(kStreamA));
  // The journaled batches are read first; workers may finish building them in another order.
  auto sent = h.http.Requests(kOdsA);
  REQUIRE(sent.size() == 4);
  std::size_t again = 0;
  for (const auto& each : sent) {
    const std::string id = HeaderValue(each.request, "X-Request-ID");
    INFO(id);
    if (before.count(id) == 1) {
      ++again;
      CHECK(Decode(each.request).items == before[id]);
    } else {
      CHECK(Decode(each.request).items == Range(30, 10));
    }
  }
  CHECK(again == 3);
  CHECK(h.logger.Contains("3 batches were journaled before a restart"));
  std::vector<localstore::JournaledUpload> journal;
  REQUIRE_FALSE(h.store->JournaledUploads(kStreamA, &journal));
  CHECK(journal.empty());
}

TEST_CASE("A refused batch becomes a dead letter that can be sent again",
          "[uploader][pipeline][deadletter]") {
  Harness h;
  h.http.Script(kOdsA, {FakeHttpClient::Status(400, R"({"error":{"code":"InvalidDataFormat"}})"),
                        FakeHttpClient::Status(200)});
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Connect();
  h.Start();
  h.Append(kStreamA, 0, 5);
  REQUIRE(h.WaitEmpty(kStreamA));
  std::vector<localstore::DeadLetter> letters;
  REQUIRE(testing::WaitUntil(
      [&] { return !h.store->DeadLetters(kStreamA, &letters) && letters.size() == 1; }));
  const localstore::DeadLetter& letter = letters[0];
  CHECK(letter.status == 400);
  CHECK(letter.count == 5);
  CHECK(letter.response == R"({"error":{"code":"InvalidDataFormat"}})");
  CHECK(letter.request_id == HeaderValue(h.http.Requests(kOdsA)[0].request, "X-Request-ID"));
  CHECK(letter.endpoint == kOdsA + "/OperationalData.svc/PostJsonDataItems?api-version=2016-04-01");
  CHECK(h.up->TotalStats().records_rejected == 5);
  CHECK(h.up->TotalStats().dead_letters == 1);
  localstore::DeadLetter full;
  REQUIRE_FALSE(h.store->ReadDeadLetter(kStreamA, letter.id, &full));
  CHECK(full.entries == Entries(0, 5));

  localstore::DeadLetter resent;
  REQUIRE_FALSE(h.store->ResendDeadLetter(kStreamA, letter.id, &resent));
  h.up->Notify(kStreamA);
  REQUIRE(h.WaitEmpty(kStreamA));
  REQUIRE(testing::WaitUntil([&] { return h.http.Count(kOdsA) == 2; }));
  CHECK(Decode(h.http.Requests(kOdsA)[1].request).items == Range(0, 5));
  CHECK(h.up->TotalStats().records_uploaded == 5);
}

TEST_CASE("Logs Ingestion batches go as gzipped JSON arrays, each call within the limit",
          "[uploader][pipeline][gig]") {
  Harness h([](uploader::UploaderOptions& o) { o.max_logs_call_bytes = 200; });
  h.http.Script(kDce, {FakeHttpClient::Status(204)});
  uploader::Route route = MakeRoute(kStreamA, "", kTokenA, "gig");
  route.endpoint_uri_template = kTemplate;
  h.up->SetRoutes({route});
  h.Connect();
  h.Start();
  h.Append(kStreamA, 0, 100);
  REQUIRE(h.WaitEmpty(kStreamA));
  auto sent = h.http.Requests(kDce);
  REQUIRE(sent.size() > 3);
  std::vector<int> items;
  std::set<std::string> ids;
  for (const auto& each : sent) {
    const base::HttpRequest& request = each.request;
    CHECK(request.url ==
          "https://dce.test/dataCollectionRules/dcr-1/streams/CONFIG_CHANGE_BLOB_V2"
          "?api-version=2023-01-01");
    CHECK(HeaderValue(request, "Content-Encoding") == "gzip");
    CHECK(HeaderValue(request, "Content-Type") == "application/json");
    CHECK(HeaderValue(request, "Authorization") == "Bearer tok-a");
    CHECK(HeaderValue(request, "X-Request-ID").empty());
    ids.insert(HeaderValue(request, "x-ms-client-request-id"));
    CHECK(request.body.size() <= 200);
    std::string json = Gunzip(request.body);
    CHECK(json.size() <= 200);
    for (int i : LogsItems(json)) items.push_back(i);
  }
  std::sort(items.begin(), items.end());
  CHECK(items == Range(0, 100));
  CHECK(ids.size() == sent.size());
  CHECK(h.up->TotalStats().records_uploaded == 100);
  CHECK(h.up->TotalStats().batches_sent == 1);
}

TEST_CASE("A Logs Ingestion record larger than a call becomes a dead letter, the rest goes",
          "[uploader][pipeline][gig][deadletter]") {
  Harness h([](uploader::UploaderOptions& o) { o.max_logs_call_bytes = 200; });
  h.http.Script(kDce, {FakeHttpClient::Status(204)});
  uploader::Route route = MakeRoute(kStreamA, "", kTokenA, "gig");
  route.endpoint_uri_template = kTemplate;
  h.up->SetRoutes({route});
  std::string entries = Entries(0, 3);
  {
    codec::MsgpackWriter writer(&entries);
    writer.Array(2);
    writer.Int(1700000000);
    writer.Map(2);
    writer.Str("i");
    writer.Int(3);
    writer.Str("text");
    writer.Str(std::string(300, 'x'));
  }
  const std::string big = entries.substr(Entries(0, 3).size());
  entries += Entries(4, 2);
  h.Append(kStreamA, entries, 6);
  h.Start();
  REQUIRE(h.WaitEmpty(kStreamA));
  std::vector<localstore::DeadLetter> letters;
  REQUIRE(testing::WaitUntil(
      [&] { return !h.store->DeadLetters(kStreamA, &letters) && letters.size() == 1; }));
  CHECK(letters[0].status == 413);
  CHECK(letters[0].count == 1);
  CHECK_THAT(letters[0].response, Catch::Contains("larger than Logs Ingestion takes"));
  localstore::DeadLetter full;
  REQUIRE_FALSE(h.store->ReadDeadLetter(kStreamA, letters[0].id, &full));
  CHECK(full.entries == big);
  std::vector<int> items;
  for (const auto& each : h.http.Requests(kDce)) {
    for (int i : LogsItems(Gunzip(each.request.body))) items.push_back(i);
  }
  // The two parts go on two workers: in either order.
  std::sort(items.begin(), items.end());
  CHECK(items == std::vector<int>{0, 1, 2, 4, 5});
  CHECK(h.up->TotalStats().records_rejected == 1);
  CHECK(h.up->TotalStats().records_uploaded == 5);
}

TEST_CASE("Logs Ingestion parts keep their request ids across a restart",
          "[uploader][pipeline][gig][journal]") {
  Harness h([](uploader::UploaderOptions& o) {
    o.max_logs_call_bytes = 200;
    o.stop_grace = milliseconds(0);
  });
  uploader::Route route = MakeRoute(kStreamA, "", kTokenA, "gig");
  route.endpoint_uri_template = kTemplate;
  h.up->SetRoutes({route});
  h.Append(kStreamA, 0, 60);
  h.async_http->Hold(true);
  h.Start();
  REQUIRE(testing::WaitUntil([&] { return h.async_http->InFlight() >= 2; }));
  std::set<std::string> before;
  for (const base::HttpRequest& request : h.async_http->Started()) {
    before.insert(HeaderValue(request, "x-ms-client-request-id"));
  }
  h.http.Script(kDce, {FakeHttpClient::Status(204)});
  h.Restart();
  h.up->SetRoutes({route});
  REQUIRE(h.WaitEmpty(kStreamA));
  std::set<std::string> after;
  for (const auto& each : h.http.Requests(kDce)) {
    after.insert(HeaderValue(each.request, "x-ms-client-request-id"));
  }
  // Every part started before the crash goes again under its id (there may be more parts than
  // were started before it).
  for (const std::string& id : before) CHECK(after.count(id) == 1);
  CHECK(after.size() >= before.size());
}

TEST_CASE("A batch waiting for its retry is built again for a changed route, under its id",
          "[uploader][pipeline]") {
  Harness h;
  h.http.Script(kOdsA, {FakeHttpClient::Status(503, "", {{"Retry-After", "1"}}),
                        FakeHttpClient::Status(200)});
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Connect();
  h.Start();
  h.Append(kStreamA, 0, 4);
  REQUIRE(testing::WaitUntil([&] { return h.http.Count(kOdsA) == 1; }));
  uploader::Route changed = MakeRoute(kStreamA, kOdsA, kTokenA);
  changed.data_type = "CONFIG_CHANGE_BLOB";
  h.up->SetRoutes({changed});
  REQUIRE(h.WaitEmpty(kStreamA));
  auto sent = h.http.Requests(kOdsA);
  REQUIRE(sent.size() == 2);
  CHECK(Decode(sent[0].request).data_type == "CONFIG_CHANGE_BLOB_V2");
  CHECK(Decode(sent[1].request).data_type == "CONFIG_CHANGE_BLOB");
  CHECK(Decode(sent[1].request).items == Range(0, 4));
  CHECK(HeaderValue(sent[1].request, "X-Request-ID") ==
        HeaderValue(sent[0].request, "X-Request-ID"));
}

TEST_CASE("A batch whose route changes during its token fetch is built again before it goes",
          "[uploader][pipeline]") {
  Harness h;
  // The first token fetch waits for the test, then fails: the part waits for a retry.
  h.http.Script(kTokenA, {FakeHttpClient::Status(500), Token("tok-a")});
  h.http.Hold(kTokenA, true);
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Append(kStreamA, 0, 4);
  h.Start();
  REQUIRE(testing::WaitUntil([&] { return h.http.Held() == 1; }));
  // The route changes what the bodies hold while the batch's part is being sent.
  uploader::Route changed = MakeRoute(kStreamA, kOdsA, kTokenA);
  changed.data_type = "CONFIG_CHANGE_BLOB";
  h.up->SetRoutes({changed});
  h.http.Hold(kTokenA, false);
  REQUIRE(h.WaitEmpty(kStreamA));
  // Never the body built for the old route to the new one: the retry is built again.
  auto sent = h.http.Requests(kOdsA);
  REQUIRE(sent.size() == 1);
  CHECK(Decode(sent[0].request).data_type == "CONFIG_CHANGE_BLOB");
  CHECK(Decode(sent[0].request).items == Range(0, 4));
}

TEST_CASE("Rows left behind while an earlier batch leaves the store still go",
          "[uploader][pipeline]") {
  // The first look at the backlog passes (after the first batch); the second (after the second
  // batch) waits until the first batch has left the store.
  HeldBacklog source(1);
  Harness h([](uploader::UploaderOptions& o) { o.max_batch_records = 5; });
  source.store = h.store.get();
  h.up = std::make_unique<uploader::Uploader>(h.options, source, *h.async_http, h.http);
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  AppendRows(h, kStreamA, 3, 5);
  h.async_http->Hold(true);
  h.Start();
  // The second batch is read and counted as taken, with the first one still unanswered.
  REQUIRE(testing::WaitUntil([&] { return source.Held() == 1; }));
  h.async_http->Hold(false);
  REQUIRE(testing::WaitUntil([&] { return h.up->TotalStats().batches_sent == 1; }));
  // Now the store holds rows 2 and 3 while the worker still counts 1 and 2 as taken.
  source.Release();
  // Nothing else tells the uploader of the third row (no commit listener here).
  REQUIRE(h.WaitEmpty(kStreamA));
  std::vector<int> items = h.Uploaded(kOdsA);
  std::sort(items.begin(), items.end());
  CHECK(items == Range(0, 15));
  CHECK(h.up->TotalStats().batches_sent == 3);
}
