// The disk quota of docs/protocol.md §4 (StoreOptions::quota_bytes, Store::SetQuota), on real
// tables.
//
// Appends are waited for one at a time, so that each row is received later than the one before:
// the order of appending is then the order of age that the quota drops rows in, and the tests
// check the store against a model that drops the oldest rows first.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "localstore/store.h"
#include "localstore/table_name.h"
#include "quota_log.h"
#include "store_test_util.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using localstore_test::AppendAndWait;
using localstore_test::Entries;
using localstore_test::kStreamA;
using localstore_test::kStreamB;
using localstore_test::OpenStore;
using localstore_test::RawDb;
using localstore_test::ReadAll;

namespace {

localstore::StoreOptions Options(const testing::TempDir& dir, base::Logger& logger,
                                 std::uint64_t quota_bytes, std::uint64_t max_table_pages = 0) {
  localstore::StoreOptions options;
  options.tables_dir = dir.path();
  options.logger = &logger;
  options.quota_bytes = quota_bytes;
  options.max_table_pages = max_table_pages;
  return options;
}

// One appended batch, as the model knows it.
struct Row {
  std::string stream;
  std::uint32_t seed = 0;
  std::size_t bytes = 0;
  std::uint32_t count = 0;
};

// What the store should hold: the rows appended, oldest first, minus those the quota dropped.
class Model {
 public:
  void Append(const Row& row) { rows_.push_back(row); }
  // What the store does while the total exceeds `quota`: drops every row larger than the quota
  // alone, then the oldest rows.
  void Enforce(std::uint64_t quota) {
    if (quota == 0 || Bytes() <= quota) return;
    for (auto it = rows_.begin(); it != rows_.end();) {
      if (it->bytes > quota) {
        Drop(*it);
        it = rows_.erase(it);
      } else {
        ++it;
      }
    }
    while (Bytes() > quota) {
      Drop(rows_.front());
      rows_.pop_front();
    }
  }
  std::uint64_t Bytes() const {
    std::uint64_t bytes = 0;
    for (const Row& row : rows_) bytes += row.bytes;
    return bytes;
  }
  std::vector<Row> RowsOf(const std::string& stream) const {
    std::vector<Row> rows;
    for (const Row& row : rows_) {
      if (row.stream == stream) rows.push_back(row);
    }
    return rows;
  }
  struct Dropped {
    std::uint64_t rows = 0;
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
  };
  Dropped DroppedOf(const std::string& stream) const {
    auto it = dropped_.find(stream);
    return it == dropped_.end() ? Dropped{} : it->second;
  }
  Dropped TotalDropped() const {
    Dropped total;
    for (const auto& [stream, dropped] : dropped_) {
      total.rows += dropped.rows;
      total.records += dropped.records;
      total.bytes += dropped.bytes;
    }
    return total;
  }

 private:
  void Drop(const Row& row) {
    Dropped& dropped = dropped_[row.stream];
    dropped.rows += 1;
    dropped.records += row.count;
    dropped.bytes += row.bytes;
  }

