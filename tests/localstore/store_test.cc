#include "localstore/store.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "localstore/errc.h"
#include "localstore/table_name.h"
#include "store_test_util.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using localstore::Errc;
using localstore_test::AppendAndWait;
using localstore_test::Entries;
using localstore_test::Gate;
using localstore_test::kStreamA;
using localstore_test::kStreamB;
using localstore_test::OpenStore;
using localstore_test::ReadAll;
using localstore_test::WaitEncoded;

TEST_CASE("Append commits and ReadOldest returns the same bytes", "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger);
  const std::string entries = Entries(1, 1000);
  REQUIRE(AppendAndWait(*store, kStreamA, entries, 7) == std::error_code());

  std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].entries == entries);
  CHECK(rows[0].count == 7);
  CHECK(rows[0].row_id > 0);
  CHECK(rows[0].received_unix_ns > 0);
  CHECK(store->StreamsWithData() == std::vector<std::string>{kStreamA});
  localstore::Backlog backlog = store->GetBacklog(kStreamA);
  CHECK(backlog.rows == 1);
  CHECK(backlog.records == 7);
  CHECK(backlog.bytes == 1000);
  CHECK(std::filesystem::exists(dir / localstore::TableFileName(kStreamA)));
  // An empty batch is still a row (NOT NULL entries).
  REQUIRE(AppendAndWait(*store, kStreamA, "", 0) == std::error_code());
  CHECK(ReadAll(*store, kStreamA).size() == 2);
  CHECK(ReadAll(*store, "unknown:stream:X").empty());
}

TEST_CASE("Completions never run inside Append, and run in append order", "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger);
  const std::thread::id caller = std::this_thread::get_id();
  std::mutex mutex;
  std::vector<int> order;
  // thread_local: only a completion run by Append itself, on the appending thread, sees it set.
  static thread_local bool inside_append = false;
  std::atomic<int> inside_calls{0};
  std::atomic<int> caller_thread_calls{0};
  auto make_done = [&](int i) {
    return [&, i](std::error_code ec) {
      if (inside_append) ++inside_calls;
      if (std::this_thread::get_id() == caller) ++caller_thread_calls;
      std::lock_guard lock(mutex);
      order.push_back(ec ? -1 : i);
    };
  };
  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) {
    inside_append = true;
    store->Append({i % 2 ? kStreamA : kStreamB, Entries(i, 20), 1}, make_done(i));
    inside_append = false;
  }
  REQUIRE(testing::WaitUntil([&] {
    std::lock_guard lock(mutex);
    return order.size() == kCount;
  }));
  store->Close();
  inside_append = true;
  store->Append({kStreamA, "x", 1}, make_done(kCount));
  inside_append = false;
  REQUIRE(testing::WaitUntil([&] {
    std::lock_guard lock(mutex);
    return order.size() == kCount + 1;
  }));
  CHECK(inside_calls == 0);
  CHECK(caller_thread_calls == 0);
  std::lock_guard lock(mutex);
  for (int i = 0; i < kCount; ++i) CHECK(order[i] == i);
  CHECK(order[kCount] == -1);
}

TEST_CASE("Records survive Close and reopen", "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  std::vector<localstore::StoredRow> before_a;
  std::vector<localstore::StoredRow> before_b;
  {
    auto store = OpenStore(dir.path(), logger);
    for (std::uint32_t i = 0; i < 5; ++i) {
      REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(i, 100 + i), i + 1));
    }
    REQUIRE_FALSE(AppendAndWait(*store, kStreamB, Entries(99, 4096), 40));
    before_a = ReadAll(*store, kStreamA);
    before_b = ReadAll(*store, kStreamB);
    store->Close();
    store->Close();  // idempotent
  }
  auto store = OpenStore(dir.path(), logger);
  std::vector<std::string> streams = store->StreamsWithData();
  std::sort(streams.begin(), streams.end());
  CHECK(streams == std::vector<std::string>{kStreamA, kStreamB});
  localstore::Backlog a = store->GetBacklog(kStreamA);
  CHECK(a.rows == 5);
  CHECK(a.records == 1 + 2 + 3 + 4 + 5);
  CHECK(a.bytes == 100 + 101 + 102 + 103 + 104);
  CHECK(store->GetBacklog(kStreamB).bytes == 4096);
  std::vector<localstore::StoredRow> after_a = ReadAll(*store, kStreamA);
  REQUIRE(after_a.size() == before_a.size());
  for (std::size_t i = 0; i < after_a.size(); ++i) {
    CHECK(after_a[i].row_id == before_a[i].row_id);
    CHECK(after_a[i].received_unix_ns == before_a[i].received_unix_ns);
    CHECK(after_a[i].count == before_a[i].count);
    CHECK(after_a[i].entries == Entries(static_cast<std::uint32_t>(i), 100 + i));
  }
  REQUIRE(ReadAll(*store, kStreamB).size() == 1);
  CHECK(ReadAll(*store, kStreamB)[0].entries == before_b[0].entries);
}

