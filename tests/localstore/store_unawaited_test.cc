// Batches no one awaits (RecordBatch::awaited false: their messages asked for no ack) wait for
// company before their commit (StoreOptions::unawaited_commit_delay and _bytes), on real files.

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <system_error>

#include "base/logger.h"
#include "localstore/store.h"
#include "store_test_util.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using localstore::RecordBatch;
using localstore_test::AppendAndWait;
using localstore_test::Entries;
using localstore_test::kStreamA;
using localstore_test::kStreamB;
using localstore_test::OpenStore;
using localstore_test::ReadAll;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  testing::TempDir dir;
  base::MemoryLogger logger;
  std::atomic<int> committed{0};
  std::atomic<int> failed{0};

  localstore::StoreOptions Options(std::chrono::milliseconds delay, std::size_t bytes) {
    localstore::StoreOptions options;
    options.tables_dir = dir.path();
    options.logger = &logger;
    options.unawaited_commit_delay = delay;
    options.unawaited_commit_bytes = bytes;
    return options;
  }

  // Appends one record of `size` bytes that no one awaits; its completion is counted.
  void AppendUnawaited(localstore::Store& store, std::uint32_t seed, std::size_t size = 300) {
    RecordBatch batch{.stream_id = kStreamA, .entries = Entries(seed, size), .count = 1};
    batch.awaited = false;
    store.Append(std::move(batch), [this](std::error_code ec) { ++(ec ? failed : committed); });
  }
};

}  // namespace

TEST_CASE("Batches no one awaits wait for others until enough bytes are queued, as one row",
          "[localstore][unawaited]") {
  Fixture f;
  auto store = OpenStore(f.Options(1h, 1000));
  for (std::uint32_t i = 0; i < 3; ++i) f.AppendUnawaited(*store, i);
  // 900 bytes appended, the oldest far younger than its hour: nothing is committed yet.
  CHECK(store->Queue().commits == 0);
  CHECK(f.committed == 0);
  // The fourth takes them past 1000 bytes: all four are committed at once, in one transaction
  // and one row, and each completion is called.
  f.AppendUnawaited(*store, 3);
  REQUIRE(testing::WaitUntil([&] { return f.committed == 4; }));
  CHECK(store->Queue().commits == 1);
  CHECK(store->Queue().queued_batches == 0);
  CHECK(f.failed == 0);
  const auto rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].count == 4);
  CHECK(rows[0].entries == Entries(0, 300) + Entries(1, 300) + Entries(2, 300) + Entries(3, 300));
}

TEST_CASE("An awaited batch takes the unawaited ones queued before it along, at once",
          "[localstore][unawaited]") {
  Fixture f;
  auto store = OpenStore(f.Options(1h, 4 << 20));
  f.AppendUnawaited(*store, 1);
  f.AppendUnawaited(*store, 2);
  CHECK(f.committed == 0);
  REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(3, 300), 1));
  REQUIRE(testing::WaitUntil([&] { return f.committed == 2; }));
  CHECK(store->Queue().commits == 1);
  // The unawaited two share a row; the awaited one keeps its own. In append order.
  const auto rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].count == 2);
  CHECK(rows[0].entries == Entries(1, 300) + Entries(2, 300));
  CHECK(rows[1].entries == Entries(3, 300));
}

TEST_CASE("Only consecutive unawaited batches of one stream share a row",
          "[localstore][unawaited]") {
  Fixture f;
  auto store = OpenStore(f.Options(1h, 4 << 20));
  f.AppendUnawaited(*store, 1);
  f.AppendUnawaited(*store, 2);
  RecordBatch other{.stream_id = kStreamB, .entries = Entries(3, 300), .count = 1};
  other.awaited = false;
  store->Append(std::move(other), [&f](std::error_code ec) { ++(ec ? f.failed : f.committed); });
  f.AppendUnawaited(*store, 4);
  REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(5, 300), 1));
  REQUIRE(testing::WaitUntil([&] { return f.committed == 4; }));
  CHECK(f.failed == 0);
  const auto a = ReadAll(*store, kStreamA);
  REQUIRE(a.size() == 3);
  CHECK(a[0].entries == Entries(1, 300) + Entries(2, 300));
  CHECK(a[1].entries == Entries(4, 300));
  CHECK(a[2].entries == Entries(5, 300));
  const auto b = ReadAll(*store, kStreamB);
  REQUIRE(b.size() == 1);
  CHECK(b[0].entries == Entries(3, 300));
}

TEST_CASE("Batches no one awaits commit on their own once the delay has passed",
          "[localstore][unawaited]") {
  Fixture f;
  auto store = OpenStore(f.Options(50ms, 4 << 20));
  const auto appended = std::chrono::steady_clock::now();
  f.AppendUnawaited(*store, 1);
  REQUIRE(testing::WaitUntil([&] { return f.committed == 1; }));
  CHECK(std::chrono::steady_clock::now() - appended >= 50ms);
  CHECK(ReadAll(*store, kStreamA).size() == 1);
}

TEST_CASE("Closing commits the batches no one awaits without waiting out their delay",
          "[localstore][unawaited]") {
  Fixture f;
  {
    auto store = OpenStore(f.Options(1h, 4 << 20));
    f.AppendUnawaited(*store, 7);
    f.AppendUnawaited(*store, 8);
    auto closed = std::async(std::launch::async, [&store] { store->Close(); });
    REQUIRE(closed.wait_for(20s) == std::future_status::ready);
    CHECK(f.committed == 2);
  }
  auto reopened = OpenStore(f.Options(1h, 4 << 20));
  const auto rows = ReadAll(*reopened, kStreamA);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].count == 2);
  CHECK(rows[0].entries == Entries(7, 300) + Entries(8, 300));
}