  std::deque<Row> rows_;
  std::map<std::string, Dropped> dropped_;
};

void AppendRow(localstore::Store& store, Model& model, const Row& row) {
  REQUIRE_FALSE(AppendAndWait(store, row.stream, Entries(row.seed, row.bytes), row.count));
  model.Append(row);
}

localstore::StreamStats StatsOf(localstore::Store& store, const std::string& stream) {
  for (const localstore::StreamStats& stats : store.Stats()) {
    if (stats.stream_id == stream) return stats;
  }
  FAIL("no stats for " << stream);
  return {};
}

// The store holds exactly the model's rows, byte for byte, and counts exactly its drops.
void CheckAgainst(localstore::Store& store, const Model& model) {
  for (const std::string stream : {kStreamA, kStreamB}) {
    INFO(stream);
    std::vector<Row> expected = model.RowsOf(stream);
    std::vector<localstore::StoredRow> rows = ReadAll(store, stream);
    REQUIRE(rows.size() == expected.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      CHECK(rows[i].entries == Entries(expected[i].seed, expected[i].bytes));
      CHECK(rows[i].count == expected[i].count);
    }
    const Model::Dropped dropped = model.DroppedOf(stream);
    const localstore::StreamStats stats = StatsOf(store, stream);
    CHECK(stats.quota_dropped_rows == dropped.rows);
    CHECK(stats.quota_dropped_records == dropped.records);
    CHECK(stats.quota_dropped_bytes == dropped.bytes);
    CHECK(stats.removed_records == 0);  // drops are not uploads
  }
  const localstore::QuotaStats quota = store.Quota();
  CHECK(quota.stored_bytes == model.Bytes());
  CHECK(quota.dropped_rows == model.TotalDropped().rows);
  CHECK(quota.dropped_records == model.TotalDropped().records);
  CHECK(quota.dropped_bytes == model.TotalDropped().bytes);
}

std::vector<base::MemoryLogger::Line> QuotaLines(const base::MemoryLogger& logger) {
  std::vector<base::MemoryLogger::Line> lines;
  for (const base::MemoryLogger::Line& line : logger.Lines()) {
    if (line.message.rfind("quota: dropped ", 0) == 0) lines.push_back(line);
  }
  return lines;
}

std::string QuotaLine(std::uint64_t records, std::uint64_t bytes, const std::string& stream,
                      std::int64_t oldest_unix_ns, std::uint64_t quota) {
  return localstore::QuotaLog::Format(
      localstore::QuotaLog::Line{stream, records, 0, bytes, oldest_unix_ns, quota});
}

}  // namespace

TEST_CASE("Appends to two streams stay within the quota, and the oldest rows across streams go",
          "[localstore][quota]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  constexpr std::uint64_t kQuota = 10'000;
  auto store = OpenStore(Options(dir, logger, kQuota));
  Model model;
  // An irregular mix of streams and sizes, so that "oldest first" differs from "one stream
  // first" or "largest first".
  const char* pattern = "AABABBBAABAAABBABBBA";
  std::uint64_t passes = 0;
  for (std::uint32_t i = 0; pattern[i] != '\0'; ++i) {
    const Row row{pattern[i] == 'A' ? kStreamA : kStreamB, i, 400 + (i * 577) % 1600, i + 1};
    const std::uint64_t before = model.TotalDropped().rows;
    AppendRow(*store, model, row);
    model.Enforce(kQuota);
    if (model.TotalDropped().rows > before) ++passes;
    // The completion runs after the group's eviction pass: the store is within its quota.
    INFO("append " << i);
    CHECK(store->Quota().stored_bytes == model.Bytes());
    CHECK(store->Quota().stored_bytes <= kQuota);
  }
  REQUIRE(model.DroppedOf(kStreamA).rows > 0);
  REQUIRE(model.DroppedOf(kStreamB).rows > 0);
  CheckAgainst(*store, model);
  localstore::QuotaStats quota = store->Quota();
  CHECK(quota.quota_bytes == kQuota);
  CHECK(quota.eviction_passes == passes);
  CHECK(store->GetBacklog(kStreamA).bytes + store->GetBacklog(kStreamB).bytes == model.Bytes());
  for (const base::MemoryLogger::Line& line : QuotaLines(logger)) {
    CHECK(line.level == base::LogLevel::kWarning);
    CHECK(line.component == "localstore");
  }
}