TEST_CASE("16 threads appending at once: all commit, each thread's rows in order",
          "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger);
  constexpr int kThreads = 16;
  constexpr int kPerThread = 300;
  const std::string streams[] = {kStreamA, kStreamB, "dcr-2:ds:CONFIG_CHANGE_BLOB"};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // entries = "<thread>:<sequence>" so that rows can be traced back to their appender.
        store->Append({streams[t % 3], std::to_string(t) + ":" + std::to_string(i), 1},
                      [&](std::error_code ec) { ++(ec ? failed : ok); });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  REQUIRE(testing::WaitUntil([&] { return ok + failed == kThreads * kPerThread; }));
  CHECK(failed == 0);

  std::map<int, int> next;  // thread -> expected sequence
  std::size_t total = 0;
  for (const std::string& stream : streams) {
    std::int64_t last_id = 0;
    for (const localstore::StoredRow& row : ReadAll(*store, stream)) {
      CHECK(row.row_id > last_id);
      last_id = row.row_id;
      std::size_t colon = row.entries.find(':');
      REQUIRE(colon != std::string::npos);
      int t = std::stoi(row.entries.substr(0, colon));
      int i = std::stoi(row.entries.substr(colon + 1));
      CHECK(streams[t % 3] == stream);
      CHECK(i == next[t]);
      next[t] = i + 1;
      ++total;
    }
  }
  CHECK(total == kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) CHECK(next[t] == kPerThread);
}

namespace {

// Appends one batch of kStreamA and holds the commit thread in its completion (after `on_first`
// runs there) while 50 batches of kStreamA and kStreamB queue and are encoded behind it, then
// lets it go: those 50 commit as one group. Returns once all 51 completions have run.
void AppendGroupBehindFirst(localstore::Store& store, const std::function<void()>& on_first = {}) {
  Gate gate;
  std::atomic<int> done{0};
  store.Append({kStreamA, "first", 1}, [&](std::error_code) {
    if (on_first) on_first();
    gate.Enter();
    ++done;
  });
  REQUIRE(testing::WaitUntil([&] { return gate.entered(); }));
  for (int i = 0; i < 50; ++i) {
    store.Append({i % 2 ? kStreamA : kStreamB, Entries(i, 10), 1}, [&](std::error_code ec) {
      if (!ec) ++done;
    });
  }
  WaitEncoded(store);
  gate.Release();
  REQUIRE(testing::WaitUntil([&] { return done == 51; }));
}

}  // namespace

TEST_CASE("Batches queued during a commit share the next group, listener once per stream",
          "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger);
  std::mutex mutex;
  std::vector<std::string> notified;
  store->SetCommitListener([&](const std::string& stream_id) {
    std::lock_guard lock(mutex);
    notified.push_back(stream_id);
  });
  AppendGroupBehindFirst(*store);
  REQUIRE(testing::WaitUntil([&] {
    std::lock_guard lock(mutex);
    return notified.size() >= 3;
  }));
  store->Close();  // the listener has run for every group once Close returns
  {
    std::lock_guard lock(mutex);
    REQUIRE(notified.size() == 3);
    CHECK(notified[0] == kStreamA);
    std::multiset<std::string> second(notified.begin() + 1, notified.end());
    CHECK(second == std::multiset<std::string>{kStreamA, kStreamB});
  }
}

