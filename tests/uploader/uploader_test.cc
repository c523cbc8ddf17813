#include "uploader/uploader.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/uuid.h"
#include "localstore/table_name.h"
#include "uploader_harness.h"

using namespace uploader_test;
using std::chrono::milliseconds;
using testing::FakeHttpClient;
using testing::HeaderValue;

TEST_CASE("Records committed within one window go in one POST and leave the store after 200",
          "[uploader][loop]") {
  Harness h([](uploader::UploaderOptions& o) { o.batch_window = milliseconds(500); });
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Connect();
  h.Start();
  auto first_commit = std::chrono::steady_clock::now();
  h.Append(kStreamA, 0, 2);
  h.Append(kStreamA, 2, 3);
  h.Append(kStreamA, 5, 4);
  REQUIRE(h.WaitEmpty(kStreamA));

  auto sent = h.http.Requests(kOdsA);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].at - first_commit >= milliseconds(500));  // the window was waited out
  const base::HttpRequest& request = sent[0].request;
  CHECK(request.method == "POST");
  CHECK(request.url == kOdsA + "/OperationalData.svc/PostJsonDataItems?api-version=2016-04-01");
  CHECK(HeaderValue(request, "Authorization") == "Bearer tok-a");
  CHECK(HeaderValue(request, "x-ms-UUID") == h.options.agent_id);
  CHECK(base::IsUuid(HeaderValue(request, "X-Request-ID")));
  Body body = Decode(request);
  CHECK(body.data_type == "CONFIG_CHANGE_BLOB_V2");
  CHECK(body.items == Range(0, 9));
  CHECK(h.http.Count(kTokenA) == 1);
  CHECK(h.Removed(kStreamA) == 9);

  uploader::UploadStats total = h.up->TotalStats();
  CHECK(total.batches_sent == 1);
  CHECK(total.records_uploaded == 9);
  CHECK(total.retries == 0);
  CHECK(total.last_status == 200);
  CHECK(h.up->StreamStats()[kStreamA].records_uploaded == 9);
}

TEST_CASE("A 503 is retried with the same body and X-Request-ID, and records are removed once",
          "[uploader][loop]") {
  Harness h;
  h.http.Script(kOdsA, {FakeHttpClient::Status(503), FakeHttpClient::Status(200)});
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Connect();
  h.Start();
  h.Append(kStreamA, 0, 5);
  REQUIRE(h.WaitEmpty(kStreamA));
  REQUIRE(testing::WaitUntil([&] { return h.up->TotalStats().batches_sent == 1; }));

  auto sent = h.http.Requests(kOdsA);
  REQUIRE(sent.size() == 2);
  CHECK(HeaderValue(sent[0].request, "X-Request-ID") ==
        HeaderValue(sent[1].request, "X-Request-ID"));
  CHECK(sent[0].request.body == sent[1].request.body);
  CHECK(Decode(sent[1].request).items == Range(0, 5));
  CHECK(h.Removed(kStreamA) == 5);
  uploader::UploadStats total = h.up->TotalStats();
  CHECK(total.retries == 1);
  CHECK(total.records_uploaded == 5);
  // The success that followed cleared it: last_error tells what is failing now.
  CHECK(total.last_error.empty());
  CHECK(total.last_status == 200);
  CHECK(h.logger.Count("HTTP 503; retry 1") == 1);
}

TEST_CASE("A stream failing says since when, until a success clears it", "[uploader][loop]") {
  auto now_ns = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  Harness h;
  h.http.Script(kOdsA, {FakeHttpClient::Status(503)});  // until told otherwise
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Connect();
  h.Start();
  const std::int64_t before = now_ns();
  h.Append(kStreamA, 0, 5);
  REQUIRE(testing::WaitUntil([&] { return h.up->StreamStats()[kStreamA].retries >= 1; }));
  const uploader::UploadStats failing = h.up->StreamStats()[kStreamA];
  CHECK(failing.failing_since_unix_ns >= before);
  CHECK(failing.failing_since_unix_ns <= now_ns());
  CHECK(failing.last_success_unix_ns == 0);
  CHECK(failing.last_error == "HTTP 503");
  // Later failures of the same run keep its start.
  REQUIRE(testing::WaitUntil([&] { return h.up->StreamStats()[kStreamA].retries >= 3; }));
  CHECK(h.up->StreamStats()[kStreamA].failing_since_unix_ns == failing.failing_since_unix_ns);

  h.http.Script(kOdsA, {FakeHttpClient::Status(200)});
  REQUIRE(h.WaitEmpty(kStreamA));
  REQUIRE(testing::WaitUntil([&] { return h.up->StreamStats()[kStreamA].batches_sent == 1; }));
  const uploader::UploadStats recovered = h.up->StreamStats()[kStreamA];
  CHECK(recovered.failing_since_unix_ns == 0);
  CHECK(recovered.last_success_unix_ns >= failing.failing_since_unix_ns);
  CHECK(recovered.last_error.empty());
}