TEST_CASE("SetQuota: lower drops at once, higher drops nothing, 0 disables",
          "[localstore][quota]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(Options(dir, logger, 0));
  Model model;
  for (std::uint32_t i = 0; i < 10; ++i) {
    AppendRow(*store, model, {i % 3 == 0 ? kStreamB : kStreamA, i, 1000 + 10 * i, 2});
  }
  const std::uint64_t total = model.Bytes();

  REQUIRE_FALSE(store->SetQuota(total + 1));
  CHECK(store->Quota().quota_bytes == total + 1);
  CheckAgainst(*store, model);
  CHECK(store->Quota().dropped_rows == 0);
  REQUIRE_FALSE(store->SetQuota(total));  // exactly at the quota is within it
  CHECK(store->Quota().dropped_rows == 0);
  CHECK(store->Quota().last_dropped_unix_ns == 0);

  // Returns once the rows are gone: no waiting needed.
  const std::int64_t before = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  REQUIRE_FALSE(store->SetQuota(4500));
  model.Enforce(4500);
  REQUIRE(model.TotalDropped().rows == 6);
  CheckAgainst(*store, model);
  CHECK(store->Quota().eviction_passes == 1);
  CHECK(store->Quota().last_dropped_unix_ns >= before);

  REQUIRE_FALSE(store->SetQuota(100'000));
  CheckAgainst(*store, model);

  REQUIRE_FALSE(store->SetQuota(0));
  CHECK(store->Quota().quota_bytes == 0);
  for (std::uint32_t i = 10; i < 16; ++i) AppendRow(*store, model, {kStreamA, i, 1000, 1});
  CHECK(model.Bytes() > 4500);
  CheckAgainst(*store, model);  // nothing more dropped

  store->Close();
  CHECK(store->SetQuota(1) == localstore::Errc::kClosed);
}

TEST_CASE("SetQuota from a completion returns at once and the rows go right after",
          "[localstore][quota]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(Options(dir, logger, 0));
  for (std::uint32_t i = 0; i < 4; ++i) {
    REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(i, 1000), 1));
  }
  std::atomic<bool> returned{false};
  std::error_code result;
  store->Append({kStreamA, Entries(4, 1000), 1}, [&](std::error_code) {
    result = store->SetQuota(2000);
    returned = true;
  });
  REQUIRE(testing::WaitUntil([&] { return returned.load(); }));
  CHECK_FALSE(result);
  REQUIRE(testing::WaitUntil([&] { return store->Quota().dropped_rows == 3; }));
  CHECK(store->Quota().stored_bytes == 2000);
  std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].entries == Entries(3, 1000));
  CHECK(rows[1].entries == Entries(4, 1000));
}

TEST_CASE("One warning line per stream for a burst of drops, and the next line reports the rest",
          "[localstore][quota]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(Options(dir, logger, 0));
  for (std::uint32_t i = 0; i < 10; ++i) {
    REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(i, 1000), i + 1));
  }
  const std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 10);

  // Seven passes, each dropping one row.
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t quota = 9000; quota >= 3000; quota -= 1000) {
    REQUIRE_FALSE(store->SetQuota(quota));
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(store->Quota().eviction_passes == 7);
  CHECK(store->Quota().dropped_rows == 7);
  std::vector<base::MemoryLogger::Line> lines = QuotaLines(logger);
  REQUIRE_FALSE(lines.empty());
  // The first pass is reported at once; the six after it within the same 10 s are not.
  CHECK(lines[0].message == QuotaLine(1, 1000, kStreamA, rows[0].received_unix_ns, 9000));
  CHECK(lines[0].level == base::LogLevel::kWarning);
  if (elapsed < localstore::QuotaLog::kInterval) CHECK(lines.size() == 1);

  if (lines.size() == 1) {
    // Closing writes what is pending: rows 1..6, records 2+3+…+7.
    store->Close();
    lines = QuotaLines(logger);
    REQUIRE(lines.size() == 2);
    CHECK(lines[1].message ==
          QuotaLine(2 + 3 + 4 + 5 + 6 + 7, 6000, kStreamA, rows[1].received_unix_ns, 3000));
  }
}