TEST_CASE("Queue().commits counts one transaction per table per group, not per batch",
          "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger);
  CHECK(store->Queue().commits == 0);
  std::atomic<std::uint64_t> commits_seen_by_first{0};
  // 50 batches of two streams queued behind the first commit: one group, two transactions.
  AppendGroupBehindFirst(*store, [&] {
    // Published before the group's completions run.
    commits_seen_by_first = store->Queue().commits;
  });
  CHECK(commits_seen_by_first == 1);
  CHECK(store->Queue().commits == 1 + 2);
  // A batch refused (its file name belongs to another stream id) commits nothing.
  const std::string owner = "a:b:CONFIG_CHANGE_BLOB";
  const std::string clash = "a_b:CONFIG_CHANGE_BLOB";
  REQUIRE(localstore::TableFileName(owner) == localstore::TableFileName(clash));
  REQUIRE(AppendAndWait(*store, owner, "owner", 1) == std::error_code());
  CHECK(store->Queue().commits == 4);
  CHECK(AppendAndWait(*store, clash, "clash", 1) == Errc::kTableConflict);
  CHECK(store->Queue().commits == 4);
}

TEST_CASE("max_group_bytes splits a queue into several commits", "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger, /*max_group_bytes=*/250);
  std::atomic<int> groups{0};
  store->SetCommitListener([&](const std::string&) { ++groups; });
  Gate gate;
  std::atomic<int> done{0};
  store->Append({kStreamA, "first", 1}, [&](std::error_code) {
    gate.Enter();
    ++done;
  });
  REQUIRE(testing::WaitUntil([&] { return gate.entered(); }));
  for (int i = 0; i < 10; ++i) {
    store->Append({kStreamA, Entries(i, 100), 1}, [&](std::error_code ec) {
      if (!ec) ++done;
    });
  }
  WaitEncoded(*store);
  gate.Release();
  REQUIRE(testing::WaitUntil([&] { return done == 11; }));
  store->Close();
  CHECK(groups == 1 + 5);  // the first batch, then pairs of 100 bytes (a third would pass 250)
}

TEST_CASE("ReadOldest honours rows, records and bytes limits and after_row_id",
          "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger);
  for (int i = 0; i < 10; ++i) REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(i, 100), 3));
  const std::vector<localstore::StoredRow> all = ReadAll(*store, kStreamA);
  REQUIRE(all.size() == 10);

  struct Case {
    const char* name;
    std::int64_t after;
    localstore::ReadLimits limits;
    std::size_t expected_rows;
    std::size_t first_index;
  };
  const std::int64_t fifth = all[4].row_id;
  const Case cases[] = {
      {"rows", 0, {4, 1000, 1 << 20}, 4, 0},
      {"records", 0, {100, 7, 1 << 20}, 2, 0},
      {"records exactly", 0, {100, 9, 1 << 20}, 3, 0},
      {"bytes", 0, {100, 1000, 250}, 2, 0},
      {"bytes exactly", 0, {100, 1000, 300}, 3, 0},
      {"oversized first row", 0, {100, 1, 10}, 1, 0},
      {"zero rows still gives one", 0, {0, 0, 0}, 1, 0},
      {"after the fifth", fifth, {100, 1000, 1 << 20}, 5, 5},
      {"after the fifth, limited", fifth, {2, 1000, 1 << 20}, 2, 5},
      {"after the last", all.back().row_id, {100, 1000, 1 << 20}, 0, 0},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    std::vector<localstore::StoredRow> rows{localstore::StoredRow{}};  // replaced, not appended
    REQUIRE_FALSE(store->ReadOldest(kStreamA, c.after, c.limits, &rows));
    REQUIRE(rows.size() == c.expected_rows);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      CHECK(rows[i].row_id == all[c.first_index + i].row_id);
      CHECK(rows[i].entries == all[c.first_index + i].entries);
    }
  }
}