TEST_CASE("Retry-After is honoured between two attempts", "[uploader][loop]") {
  Harness h;
  h.http.Script(kOdsA, {FakeHttpClient::Status(429, "", {{"Retry-After", "1"}}),
                        FakeHttpClient::Status(200)});
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Connect();
  h.Start();
  h.Append(kStreamA, 0, 3);
  REQUIRE(h.WaitEmpty(kStreamA));
  auto sent = h.http.Requests(kOdsA);
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].at - sent[0].at >= milliseconds(1000));
}

TEST_CASE("A 401 fetches a new token, then the batch goes through", "[uploader][loop]") {
  Harness h;
  h.http.Script(kTokenA, {Token("tok-1"), Token("tok-2")});
  h.http.Script(kOdsA, {FakeHttpClient::Status(401), FakeHttpClient::Status(200)});
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Connect();
  h.Start();
  h.Append(kStreamA, 0, 2);
  REQUIRE(h.WaitEmpty(kStreamA));
  auto sent = h.http.Requests(kOdsA);
  REQUIRE(sent.size() == 2);
  CHECK(h.http.Count(kTokenA) == 2);
  CHECK(HeaderValue(sent[0].request, "Authorization") == "Bearer tok-1");
  CHECK(HeaderValue(sent[1].request, "Authorization") == "Bearer tok-2");
  CHECK(HeaderValue(sent[0].request, "X-Request-ID") ==
        HeaderValue(sent[1].request, "X-Request-ID"));
  CHECK(h.up->TotalStats().retries == 1);
  CHECK(h.logger.Count("tok-") == 0);
}

TEST_CASE("A failed token fetch is retried with backoff", "[uploader][loop]") {
  Harness h;
  h.http.Script(kTokenA, {FakeHttpClient::Status(500), Token("tok-1")});
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Connect();
  h.Start();
  h.Append(kStreamA, 0, 2);
  REQUIRE(h.WaitEmpty(kStreamA));
  CHECK(h.http.Count(kTokenA) == 2);
  CHECK(h.http.Count(kOdsA) == 1);
  CHECK(h.up->TotalStats().retries == 1);
}

TEST_CASE("A 400 drops the batch, counts it and logs the response body", "[uploader][loop]") {
  Harness h;
  h.http.Script(kOdsA,
                {FakeHttpClient::Status(400, R"({"Message":"InvalidDataFormat: bad item 7"})"),
                 FakeHttpClient::Status(200)});
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Connect();
  h.Start();
  h.Append(kStreamA, 0, 4);
  REQUIRE(h.WaitEmpty(kStreamA));
  REQUIRE(testing::WaitUntil([&] { return h.up->TotalStats().records_rejected == 4; }));
  CHECK(h.http.Count(kOdsA) == 1);
  CHECK(h.up->TotalStats().records_uploaded == 0);
  CHECK(h.up->TotalStats().last_status == 400);
  bool logged = false;
  for (const base::MemoryLogger::Line& line : h.logger.Lines()) {
    if (line.level == base::LogLevel::kError && line.component == "uploader" &&
        line.message.find("InvalidDataFormat: bad item 7") != std::string::npos &&
        line.message.find("400") != std::string::npos) {
      logged = true;
    }
  }
  CHECK(logged);

  // The stream carries on with the next records.
  h.Append(kStreamA, 10, 2);
  REQUIRE(h.WaitEmpty(kStreamA));
  REQUIRE(testing::WaitUntil([&] { return h.up->TotalStats().records_uploaded == 2; }));
  auto sent = h.http.Requests(kOdsA);
  REQUIRE(sent.size() == 2);
  CHECK(Decode(sent[1].request).items == Range(10, 2));
  CHECK(h.up->TotalStats().records_rejected == 4);
}

