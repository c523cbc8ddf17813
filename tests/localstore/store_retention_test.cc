// Retention (StoreOptions::max_age, Store::ExpireNow) on real tables, with the store's clock seam:
// the tests move "now" instead of waiting for records to age.

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "codec/fluent_entries.h"
#include "codec/msgpack_writer.h"
#include "localstore/errc.h"
#include "localstore/store.h"
#include "localstore/table_name.h"
#include "localstore/table_reader.h"
#include "store_test_util.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using localstore::Backlog;
using localstore::EventTimeRange;
using localstore::RecordBatch;
using localstore_test::AppendAndWait;
using localstore_test::kStreamA;
using localstore_test::kStreamB;
using localstore_test::OpenStore;
using localstore_test::RawDb;

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;

// Entries whose records {"n": i} have the event times `times` (ns since the epoch), in order.
std::string EntriesAt(const std::vector<std::int64_t>& times) {
  std::string entries;
  codec::MsgpackWriter writer(&entries);
  for (std::size_t i = 0; i < times.size(); ++i) {
    writer.Array(2);
    codec::WriteEventTime(writer,
                          {times[i] / kSecond, static_cast<std::uint32_t>(times[i] % kSecond)});
    writer.Map(1);
    writer.Str("n");
    writer.Uint(i);
  }
  return entries;
}

RecordBatch Batch(const std::string& stream, const std::vector<std::int64_t>& times,
                  bool with_times = true) {
  RecordBatch batch{stream, EntriesAt(times), static_cast<std::uint32_t>(times.size())};
  if (with_times) {
    batch.event_times = EventTimeRange{*std::min_element(times.begin(), times.end()),
                                       *std::max_element(times.begin(), times.end())};
  }
  return batch;
}

// A store whose clock the test sets; the thread's own sweeps are a day apart (the tests sweep
// with ExpireNow).
struct Fixture {
  testing::TempDir dir;
  base::MemoryLogger logger;
  std::atomic<std::int64_t> now{1'700'000'000 * kSecond};

  localstore::StoreOptions Options(std::chrono::milliseconds max_age = std::chrono::hours(1)) {
    localstore::StoreOptions options;
    options.tables_dir = dir.path();
    options.logger = &logger;
    options.max_age = max_age;
    options.retention_interval = std::chrono::hours(24);
    options.now_unix_ns = [this] { return now.load(); };
    return options;
  }
  std::filesystem::path File(const std::string& stream) const {
    return dir.path() / localstore::TableFileName(stream);
  }
};

// The rows of a table as a tool reads them (a read through the Store would count as an upload
// taking them, which retention then keeps).
std::vector<std::string> RowEntries(const std::filesystem::path& file) {
  std::unique_ptr<localstore::TableReader> reader;
  REQUIRE_FALSE(localstore::TableReader::Open(file, &reader));
  std::vector<std::string> entries;
  REQUIRE_FALSE(reader->ForEachRow([&](const localstore::StoredRow& row) {
    entries.push_back(row.entries);
    return true;
  }));
  return entries;
}

// The `detail` column of EXPLAIN QUERY PLAN for `sql` on `file`, joined.
std::string QueryPlan(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  std::string plan;
  if (sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &statement, nullptr) ==
      SQLITE_OK) {
    while (sqlite3_step(statement) == SQLITE_ROW) {
      plan += reinterpret_cast<const char*>(sqlite3_column_text(statement, 3));
      plan += "; ";
    }
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return plan;
}

localstore::StreamStats StatsOf(localstore::Store& store, const std::string& stream) {
  for (const localstore::StreamStats& stats : store.Stats()) {
    if (stats.stream_id == stream) return stats;
  }
  FAIL("no stats for " << stream);
  return {};
}

}  // namespace