TEST_CASE("Remove keeps the backlog exact, also across a reopen", "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  std::vector<localstore::StoredRow> all;
  {
    auto store = OpenStore(dir.path(), logger);
    for (std::uint32_t i = 0; i < 6; ++i) {
      REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(i, 10 * (i + 1)), i + 1));
    }
    all = ReadAll(*store, kStreamA);
    REQUIRE(all.size() == 6);
    REQUIRE_FALSE(store->Remove(kStreamA, all[0].row_id, all[2].row_id));
    localstore::Backlog backlog = store->GetBacklog(kStreamA);
    CHECK(backlog.rows == 3);
    CHECK(backlog.records == 4 + 5 + 6);
    CHECK(backlog.bytes == 40 + 50 + 60);
    // Removing again, an empty range or an unknown stream changes nothing and is no error.
    CHECK_FALSE(store->Remove(kStreamA, all[0].row_id, all[2].row_id));
    CHECK_FALSE(store->Remove(kStreamA, all[5].row_id, all[3].row_id));
    CHECK_FALSE(store->Remove("unknown:x:Y", 1, 100));
    CHECK(store->GetBacklog(kStreamA).rows == 3);
    std::vector<localstore::StoredRow> left = ReadAll(*store, kStreamA);
    REQUIRE(left.size() == 3);
    CHECK(left[0].row_id == all[3].row_id);
    std::vector<localstore::StreamStats> stats = store->Stats();
    REQUIRE(stats.size() == 1);
    CHECK(stats[0].stream_id == kStreamA);
    CHECK(stats[0].file_name == localstore::TableFileName(kStreamA));
    CHECK(stats[0].committed_records == 21);
    CHECK(stats[0].removed_records == 6);
    CHECK(stats[0].backlog.records == 15);
  }
  auto store = OpenStore(dir.path(), logger);
  localstore::Backlog backlog = store->GetBacklog(kStreamA);
  CHECK(backlog.rows == 3);
  CHECK(backlog.records == 15);
  CHECK(backlog.bytes == 150);
  REQUIRE_FALSE(store->Remove(kStreamA, all[3].row_id, all[5].row_id));
  CHECK(store->GetBacklog(kStreamA).rows == 0);
  CHECK(store->StreamsWithData().empty());
}

TEST_CASE("Row ids are not reused after the last row is removed and the store reopens",
          "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  std::int64_t last_id = 0;
  {
    auto store = OpenStore(dir.path(), logger);
    for (int i = 0; i < 3; ++i) REQUIRE_FALSE(AppendAndWait(*store, kStreamA, "x", 1));
    std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
    last_id = rows.back().row_id;
    REQUIRE_FALSE(store->Remove(kStreamA, rows.front().row_id, last_id));
  }
  auto store = OpenStore(dir.path(), logger);
  CHECK(store->StreamsWithData().empty());
  REQUIRE_FALSE(AppendAndWait(*store, kStreamA, "y", 1));
  std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].row_id > last_id);
}

TEST_CASE("After Close, Append fails with kClosed and reads fail too", "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger);
  REQUIRE_FALSE(AppendAndWait(*store, kStreamA, "x", 1));
  store->Close();
  CHECK(AppendAndWait(*store, kStreamA, "y", 1) == Errc::kClosed);
  std::vector<localstore::StoredRow> rows;
  CHECK(store->ReadOldest(kStreamA, 0, {}, &rows) == Errc::kClosed);
  CHECK(store->Remove(kStreamA, 1, 1) == Errc::kClosed);
  CHECK(store->StreamsWithData().empty());
}