TEST_CASE("Dropped rows are really deleted: they stay gone after reopening, and a reopen enforces",
          "[localstore][quota]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  Model model;
  {
    auto store = OpenStore(Options(dir, logger, 5000));
    for (std::uint32_t i = 0; i < 8; ++i) {
      AppendRow(*store, model, {i % 2 ? kStreamA : kStreamB, i, 1000, i + 1});
      model.Enforce(5000);
    }
    CheckAgainst(*store, model);
  }
  {
    // Straight from the file, with no store open.
    RawDb raw(dir / localstore::TableFileName(kStreamA));
    CHECK(raw.QueryText("SELECT count(*) FROM records") ==
          std::to_string(model.RowsOf(kStreamA).size()));
  }
  {
    auto store = OpenStore(Options(dir, logger, 0));
    REQUIRE(ReadAll(*store, kStreamA).size() == model.RowsOf(kStreamA).size());
    REQUIRE(ReadAll(*store, kStreamB).size() == model.RowsOf(kStreamB).size());
    CHECK(store->Quota().stored_bytes == model.Bytes());
    CHECK(store->Quota().dropped_rows == 0);
  }
  // A quota lower than what is stored is enforced once the store has opened, before any new
  // data is committed; Open does not wait for it.
  base::MemoryLogger open_logger;
  auto store = OpenStore(Options(dir, open_logger, 2500));
  REQUIRE(testing::WaitUntil([&] { return store->Quota().eviction_passes == 1; }));
  const Model::Dropped before = model.TotalDropped();
  model.Enforce(2500);
  const Model::Dropped a = model.DroppedOf(kStreamA);
  const Model::Dropped b = model.DroppedOf(kStreamB);
  REQUIRE(model.TotalDropped().rows > before.rows);
  CHECK(store->Quota().stored_bytes == model.Bytes());
  CHECK(store->Quota().dropped_rows == model.TotalDropped().rows - before.rows);
  CHECK(store->Quota().dropped_records == model.TotalDropped().records - before.records);
  CHECK(store->Quota().eviction_passes == 1);
  CHECK(ReadAll(*store, kStreamA).size() == model.RowsOf(kStreamA).size());
  CHECK(ReadAll(*store, kStreamB).size() == model.RowsOf(kStreamB).size());
  // One line per stream that lost rows at Open.
  const std::size_t streams_dropped = (a.rows > 0 ? 1 : 0) + (b.rows > 0 ? 1 : 0);
  CHECK(testing::WaitUntil([&] { return QuotaLines(open_logger).size() == streams_dropped; }));
}

TEST_CASE("An uploader's Remove of rows the quota dropped is not an error", "[localstore][quota]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(Options(dir, logger, 0));
  for (std::uint32_t i = 0; i < 6; ++i) {
    REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(i, 1000), i + 1));
  }
  // Read for upload, then the quota drops the three oldest while the upload is in flight.
  const std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 6);
  REQUIRE_FALSE(store->SetQuota(3000));
  REQUIRE_FALSE(store->Remove(kStreamA, rows.front().row_id, rows.back().row_id));
  CHECK(ReadAll(*store, kStreamA).empty());
  CHECK(store->GetBacklog(kStreamA).rows == 0);
  CHECK(store->GetBacklog(kStreamA).bytes == 0);
  const localstore::StreamStats stats = StatsOf(*store, kStreamA);
  CHECK(stats.quota_dropped_records == 1 + 2 + 3);
  CHECK(stats.removed_records == 4 + 5 + 6);  // only what was still there
  // Removing again (a retried upload) changes nothing.
  REQUIRE_FALSE(store->Remove(kStreamA, rows.front().row_id, rows.back().row_id));
  CHECK(StatsOf(*store, kStreamA).removed_records == 4 + 5 + 6);
}