TEST_CASE(
    "Retention removes the rows whose newest record is older than max-age, counted and logged",
    "[localstore][retention]") {
  Fixture f;
  auto store = OpenStore(f.Options());
  const std::int64_t t = f.now;
  const RecordBatch straddling = Batch(kStreamA, {t - 30 * kMinute, t - 20 * kMinute});
  const RecordBatch older = Batch(kStreamA, {t - 50 * kMinute, t - 40 * kMinute});
  const RecordBatch fresh = Batch(kStreamA, {t - 10 * kMinute});
  for (const RecordBatch& batch : {straddling, older, fresh}) {
    REQUIRE_FALSE(AppendAndWait(*store, batch));
  }
  REQUIRE_FALSE(store->ExpireNow());
  CHECK(StatsOf(*store, kStreamA).expired_records == 0);
  CHECK(f.logger.Count("retention:") == 0);

  // 25 minutes on, `older` is 65 minutes old by its newest record.
  f.now = t + 25 * kMinute;
  REQUIRE_FALSE(store->ExpireNow());
  localstore::StreamStats stats = StatsOf(*store, kStreamA);
  CHECK(stats.expired_records == 2);
  CHECK(stats.expired_rows == 1);
  CHECK(stats.expired_bytes == older.entries.size());
  CHECK(stats.backlog.records == 3);
  CHECK(stats.backlog.rows == 2);
  CHECK(stats.removed_records == 0);
  CHECK(stats.quota_dropped_records == 0);
  CHECK(RowEntries(f.File(kStreamA)) ==
        std::vector<std::string>{straddling.entries, fresh.entries});
  CHECK(f.logger.Count("retention: stream " + std::string(kStreamA) + ": 2 records (" +
                       std::to_string(older.entries.size()) + " bytes) older than max-age 1h") ==
        1);
  CHECK(f.logger.Count("event times 2023-11-14T21:23:20.000000000Z to 2023-11-14T21:33:20") == 1);

  // 35 minutes on, `straddling` has a record 65 minutes old and one 55: it stays, whole.
  f.now = t + 35 * kMinute;
  REQUIRE_FALSE(store->ExpireNow());
  CHECK(StatsOf(*store, kStreamA).expired_records == 2);
  CHECK(f.logger.Count("retention:") == 1);  // nothing removed, nothing logged
  f.now = t + 45 * kMinute;
  REQUIRE_FALSE(store->ExpireNow());
  stats = StatsOf(*store, kStreamA);
  CHECK(stats.expired_records == 4);
  CHECK(stats.expired_rows == 2);
  CHECK(stats.backlog.records == 1);
  CHECK(RowEntries(f.File(kStreamA)) == std::vector<std::string>{fresh.entries});
  CHECK(f.logger.Count("retention:") == 2);

  const localstore::RetentionStats retention = store->Retention();
  CHECK(retention.max_age == std::chrono::hours(1));
  CHECK(retention.sweeps == 5);  // at Open, then four
  CHECK(retention.last_sweep_unix_ns == t + 45 * kMinute);
  CHECK(retention.last_expired_unix_ns == t + 45 * kMinute);
  CHECK(retention.expired_records == 4);
  CHECK(retention.expired_bytes == older.entries.size() + straddling.entries.size());
  // The sweep finds expired rows through the index, not by reading every row.
  CHECK_THAT(QueryPlan(f.File(kStreamA), "SELECT id FROM records WHERE max_event_unix_ns < 5"),
             Catch::Contains("records_by_max_event"));
}