TEST_CASE("Two stream ids with one file name: the second is refused, others unaffected",
          "[localstore][store]") {
  const std::string owner = "a:b:CONFIG_CHANGE_BLOB";
  const std::string clash = "a_b:CONFIG_CHANGE_BLOB";
  REQUIRE(localstore::TableFileName(owner) == localstore::TableFileName(clash));
  testing::TempDir dir;
  base::MemoryLogger logger;
  {
    auto store = OpenStore(dir.path(), logger);
    REQUIRE_FALSE(AppendAndWait(*store, owner, "owner", 1));
    // Both in one group with a third stream: only the clashing batch fails.
    std::mutex mutex;
    std::map<std::string, std::error_code> results;
    Gate gate;
    store->Append({kStreamB, "hold", 1}, [&](std::error_code) { gate.Enter(); });
    REQUIRE(testing::WaitUntil([&] { return gate.entered(); }));
    for (const std::string& id : {clash, owner, std::string(kStreamA)}) {
      store->Append({id, "from " + id, 1}, [&, id](std::error_code ec) {
        std::lock_guard lock(mutex);
        results[id] = ec;
      });
    }
    WaitEncoded(*store);
    gate.Release();
    REQUIRE(testing::WaitUntil([&] {
      std::lock_guard lock(mutex);
      return results.size() == 3;
    }));
    CHECK(results[clash] == Errc::kTableConflict);
    CHECK_FALSE(results[owner]);
    CHECK_FALSE(results[kStreamA]);
    std::size_t naming_both = 0;
    for (const base::MemoryLogger::Line& line : logger.Lines()) {
      if (line.level == base::LogLevel::kError && line.component == "localstore" &&
          line.message.find(owner) != std::string::npos &&
          line.message.find(clash) != std::string::npos) {
        ++naming_both;
      }
    }
    CHECK(naming_both == 1);
  }
  auto store = OpenStore(dir.path(), logger);
  CHECK(AppendAndWait(*store, clash, "again", 1) == Errc::kTableConflict);
  std::vector<localstore::StoredRow> rows = ReadAll(*store, owner);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].entries == "owner");
  CHECK(rows[1].entries == "from " + owner);
  CHECK(ReadAll(*store, clash).empty());
  CHECK(store->GetBacklog(clash).rows == 0);
}

TEST_CASE("Open fails when tables_dir cannot be a folder, and throws on a null logger",
          "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  { std::ofstream(dir / "file") << "x"; }
  localstore::StoreOptions options;
  options.tables_dir = dir / "file" / "Tables";
  options.logger = &logger;
  std::unique_ptr<localstore::Store> store;
  CHECK(localstore::Store::Open(options, &store));
  CHECK(store == nullptr);
  options.logger = nullptr;
  options.tables_dir = dir / "Tables";
  // A null logger is a broken precondition, refused the way the uploader refuses it.
  CHECK_THROWS_AS(localstore::Store::Open(options, &store), std::invalid_argument);
}

TEST_CASE("Stats keep each stream's first row's receive time, CommitLatency each commit",
          "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger);
  auto oldest = [&] {
    for (const localstore::StreamStats& stats : store->Stats()) {
      if (stats.stream_id == kStreamA) return stats.oldest_received_unix_ns;
    }
    return std::int64_t{-1};
  };
  CHECK(store->CommitLatency().count() == 0);
  // Each waited for: two groups, two receive times.
  REQUIRE(AppendAndWait(*store, kStreamA, Entries(1, 100), 1) == std::error_code());
  REQUIRE(AppendAndWait(*store, kStreamA, Entries(2, 100), 1) == std::error_code());
  std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 2);
  REQUIRE(rows[0].received_unix_ns < rows[1].received_unix_ns);
  CHECK(oldest() == rows[0].received_unix_ns);
  REQUIRE_FALSE(store->Remove(kStreamA, rows[0].row_id, rows[0].row_id));
  CHECK(oldest() == rows[1].received_unix_ns);
  REQUIRE_FALSE(store->Remove(kStreamA, rows[1].row_id, rows[1].row_id));
  CHECK(oldest() == 0);

  base::HistogramSnapshot latency = store->CommitLatency();
  CHECK(latency.count() == 2);
  CHECK(latency.sum > 0);
  CHECK(latency.cumulative.size() == latency.upper_bounds.size() + 1);

  // A reopened store reads it from the table.
  REQUIRE(AppendAndWait(*store, kStreamA, Entries(3, 100), 1) == std::error_code());
  rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 1);
  store.reset();
  store = OpenStore(dir.path(), logger);
  CHECK(oldest() == rows[0].received_unix_ns);
}

