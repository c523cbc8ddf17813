// A full disk is backpressure (docs/protocol.md §4), driven through the real SQLite path: a
// per-table page cap (StoreOptions::max_table_pages, Store::SetMaxTablePages) makes inserts fail
// with SQLITE_FULL exactly as a full disk does.
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <utility>
#include <vector>

#include "localstore/errc.h"
#include "localstore/store.h"
#include "localstore/table_name.h"
#include "store_test_util.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using localstore::Errc;
using localstore_test::Entries;
using localstore_test::Gate;
using localstore_test::kStreamA;
using localstore_test::kStreamB;
using localstore_test::OpenStore;
using localstore_test::ReadAll;
using localstore_test::WaitEncoded;

namespace {

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Small enough that a few batches of kBatchBytes fill a table of 16 KiB pages, large enough for
// its schema.
constexpr std::uint64_t kCapPages = 16;
constexpr std::size_t kBatchBytes = 12000;

// Records every completion: which batch (an id chosen by the test) and its result, in call
// order.
class Completions {
 public:
  localstore::RecordSink::Completion For(int id) {
    return [this, id](std::error_code ec) {
      std::lock_guard lock(mutex_);
      calls_.emplace_back(id, ec);
    };
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return calls_.size();
  }
  std::vector<std::pair<int, std::error_code>> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  // Ids of the completions called with `ec`, in call order.
  std::vector<int> IdsWith(std::error_code ec) {
    std::vector<int> ids;
    for (const auto& [id, result] : calls()) {
      if (result == ec) ids.push_back(id);
    }
    return ids;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<int, std::error_code>> calls_;
};

std::vector<int> Range(int first, int end) {
  std::vector<int> ids;
  for (int i = first; i < end; ++i) ids.push_back(i);
  return ids;
}

localstore::StoreOptions Options(const testing::TempDir& dir, base::Logger& logger,
                                 std::uint64_t max_table_pages) {
  localstore::StoreOptions options;
  options.tables_dir = dir.path();
  options.logger = &logger;
  options.max_table_pages = max_table_pages;
  return options;
}

void Append(localstore::Store& store, Completions& completions, const std::string& stream, int id) {
  store.Append({stream, Entries(static_cast<std::uint32_t>(id), kBatchBytes), 1},
               completions.For(id));
}

// Appends batches with ids first, first+1, … one at a time, each time waiting until its
// completion is called or the store holds it, and stops at the first one held. Returns its id.
int FillUntilHeld(localstore::Store& store, Completions& completions, const std::string& stream,
                  int first) {
  for (int id = first; id < first + 1000; ++id) {
    const std::size_t before = completions.size();
    Append(store, completions, stream, id);
    REQUIRE(testing::WaitUntil(
        [&] { return completions.size() > before || store.Queue().held_batches > 0; }));
    if (store.Queue().held_batches > 0) return id;
    REQUIRE(completions.calls().back() == std::make_pair(id, std::error_code()));
  }
  FAIL("the table never filled up");
  return -1;
}

// The entries of `stream`'s rows must be those of batches first..end-1, once each, in order.
void CheckRows(localstore::Store& store, const std::string& stream, int first, int end) {
  std::vector<localstore::StoredRow> rows = ReadAll(store, stream);
  REQUIRE(rows.size() == static_cast<std::size_t>(end - first));
  for (int id = first; id < end; ++id) {
    INFO("batch " << id);
    CHECK(rows[id - first].entries == Entries(static_cast<std::uint32_t>(id), kBatchBytes));
  }
}

std::size_t ErrorLines(const base::MemoryLogger& logger) {
  std::size_t errors = 0;
  for (const base::MemoryLogger::Line& line : logger.Lines()) {
    if (line.level == base::LogLevel::kError) ++errors;
  }
  return errors;
}

}  // namespace

TEST_CASE("A table at its cap holds batches in order while other streams commit",
          "[localstore][diskfull]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  const std::int64_t test_start = NowNs();
  auto store = OpenStore(Options(dir, logger, kCapPages));
  Completions completions;
  const int held_first = FillUntilHeld(*store, completions, kStreamA, 0);
  REQUIRE(held_first > 0);
  for (int id = held_first + 1; id < held_first + 6; ++id)
    Append(*store, completions, kStreamA, id);
  // Appended after A's held batches: once B completes, the commit thread has seen them all.
  const int b_id = 1000;
  Append(*store, completions, kStreamB, b_id);
  REQUIRE(testing::WaitUntil([&] { return completions.IdsWith({}).back() == b_id; }));

  localstore::QueueStats queue = store->Queue();
  CHECK(queue.held_batches == 6);
  CHECK(queue.held_bytes == 6 * kBatchBytes);
  CHECK(queue.held_streams == 1);
  CHECK(queue.queued_batches == 6);
  CHECK(queue.queued_bytes == 6 * kBatchBytes);
  CHECK(queue.disk_full);
  CHECK(queue.disk_full_episodes == 1);
  // Since when, on the wall clock: after the test began, not in the future.
  CHECK(queue.disk_full_since_unix_ns >= test_start);
  CHECK(queue.disk_full_since_unix_ns <= NowNs());
  std::vector<int> committed = Range(0, held_first);
  committed.push_back(b_id);
  CHECK(completions.IdsWith({}) == committed);
  CHECK(completions.size() == committed.size());  // nothing failed, nothing held completed
  CheckRows(*store, kStreamA, 0, held_first);
  CHECK(ReadAll(*store, kStreamB).size() == 1);

  REQUIRE_FALSE(store->SetMaxTablePages(0));
  REQUIRE(testing::WaitUntil([&] { return completions.size() == committed.size() + 6; }));
  std::vector<int> all = committed;
  for (int id = held_first; id < held_first + 6; ++id) all.push_back(id);
  CHECK(completions.IdsWith({}) == all);
  CheckRows(*store, kStreamA, 0, held_first + 6);
  queue = store->Queue();
  CHECK(queue.held_batches == 0);
  CHECK(queue.held_bytes == 0);
  CHECK(queue.held_streams == 0);
  CHECK(queue.queued_batches == 0);
  CHECK(queue.queued_bytes == 0);
  CHECK_FALSE(queue.disk_full);
  CHECK(queue.disk_full_since_unix_ns == 0);
  // Later batches of the stream commit directly again.
  Append(*store, completions, kStreamA, held_first + 6);
  REQUIRE(testing::WaitUntil([&] { return completions.size() == all.size() + 1; }));
  CHECK(completions.calls().back() == std::make_pair(held_first + 6, std::error_code()));
  CheckRows(*store, kStreamA, 0, held_first + 7);
  CHECK(store->Stats().size() == 2);
}

TEST_CASE("A group that overflows the cap mid-transaction is rolled back and inserted once later",
          "[localstore][diskfull]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(Options(dir, logger, kCapPages));
  Completions completions;
  Gate gate;
  store->Append({kStreamB, "hold", 1}, [&](std::error_code) { gate.Enter(); });
  REQUIRE(testing::WaitUntil([&] { return gate.entered(); }));
  // More than the cap holds, all in the next group, so one transaction: some rows insert before
  // one fails.
  constexpr int kCount = 20;
  for (int id = 0; id < kCount; ++id) Append(*store, completions, kStreamA, id);
  WaitEncoded(*store);
  gate.Release();
  // Retries may commit the oldest of them (halving the group until it fits) before the cap is
  // raised: either way each row is inserted once.
  REQUIRE(testing::WaitUntil([&] { return store->Queue().disk_full; }));
  REQUIRE_FALSE(store->SetMaxTablePages(0));
  REQUIRE(testing::WaitUntil([&] { return completions.size() == kCount; }));
  CHECK(completions.IdsWith({}) == Range(0, kCount));
  CheckRows(*store, kStreamA, 0, kCount);
  CHECK(store->GetBacklog(kStreamA).rows == kCount);
  // A rolled-back insert leaves no trace, not even in AUTOINCREMENT's sequence: ids run 1..20.
  std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  for (std::size_t i = 0; i < rows.size(); ++i) CHECK(rows[i].row_id == std::int64_t(i) + 1);
  for (const localstore::StreamStats& stats : store->Stats()) {
    if (stats.stream_id == kStreamA) CHECK(stats.committed_records == kCount);
  }
}

TEST_CASE("Held batches commit as far as the space returned allows, oldest first",
          "[localstore][diskfull]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(Options(dir, logger, kCapPages));
  Completions completions;
  const int held_first = FillUntilHeld(*store, completions, kStreamA, 0);
  REQUIRE(held_first >= 4);
  // More held than the whole table can take: a retry of them all at once could never succeed.
  const int held_end = held_first + 3 * held_first;
  for (int id = held_first + 1; id < held_end; ++id) Append(*store, completions, kStreamA, id);
  const std::uint64_t held_count = static_cast<std::uint64_t>(held_end - held_first);
  REQUIRE(testing::WaitUntil([&] { return store->Queue().held_batches == held_count; }));
  // The uploader's part: upload and remove whatever is stored, until everything is.
  std::int64_t removed_rows = 0;
  REQUIRE(testing::WaitUntil([&] {
    std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
    if (!rows.empty()) {
      REQUIRE_FALSE(store->Remove(kStreamA, rows.front().row_id, rows.back().row_id));
      removed_rows += static_cast<std::int64_t>(rows.size());
    }
    return completions.size() == static_cast<std::size_t>(held_end);
  }));
  CHECK(completions.IdsWith({}) == Range(0, held_end));
  removed_rows += static_cast<std::int64_t>(ReadAll(*store, kStreamA).size());
  CHECK(removed_rows == held_end);  // each batch stored exactly once
  CHECK_FALSE(store->Queue().disk_full);
  CHECK(logger.Count("resumed after") == 1);
}

TEST_CASE("Removing old rows returns space within the cap and lets held batches through",
          "[localstore][diskfull]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(Options(dir, logger, kCapPages));
  Completions completions;
  const int held_first = FillUntilHeld(*store, completions, kStreamA, 0);
  REQUIRE(held_first >= 4);  // enough rows that removing them frees room for the held ones
  Append(*store, completions, kStreamA, held_first + 1);
  Append(*store, completions, kStreamA, held_first + 2);
  REQUIRE(testing::WaitUntil([&] { return store->Queue().held_batches == 3; }));
  // Retries alone do not help: the table is still at its cap.
  REQUIRE(testing::WaitUntil([&] { return store->Queue().disk_full_retries >= 2; }));
  CHECK(store->Queue().held_batches == 3);
  CHECK(completions.size() == static_cast<std::size_t>(held_first));

  std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  REQUIRE_FALSE(store->Remove(kStreamA, rows.front().row_id, rows.back().row_id));
  REQUIRE(testing::WaitUntil([&] { return completions.size() == held_first + 3u; }));
  CHECK(completions.IdsWith({}) == Range(0, held_first + 3));
  CheckRows(*store, kStreamA, held_first, held_first + 3);
  CHECK_FALSE(store->Queue().disk_full);
  CHECK(logger.Count("resumed after") == 1);
}

TEST_CASE("Close while batches are held fails them with kDiskFull and they are not stored",
          "[localstore][diskfull]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  Completions completions;
  int held_first = 0;
  {
    auto store = OpenStore(Options(dir, logger, kCapPages));
    held_first = FillUntilHeld(*store, completions, kStreamA, 0);
    Append(*store, completions, kStreamA, held_first + 1);
    Append(*store, completions, kStreamA, held_first + 2);
    REQUIRE(testing::WaitUntil([&] { return store->Queue().held_batches == 3; }));
    store->Close();
    // Every completion has run once Close returns.
    CHECK(completions.IdsWith(Errc::kDiskFull) == Range(held_first, held_first + 3));
    CHECK(completions.size() == held_first + 3u);
    CHECK(logger.Count("closing with a full disk: 3 batches (3 records) of stream " +
                       std::string(kStreamA)) == 1);
    CHECK_FALSE(store->Queue().disk_full);
    CHECK(store->Queue().queued_batches == 0);
  }
  auto store = OpenStore(Options(dir, logger, 0));
  CheckRows(*store, kStreamA, 0, held_first);
  CHECK(store->GetBacklog(kStreamA).rows == static_cast<std::uint64_t>(held_first));
  // Without the cap the same table takes data again.
  Append(*store, completions, kStreamA, held_first);
  REQUIRE(testing::WaitUntil([&] { return completions.size() == held_first + 4u; }));
  CHECK(completions.calls().back() == std::make_pair(held_first, std::error_code()));
}

TEST_CASE("FailHeldBatches fails the held batches and every later one that does not fit, unstored",
          "[localstore][diskfull]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  Completions completions;
  auto store = OpenStore(Options(dir, logger, kCapPages));
  const int held_first = FillUntilHeld(*store, completions, kStreamA, 0);
  Append(*store, completions, kStreamA, held_first + 1);
  REQUIRE(testing::WaitUntil([&] { return store->Queue().held_batches == 2; }));

  store->FailHeldBatches();
  REQUIRE(testing::WaitUntil([&] { return completions.size() == held_first + 2u; }));
  CHECK(completions.IdsWith(Errc::kDiskFull) == Range(held_first, held_first + 2));
  CHECK(logger.Count("stopping with a full disk: 2 batches (2 records) of stream " +
                     std::string(kStreamA)) == 1);
  CHECK_FALSE(store->Queue().disk_full);
  // A later batch that does not fit fails too, instead of waiting.
  Append(*store, completions, kStreamA, held_first + 2);
  REQUIRE(testing::WaitUntil([&] { return completions.size() == held_first + 3u; }));
  CHECK(completions.calls().back() ==
        std::make_pair(held_first + 2, make_error_code(Errc::kDiskFull)));
  CHECK(store->Queue().held_batches == 0);
  // None of them was stored.
  CheckRows(*store, kStreamA, 0, held_first);
}

TEST_CASE("One error line per disk-full episode and one info line when it resumes",
          "[localstore][diskfull]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(Options(dir, logger, kCapPages));
  Completions completions;
  const int held_first = FillUntilHeld(*store, completions, kStreamA, 0);
  Append(*store, completions, kStreamA, held_first + 1);
  // Several failed retries, some of them asked for by SetMaxTablePages.
  REQUIRE_FALSE(store->SetMaxTablePages(kCapPages));
  REQUIRE(testing::WaitUntil([&] { return store->Queue().disk_full_retries >= 4; }));
  REQUIRE(store->Queue().held_batches == 2);
  CHECK(logger.Count("disk full: 1 batches (1 records) of stream " + std::string(kStreamA) +
                     " are held and not acknowledged; retrying") == 1);
  CHECK(logger.Count("database or disk is full") == 1);  // the reason, in that same line
  CHECK(ErrorLines(logger) == 1);
  CHECK(logger.Count("resumed after") == 0);

  REQUIRE_FALSE(store->SetMaxTablePages(0));
  REQUIRE(testing::WaitUntil([&] { return completions.size() == held_first + 2u; }));
  CHECK(logger.Count("disk full over: stream " + std::string(kStreamA) + " resumed after") == 1);
  CHECK(logger.Count("the 2 batches (2 records) held meanwhile are committed") == 1);
  std::size_t info_resumed = 0;
  for (const base::MemoryLogger::Line& line : logger.Lines()) {
    if (line.message.find("resumed after") != std::string::npos &&
        line.level == base::LogLevel::kInfo) {
      ++info_resumed;
    }
  }
  CHECK(info_resumed == 1);

  // A second episode: a cap below the table's size keeps it at its current size.
  REQUIRE_FALSE(store->SetMaxTablePages(1));
  FillUntilHeld(*store, completions, kStreamA, held_first + 2);
  CHECK(store->Queue().disk_full_episodes == 2);
  CHECK(logger.Count("are held and not acknowledged") == 2);
  CHECK(ErrorLines(logger) == 2);
  REQUIRE_FALSE(store->SetMaxTablePages(0));
  REQUIRE(testing::WaitUntil([&] { return !store->Queue().disk_full; }));
  CHECK(logger.Count("resumed after") == 2);
  CHECK(completions.IdsWith({}).size() == completions.size());
}

TEST_CASE("A new table that does not fit under the cap is held until it can be created",
          "[localstore][diskfull]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(Options(dir, logger, 2));  // below the pages of an empty table
  Completions completions;
  Append(*store, completions, kStreamA, 0);
  Append(*store, completions, kStreamA, 1);
  REQUIRE(testing::WaitUntil([&] { return store->Queue().held_batches == 2; }));
  CHECK(completions.size() == 0);
  CHECK(logger.Count("cannot create table") == 1);  // only as the reason of the episode line
  CHECK(ErrorLines(logger) == 1);

  SECTION("raising the cap creates it and commits the batches once") {
    REQUIRE_FALSE(store->SetMaxTablePages(0));
    REQUIRE(testing::WaitUntil([&] { return completions.size() == 2; }));
    CHECK(completions.IdsWith({}) == Range(0, 2));
    CheckRows(*store, kStreamA, 0, 2);
  }
  SECTION("closing fails the batches and leaves no half-made table behind") {
    store->Close();
    CHECK(completions.IdsWith(Errc::kDiskFull) == Range(0, 2));
    CHECK_FALSE(std::filesystem::exists(dir / localstore::TableFileName(kStreamA)));
    CHECK(localstore_test::FileNames(dir.path()).empty());
  }
}

TEST_CASE("max_table_pages is applied to tables opened from disk", "[localstore][diskfull]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  Completions completions;
  {
    auto store = OpenStore(Options(dir, logger, 0));
    for (int id = 0; id < 3; ++id) Append(*store, completions, kStreamA, id);
    REQUIRE(testing::WaitUntil([&] { return completions.size() == 3; }));
  }
  auto store = OpenStore(Options(dir, logger, 1));  // the table's current size, then
  Append(*store, completions, kStreamA, 3);
  Append(*store, completions, kStreamA, 4);
  REQUIRE(testing::WaitUntil([&] { return store->Queue().held_batches > 0; }));
  REQUIRE_FALSE(store->SetMaxTablePages(0));
  REQUIRE(testing::WaitUntil([&] { return completions.size() == 5; }));
  CHECK(completions.IdsWith({}) == Range(0, 5));
  CheckRows(*store, kStreamA, 0, 5);
}