TEST_CASE("A stream without a route keeps its records while another one uploads",
          "[uploader][loop]") {
  Harness h;
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Connect();
  h.Start();
  h.Append(kStreamB, 0, 3);
  h.Append(kStreamA, 0, 2);
  h.Append(kStreamB, 3, 1);
  REQUIRE(h.WaitEmpty(kStreamA));
  REQUIRE(testing::WaitUntil([&] { return h.logger.Contains("it has no route"); }));
  CHECK(h.Backlog(kStreamB) == 4);
  CHECK(h.http.Count(kOdsB) == 0);
  CHECK(h.logger.Count("it has no route") == 1);
  for (const base::MemoryLogger::Line& line : h.logger.Lines()) {
    if (line.message.find("it has no route") != std::string::npos) {
      CHECK(line.level == base::LogLevel::kWarning);
      CHECK(line.message.find(kStreamB) != std::string::npos);
    }
  }

  // Once a route comes, the kept records go without waiting for new ones.
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA), MakeRoute(kStreamB, kOdsB, kTokenB)});
  REQUIRE(h.WaitEmpty(kStreamB));
  auto sent = h.http.Requests(kOdsB);
  REQUIRE(sent.size() == 1);
  CHECK(Decode(sent[0].request).data_type == "CONFIG_DATA_BLOB_V2");
  CHECK(Decode(sent[0].request).items == Range(0, 4));
  CHECK(HeaderValue(sent[0].request, "Authorization") == "Bearer tok-b");
}

TEST_CASE("A stream whose channel is unusable keeps its records and warns once",
          "[uploader][loop]") {
  struct Case {
    std::string name;
    uploader::Route route;
    std::string warning;
  };
  std::vector<Case> cases = {
      {"protocol me", MakeRoute(kStreamA, kOdsA, kTokenA, "me"), "protocol \"me\""},
      {"no endpoint", MakeRoute(kStreamA, "", kTokenA), "no endpoint"},
      {"no tokenEndpointUri", MakeRoute(kStreamA, kOdsA, ""), "no tokenEndpointUri"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      Harness h;
      h.up->SetRoutes({c.route});
      h.Connect();
      h.Start();
      h.Append(kStreamA, 0, 3);
      REQUIRE(testing::WaitUntil([&] { return h.logger.Contains(c.warning); }));
      h.Append(kStreamA, 3, 1);
      h.up->Notify(kStreamA);
      CHECK(h.Backlog(kStreamA) == 4);
      CHECK(h.http.Count() == 0);
      CHECK(h.logger.Count(c.warning) == 1);

      // A usable route sends what was kept.
      h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
      REQUIRE(h.WaitEmpty(kStreamA));
      REQUIRE(h.http.Count(kOdsA) == 1);
      CHECK(Decode(h.http.Requests(kOdsA)[0].request).items == Range(0, 4));
    }
  }
}

TEST_CASE("One stream's failures do not hold up another", "[uploader][loop]") {
  Harness h;
  h.http.Script(kOdsA, {FakeHttpClient::Status(503)});
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA), MakeRoute(kStreamB, kOdsB, kTokenB)});
  h.Connect();
  h.Start();
  h.Append(kStreamA, 0, 3);
  REQUIRE(testing::WaitUntil([&] { return h.http.Count(kOdsA) >= 2; }));
  h.Append(kStreamB, 0, 4);
  REQUIRE(h.WaitEmpty(kStreamB));
  REQUIRE(testing::WaitUntil([&] { return h.http.Count(kOdsA) >= 4; }));
  CHECK(h.Backlog(kStreamA) == 3);
  std::map<std::string, uploader::UploadStats> stats = h.up->StreamStats();
  CHECK(stats[kStreamA].retries >= 3);
  CHECK(stats[kStreamA].last_status == 503);
  CHECK(stats[kStreamA].records_uploaded == 0);
  CHECK(stats[kStreamB].records_uploaded == 4);
  CHECK(stats[kStreamB].retries == 0);
}

TEST_CASE("Batch limits cut a backlog into several POSTs of consecutive rows", "[uploader][loop]") {
  const std::size_t row_bytes = Entries(0, 1).size();
  struct Case {
    std::string name;
    std::size_t max_records;
    std::size_t max_bytes;
    std::vector<std::vector<int>> batches;
  };
  std::vector<Case> cases = {
      {"by records", 4, 1 << 20, {Range(0, 4), Range(4, 4), Range(8, 2)}},
      {"by bytes", 1000, 3 * row_bytes, {Range(0, 3), Range(3, 3), Range(6, 3), Range(9, 1)}},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      Harness h([&](uploader::UploaderOptions& o) {
        o.batch_window = std::chrono::hours(1);
        o.max_batch_records = c.max_records;
        o.max_batch_bytes = c.max_bytes;
      });
      h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
      for (int i = 0; i < 10; ++i) h.Append(kStreamA, i, 1);
      h.Start();
      REQUIRE(h.WaitEmpty(kStreamA));
      auto sent = h.http.Requests(kOdsA);
      std::vector<std::vector<int>> batches;
      for (const auto& s : sent) batches.push_back(Decode(s.request).items);
      // Cut in row order; with several workers they may leave in another order.
      std::sort(batches.begin(), batches.end());
      CHECK(batches == c.batches);
    }
  }
}