TEST_CASE("A table past max_tables is refused with kTooManyTables, logged once, others go on",
          "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  localstore::StoreOptions options;
  options.tables_dir = dir.path();
  options.logger = &logger;
  options.max_tables = 2;
  auto store = OpenStore(options);
  const std::string kStreamC = "dcr-cad67fc3f9024d43bafe704f83012bc6:CTDataSource-Linux:THIRD";
  REQUIRE(AppendAndWait(*store, kStreamA, Entries(1, 100), 1) == std::error_code());
  REQUIRE(AppendAndWait(*store, kStreamB, Entries(2, 100), 1) == std::error_code());
  CHECK(AppendAndWait(*store, kStreamC, Entries(3, 100), 1) == Errc::kTooManyTables);
  CHECK(AppendAndWait(*store, kStreamC, Entries(4, 100), 1) == Errc::kTooManyTables);
  CHECK(logger.Count("no table for stream " + kStreamC + ": 2 tables are open") == 1);
  CHECK_FALSE(std::filesystem::exists(dir / localstore::TableFileName(kStreamC)));
  // The open tables still take rows.
  CHECK(AppendAndWait(*store, kStreamA, Entries(5, 100), 1) == std::error_code());
  CHECK(ReadAll(*store, kStreamA).size() == 2);
}

TEST_CASE("CloseIfEmpty closes and removes only an empty table, and data brings it back",
          "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger);
  REQUIRE(AppendAndWait(*store, kStreamA, Entries(1, 100), 3) == std::error_code());
  REQUIRE(AppendAndWait(*store, kStreamB, Entries(2, 100), 1) == std::error_code());
  const std::filesystem::path file_a = dir / localstore::TableFileName(kStreamA);
  bool closed = true;
  // Rows left: kept.
  REQUIRE_FALSE(store->CloseIfEmpty(kStreamA, &closed));
  CHECK_FALSE(closed);
  CHECK(std::filesystem::exists(file_a));

  std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 1);
  REQUIRE_FALSE(store->Remove(kStreamA, rows[0].row_id, rows[0].row_id));
  REQUIRE_FALSE(store->CloseIfEmpty(kStreamA, &closed));
  CHECK(closed);
  CHECK_FALSE(std::filesystem::exists(file_a));
  CHECK_FALSE(std::filesystem::exists(dir / (localstore::TableFileName(kStreamA) + "-wal")));
  std::size_t streams = 0;
  for (const localstore::StreamStats& stats : store->Stats()) {
    CHECK(stats.stream_id != kStreamA);
    ++streams;
  }
  CHECK(streams == 1);
  // An unknown stream, or one closed already: nothing to do.
  REQUIRE_FALSE(store->CloseIfEmpty(kStreamA, &closed));
  CHECK_FALSE(closed);

  // The stream comes back: a new table, and the other stream never noticed.
  REQUIRE(AppendAndWait(*store, kStreamA, Entries(3, 100), 2) == std::error_code());
  CHECK(ReadAll(*store, kStreamA).size() == 1);
  CHECK(std::filesystem::exists(file_a));
  CHECK(ReadAll(*store, kStreamB).size() == 1);
}

TEST_CASE("CloseIfEmpty racing appends of the same stream loses no committed batch",
          "[localstore][store]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger);
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> removed{0};
  std::atomic<int> closes{0};
  // Removes whatever rows are there, as an upload would, then closes the empty table, again and
  // again: the appends keep bringing it back.
  std::thread closer([&] {
    while (!stop) {
      for (const localstore::StoredRow& row : ReadAll(*store, kStreamA)) {
        if (!store->Remove(kStreamA, row.row_id, row.row_id)) ++removed;
      }
      bool closed = false;
      if (!store->CloseIfEmpty(kStreamA, &closed) && closed) ++closes;
    }
  });
  int committed = 0;
  for (int i = 0; i < 200; ++i) {
    const std::error_code ec = AppendAndWait(*store, kStreamA, Entries(i, 50), 1);
    CHECK(ec.message() == std::error_code().message());
    if (!ec) ++committed;
  }
  stop = true;
  closer.join();
  for (const auto& line : logger.Lines()) {
    if (line.level >= base::LogLevel::kWarning) FAIL_CHECK(line.message);
  }
  CHECK(committed == 200);
  CAPTURE(closes.load());
  // Every committed row was either removed by the closer or is still there.
  CHECK(removed + ReadAll(*store, kStreamA).size() == 200);
}