TEST_CASE("Rows an upload has taken are kept until it is done with them",
          "[localstore][retention]") {
  Fixture f;
  const std::int64_t t = f.now;
  std::vector<std::string> entries;
  {
    auto store = OpenStore(f.Options());
    for (int i = 0; i < 6; ++i) {
      RecordBatch batch = Batch(kStreamA, {t - (50 - i) * kMinute, t - (50 - i) * kMinute + 1});
      entries.push_back(batch.entries);
      REQUIRE_FALSE(AppendAndWait(*store, std::move(batch)));
    }
    // Rows 1-2: read and journaled (in flight); rows 3-4: read, not journaled yet.
    std::vector<localstore::StoredRow> rows;
    localstore::ReadLimits two{.max_rows = 2};
    REQUIRE_FALSE(store->ReadOldest(kStreamA, 0, two, &rows));
    REQUIRE(rows.size() == 2);
    REQUIRE_FALSE(store->RecordUpload(kStreamA, {1, 2, "request-1", "ods"}));
    REQUIRE_FALSE(store->ReadOldest(kStreamA, 2, two, &rows));
    REQUIRE(rows.size() == 2);

    f.now = t + 2 * kHour;  // every row is older than max-age now
    REQUIRE_FALSE(store->ExpireNow());
    localstore::StreamStats stats = StatsOf(*store, kStreamA);
    CHECK(stats.expired_records == 4);  // rows 5 and 6
    CHECK(stats.expired_rows == 2);
    CHECK(stats.backlog.rows == 4);
    CHECK(RowEntries(f.File(kStreamA)) ==
          std::vector<std::string>{entries[0], entries[1], entries[2], entries[3]});
  }
  // After a restart nothing has been read: the journal alone keeps rows 1-2, and rows 3-4 go at
  // the sweep of Open.
  auto store = OpenStore(f.Options());
  localstore::StreamStats stats = StatsOf(*store, kStreamA);
  CHECK(stats.expired_records == 4);
  CHECK(stats.backlog.rows == 2);
  CHECK(RowEntries(f.File(kStreamA)) == std::vector<std::string>{entries[0], entries[1]});
  // The upload finishes: its rows leave as uploaded, not as expired.
  REQUIRE_FALSE(store->Remove(kStreamA, 1, 2));
  stats = StatsOf(*store, kStreamA);
  CHECK(stats.removed_records == 4);
  CHECK(stats.expired_records == 4);
  CHECK(stats.backlog.rows == 0);
}

TEST_CASE("A batch already older than max-age is acknowledged, counted and never stored",
          "[localstore][retention]") {
  Fixture f;
  const std::int64_t t = f.now;
  auto store = OpenStore(f.Options());
  std::vector<std::string> notified;
  std::mutex notified_mutex;
  store->SetCommitListener([&](const std::string& stream) {
    std::lock_guard lock(notified_mutex);
    notified.push_back(stream);
  });
  const RecordBatch old = Batch(kStreamB, {t - 3 * kHour, t - 2 * kHour, t - 2 * kHour + 5});
  REQUIRE_FALSE(AppendAndWait(*store, old));
  // (The listener runs after the completions: checked below, once later rows were notified.)
  // Nothing was stored for it, not even a table; the stream is counted all the same.
  CHECK_FALSE(std::filesystem::exists(f.File(kStreamB)));
  localstore::StreamStats stats = StatsOf(*store, kStreamB);
  CHECK(stats.expired_records == 3);
  CHECK(stats.expired_rows == 1);
  CHECK(stats.expired_bytes == old.entries.size());
  CHECK(stats.file_name == localstore::TableFileName(kStreamB));
  CHECK(store->Retention().last_expired_unix_ns == t);
  // One record fresh enough: the batch is stored whole. One without times: stored, and its
  // times read from its entries by the next sweep.
  const RecordBatch mixed = Batch(kStreamA, {t - 2 * kHour, t - 10 * kMinute});
  const RecordBatch untimed = Batch(kStreamA, {t - 2 * kHour}, /*with_times=*/false);
  REQUIRE_FALSE(AppendAndWait(*store, mixed));
  REQUIRE_FALSE(AppendAndWait(*store, untimed));
  CHECK(RowEntries(f.File(kStreamA)) == std::vector<std::string>{mixed.entries, untimed.entries});
  CHECK(f.logger.Count("retention:") == 0);  // logged with the next sweep
  REQUIRE_FALSE(store->ExpireNow());
  CHECK(RowEntries(f.File(kStreamA)) == std::vector<std::string>{mixed.entries});
  CHECK(StatsOf(*store, kStreamA).expired_records == 1);
  CHECK(StatsOf(*store, kStreamB).expired_records == 3);
  CHECK(f.logger.Count("retention: stream " + std::string(kStreamB) + ": 3 records (" +
                       std::to_string(old.entries.size()) + " bytes) older than max-age 1h") == 1);
  CHECK(f.logger.Count("3 of them in 1 batches that were already that old on arrival") == 1);
  CHECK(f.logger.Count("retention: stream " + std::string(kStreamA) + ": 1 records") == 1);
  CHECK(RawDb(f.File(kStreamA)).QueryText("SELECT min_event_unix_ns FROM records") ==
        std::to_string(t - 2 * kHour));
  // The uploader is told of the rows stored, never of the batch that was not.
  REQUIRE(testing::WaitUntil([&] {
    std::lock_guard lock(notified_mutex);
    return notified.size() >= 2;
  }));
  {
    std::lock_guard lock(notified_mutex);
    CHECK(notified == std::vector<std::string>{kStreamA, kStreamA});
  }
  // Expired on arrival after the last sweep: logged when the store closes.
  REQUIRE_FALSE(AppendAndWait(*store, Batch(kStreamB, {t - 5 * kHour})));
  store->Close();
  CHECK(f.logger.Count("retention: stream " + std::string(kStreamB) + ": 1 records") == 1);
}