TEST_CASE("Concurrent uploads and drops account for every committed record",
          "[localstore][quota]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(Options(dir, logger, 20'000));
  std::atomic<bool> stop{false};
  std::atomic<int> upload_errors{0};  // Catch2 assertions are for the test's own thread
  std::thread uploader([&] {
    localstore::ReadLimits limits;
    limits.max_rows = 7;
    std::vector<localstore::StoredRow> rows;
    while (!stop) {
      for (const std::string& stream : store->StreamsWithData()) {
        if (store->ReadOldest(stream, 0, limits, &rows)) ++upload_errors;
        if (!rows.empty() && store->Remove(stream, rows.front().row_id, rows.back().row_id)) {
          ++upload_errors;
        }
      }
    }
  });
  std::atomic<int> done{0};
  std::atomic<int> failed{0};
  constexpr int kBatches = 600;
  for (int i = 0; i < kBatches; ++i) {
    store->Append({i % 3 ? kStreamA : kStreamB, Entries(i, 300 + (i % 7) * 100),
                   static_cast<std::uint32_t>(i % 5 + 1)},
                  [&](std::error_code ec) { ++(ec ? failed : done); });
  }
  REQUIRE(testing::WaitUntil([&] { return done + failed == kBatches; }));
  stop = true;
  uploader.join();
  CHECK(failed == 0);
  CHECK(upload_errors == 0);
  CHECK(store->Quota().stored_bytes <= 20'000);
  std::uint64_t appended_records = 0;
  for (int i = 0; i < kBatches; ++i) appended_records += i % 5 + 1;
  std::uint64_t accounted = 0;
  for (const localstore::StreamStats& stats : store->Stats()) {
    CHECK(stats.committed_records ==
          stats.removed_records + stats.quota_dropped_records + stats.backlog.records);
    accounted += stats.committed_records;
  }
  CHECK(accounted == appended_records);
}

TEST_CASE("A batch larger than the whole quota is committed, then dropped alone",
          "[localstore][quota]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  constexpr std::uint64_t kQuota = 5000;
  auto store = OpenStore(Options(dir, logger, kQuota));
  Model model;
  for (std::uint32_t i = 0; i < 3; ++i) AppendRow(*store, model, {kStreamA, i, 1000, 1});
  AppendRow(*store, model, {kStreamB, 3, 1000, 1});
  // Acknowledged as committed: its sender must not resend it forever.
  AppendRow(*store, model, {kStreamB, 4, 8000, 9});
  // Dropped before its completion ran; the older rows, which could not make room for it, stay.
  model.Enforce(kQuota);
  REQUIRE(model.Bytes() == 4000);
  CheckAgainst(*store, model);
  const localstore::StreamStats b = StatsOf(*store, kStreamB);
  CHECK(b.committed_records == 10);
  CHECK(b.quota_dropped_rows == 1);
  CHECK(b.quota_dropped_records == 9);
  CHECK(b.quota_dropped_bytes == 8000);
  CHECK(StatsOf(*store, kStreamA).quota_dropped_rows == 0);
  REQUIRE(QuotaLines(logger).size() == 1);
  CHECK(QuotaLines(logger)[0].message.find("dropped 9 records (8000 bytes) of stream " +
                                           std::string(kStreamB)) != std::string::npos);
  // The stream goes on normally.
  AppendRow(*store, model, {kStreamB, 5, 1000, 1});
  model.Enforce(kQuota);
  CHECK(ReadAll(*store, kStreamB).size() == model.RowsOf(kStreamB).size());
  CHECK(store->Quota().stored_bytes == model.Bytes());
}

TEST_CASE("Rows dropped by the quota let batches held by a table at its page cap through",
          "[localstore][quota][diskfull]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(Options(dir, logger, 0, /*max_table_pages=*/16));
  std::mutex mutex;
  std::vector<std::pair<int, std::error_code>> completions;
  auto completed = [&] {
    std::lock_guard lock(mutex);
    return completions.size();
  };
  auto append = [&](int id) {
    store->Append({kStreamA, Entries(id, 3000), 1}, [&, id](std::error_code ec) {
      std::lock_guard lock(mutex);
      completions.emplace_back(id, ec);
    });
  };
  // Fill the table until its batches are held.
  int id = 0;
  for (; store->Queue().held_batches == 0; ++id) {
    REQUIRE(id < 1000);
    const std::size_t before = completed();
    append(id);
    REQUIRE(testing::WaitUntil(
        [&] { return completed() > before || store->Queue().held_batches > 0; }));
  }
  const int stored = static_cast<int>(completed());
  REQUIRE(stored >= 4);
  append(id++);
  append(id++);
  REQUIRE(testing::WaitUntil([&] { return store->Queue().held_batches == 3; }));
  REQUIRE(store->Queue().disk_full);

  // Half of what is stored: the pages freed fit the three held batches.
  const std::uint64_t quota = static_cast<std::uint64_t>(stored) * 3000 / 2;
  REQUIRE_FALSE(store->SetQuota(quota));
  REQUIRE(testing::WaitUntil([&] { return completed() == static_cast<std::size_t>(id); }));
  std::lock_guard lock(mutex);
  for (int i = 0; i < id; ++i) {
    INFO("batch " << i);
    CHECK(completions[i] == std::make_pair(i, std::error_code()));
  }
  CHECK_FALSE(store->Queue().disk_full);
  CHECK(store->Quota().stored_bytes <= quota);
  // The newest batches are stored, and every other one was dropped and counted.
  const std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  const int kept = static_cast<int>(rows.size());
  REQUIRE(kept > 0);
  for (int i = 0; i < kept; ++i) CHECK(rows[i].entries == Entries(id - kept + i, 3000));
  CHECK(StatsOf(*store, kStreamA).quota_dropped_rows == static_cast<std::uint64_t>(id - kept));
  CHECK(logger.Count("resumed after") == 1);
}