TEST_CASE("A full backlog goes before its window ends", "[uploader][loop]") {
  Harness h([](uploader::UploaderOptions& o) {
    o.batch_window = std::chrono::hours(1);
    o.max_batch_records = 5;
  });
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Connect();
  h.Start();
  h.Append(kStreamA, 0, 2);
  h.Append(kStreamA, 2, 3);
  REQUIRE(h.WaitEmpty(kStreamA));
  auto sent = h.http.Requests(kOdsA);
  REQUIRE(sent.size() == 1);
  CHECK(Decode(sent[0].request).items == Range(0, 5));
}

TEST_CASE("Records in the store when Run starts go at once, without a Notify", "[uploader][loop]") {
  Harness h([](uploader::UploaderOptions& o) { o.batch_window = std::chrono::hours(1); });
  h.Append(kStreamA, 0, 3);
  h.Append(kStreamB, 0, 2);
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA), MakeRoute(kStreamB, kOdsB, kTokenB)});
  h.Start();
  REQUIRE(h.WaitEmpty(kStreamA));
  REQUIRE(h.WaitEmpty(kStreamB));
  REQUIRE(h.http.Count(kOdsA) == 1);
  REQUIRE(h.http.Count(kOdsB) == 1);
  CHECK(Decode(h.http.Requests(kOdsA)[0].request).items == Range(0, 3));
  CHECK(Decode(h.http.Requests(kOdsB)[0].request).items == Range(0, 2));
}

TEST_CASE("A malformed row is dropped alone and the rows around it are uploaded",
          "[uploader][loop]") {
  Harness h;
  h.Append(kStreamA, 0, 2);
  h.Append(kStreamA, std::string("\xc1", 1), 3);
  h.Append(kStreamA, 2, 2);
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Start();
  REQUIRE(h.WaitEmpty(kStreamA));
  REQUIRE(testing::WaitUntil([&] { return h.up->TotalStats().records_uploaded == 4; }));
  CHECK(h.Uploaded(kOdsA) == Range(0, 4));
  CHECK(h.up->TotalStats().records_rejected == 3);
  CHECK(h.logger.Count("malformed") == 1);
}

TEST_CASE("A row damaged on disk leaves with its batch and its records count as rejected",
          "[uploader][loop]") {
  Harness h;
  h.Append(kStreamA, 0, 2);
  h.Append(kStreamA, 100, 300);  // compressible: stored as a zstd frame
  h.Append(kStreamA, 2, 2);
  {
    // A byte changed on disk inside the second row's frame; zstd's checksum catches it.
    sqlite3* db = nullptr;
    const std::string table = (h.dir / "Tables" / localstore::TableFileName(kStreamA)).string();
    REQUIRE(sqlite3_open(table.c_str(), &db) == SQLITE_OK);
    const int rc = sqlite3_exec(db,
                                "UPDATE records SET entries = CAST(substr(entries, 1, 40) || "
                                "x'00' || substr(entries, 42) AS BLOB) WHERE id = 2 AND "
                                "encoding = 1",
                                nullptr, nullptr, nullptr);
    const int changed = sqlite3_changes(db);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
    REQUIRE(changed == 1);
  }
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Start();
  REQUIRE(h.WaitEmpty(kStreamA));
  REQUIRE(testing::WaitUntil([&] { return h.up->TotalStats().records_uploaded == 4; }));
  CHECK(h.Uploaded(kOdsA) == Range(0, 4));
  CHECK(h.up->TotalStats().records_rejected == 300);
  CHECK(h.logger.Count("damaged") >= 1);
}

TEST_CASE("Run returns promptly on stop while a retry waits", "[uploader][loop]") {
  Harness h;
  h.http.Script(kOdsA, {FakeHttpClient::Status(503, "", {{"Retry-After", "3600"}})});
  h.up->SetRoutes({MakeRoute(kStreamA, kOdsA, kTokenA)});
  h.Connect();
  h.Start();
  h.Append(kStreamA, 0, 1);
  REQUIRE(testing::WaitUntil([&] { return h.up->TotalStats().retries == 1; }));
  auto before = std::chrono::steady_clock::now();
  h.Stop();
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(2));
  CHECK(h.http.Count(kOdsA) == 1);
  CHECK(h.Backlog(kStreamA) == 1);
}