TEST_CASE("Dead letters expire by their newest record, counted apart from rows",
          "[localstore][retention]") {
  Fixture f;
  const std::int64_t t = f.now;
  auto store = OpenStore(f.Options());
  const RecordBatch refused = Batch(kStreamA, {t - 50 * kMinute, t - 45 * kMinute});
  const RecordBatch kept = Batch(kStreamA, {t - 5 * kMinute});
  REQUIRE_FALSE(AppendAndWait(*store, refused));
  REQUIRE_FALSE(AppendAndWait(*store, kept));
  localstore::DeadLetter letter;
  letter.count = 2;
  letter.status = 400;
  letter.entries = refused.entries;
  REQUIRE_FALSE(store->AddDeadLetter(kStreamA, 1, 1, letter));
  CHECK(RawDb(f.File(kStreamA)).QueryText("SELECT max_event_unix_ns FROM dead_letters") ==
        std::to_string(t - 45 * kMinute));

  f.now = t + 20 * kMinute;
  REQUIRE_FALSE(store->ExpireNow());
  localstore::StreamStats stats = StatsOf(*store, kStreamA);
  CHECK(stats.expired_records == 0);
  CHECK(stats.expired_dead_letters.rows == 1);
  CHECK(stats.expired_dead_letters.records == 2);
  CHECK(stats.expired_dead_letters.bytes == refused.entries.size());
  CHECK(stats.dead_letters.rows == 0);
  CHECK(stats.quota_dropped_records == 0);
  std::vector<localstore::DeadLetter> letters;
  REQUIRE_FALSE(store->DeadLetters(kStreamA, &letters));
  CHECK(letters.empty());
  CHECK(RowEntries(f.File(kStreamA)) == std::vector<std::string>{kept.entries});
  CHECK(f.logger.Count("1 dead letters (2 records, " + std::to_string(refused.entries.size()) +
                       " bytes) removed too") == 1);
  const localstore::RetentionStats retention = store->Retention();
  CHECK(retention.expired_records == 0);
  CHECK(retention.expired_dead_letters == 1);
  CHECK(retention.expired_dead_letter_records == 2);
}

TEST_CASE("A resent dead letter keeps its event times", "[localstore][retention]") {
  Fixture f;
  const std::int64_t t = f.now;
  auto store = OpenStore(f.Options());
  const RecordBatch refused = Batch(kStreamA, {t - 50 * kMinute});
  REQUIRE_FALSE(AppendAndWait(*store, refused));
  localstore::DeadLetter letter;
  letter.count = 1;
  letter.entries = refused.entries;
  REQUIRE_FALSE(store->AddDeadLetter(kStreamA, 1, 1, letter));
  REQUIRE_FALSE(store->ResendDeadLetter(kStreamA, 1, &letter));
  CHECK(RawDb(f.File(kStreamA)).QueryText("SELECT max_event_unix_ns FROM records") ==
        std::to_string(t - 50 * kMinute));
  f.now = t + 20 * kMinute;
  REQUIRE_FALSE(store->ExpireNow());
  CHECK(StatsOf(*store, kStreamA).expired_records == 1);
  CHECK(StatsOf(*store, kStreamA).backlog.rows == 0);
}

TEST_CASE("A version 3 table gets event times, read once from the rows' entries",
          "[localstore][retention][recovery]") {
  Fixture f;
  // Received times are the real clock's; the store's clock starts there too.
  const std::int64_t t = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  f.now = t;
  const std::string old_rows = EntriesAt({t - 3 * kHour, t - 2 * kHour});
  const std::string fresh_rows = EntriesAt({t - 10 * kMinute});
  const std::string unreadable = "not Fluent entries";
  {
    localstore::StoreOptions options = f.Options();
    options.max_age = {};  // off: rows are stored whatever their age
    auto store = OpenStore(options);
    for (const std::string& entries : {old_rows, fresh_rows, unreadable}) {
      REQUIRE_FALSE(localstore_test::AppendAndWait(*store, kStreamA, entries, 1));
    }
    REQUIRE_FALSE(store->ExpireNow());  // off: does nothing
    CHECK(RowEntries(f.File(kStreamA)).size() == 3);
  }
  // What a build of schema version 3 wrote: no event-time columns, no indexes.
  RawDb(f.File(kStreamA))
      .Exec(
          "DROP INDEX records_by_max_event; DROP INDEX dead_letters_by_max_event;"
          "ALTER TABLE records DROP COLUMN min_event_unix_ns;"
          "ALTER TABLE records DROP COLUMN max_event_unix_ns;"
          "ALTER TABLE dead_letters DROP COLUMN min_event_unix_ns;"
          "ALTER TABLE dead_letters DROP COLUMN max_event_unix_ns; PRAGMA user_version = 3");
  {
    auto store = OpenStore(f.Options());
    CHECK(f.logger.Count("schema version 3 brought to 4") == 1);
    CHECK(f.logger.Count("read the event times of 3 rows") == 1);
    CHECK(RowEntries(f.File(kStreamA)) == std::vector<std::string>{fresh_rows, unreadable});
    CHECK(StatsOf(*store, kStreamA).expired_records == 1);
    RawDb db(f.File(kStreamA));
    CHECK(db.QueryText("PRAGMA user_version") == "4");
    CHECK(db.QueryText("SELECT count(*) FROM records WHERE max_event_unix_ns IS NULL") == "0");
    // Entries that cannot be read age from when they were received.
    CHECK(db.QueryText("SELECT max_event_unix_ns = received_unix_ns FROM records WHERE id = 3") ==
          "1");
    // Read once: the next sweep has nothing to fill.
    REQUIRE_FALSE(store->ExpireNow());
    CHECK(f.logger.Count("read the event times") == 1);
    f.now = t + 2 * kHour;
    REQUIRE_FALSE(store->ExpireNow());
    CHECK(RowEntries(f.File(kStreamA)).empty());
    CHECK(StatsOf(*store, kStreamA).expired_records == 3);
  }
}

TEST_CASE("Without max-age nothing expires, however old", "[localstore][retention]") {
  Fixture f;
  auto store = OpenStore(f.Options(std::chrono::milliseconds(0)));
  const std::int64_t t = f.now;
  REQUIRE_FALSE(AppendAndWait(*store, Batch(kStreamA, {t - 1000 * kHour})));
  f.now = t + 1000 * kHour;
  REQUIRE_FALSE(store->ExpireNow());
  CHECK(RowEntries(f.File(kStreamA)).size() == 1);
  CHECK(StatsOf(*store, kStreamA).expired_records == 0);
  CHECK(store->Retention().sweeps == 0);
  CHECK(store->Retention().max_age.count() == 0);
}

TEST_CASE("The retention thread sweeps every interval", "[localstore][retention]") {
  Fixture f;
  localstore::StoreOptions options = f.Options();
  options.retention_interval = std::chrono::milliseconds(20);
  auto store = OpenStore(options);
  const std::int64_t t = f.now;
  REQUIRE_FALSE(AppendAndWait(*store, Batch(kStreamA, {t - 30 * kMinute})));
  f.now = t + 31 * kMinute;
  CHECK(testing::WaitUntil([&] { return StatsOf(*store, kStreamA).expired_records == 1; }));
  CHECK(store->Retention().sweeps >= 2);
  store->Close();
  CHECK(store->ExpireNow() == localstore::Errc::kClosed);
}
