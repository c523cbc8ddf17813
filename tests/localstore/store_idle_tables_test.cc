// Idle tables (StoreOptions::table_idle_timeout): closed by the store's idle closer, so that they
// hold no descriptor, and opened again by their next use, on real files.

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <system_error>

#include "base/logger.h"
#include "localstore/errc.h"
#include "localstore/store.h"
#include "localstore/table_name.h"
#include "store_test_util.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using localstore::Errc;
using localstore::EventTimeRange;
using localstore::RecordBatch;
using localstore_test::AppendAndWait;
using localstore_test::Entries;
using localstore_test::kStreamA;
using localstore_test::kStreamB;
using localstore_test::OpenStore;
using localstore_test::ReadAll;

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kHour = 3600 * kSecond;

// How many of this process's descriptors are open on `table` or its -wal and -shm files.
int DescriptorsOn(const std::filesystem::path& table) {
  const std::string base = std::filesystem::weakly_canonical(table).string();
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::string target = std::filesystem::read_symlink(entry.path(), ec).string();
    if (!ec && (target == base || target == base + "-wal" || target == base + "-shm")) ++count;
  }
  return count;
}

struct Fixture {
  testing::TempDir dir;
  base::MemoryLogger logger;
  std::atomic<std::int64_t> now{1'700'000'000 * kSecond};

  localstore::StoreOptions Options() {
    localstore::StoreOptions options;
    options.tables_dir = dir.path();
    options.logger = &logger;
    options.table_idle_timeout = std::chrono::milliseconds(50);
    options.now_unix_ns = [this] { return now.load(); };
    return options;
  }
  std::filesystem::path File(const std::string& stream) const {
    return dir.path() / localstore::TableFileName(stream);
  }
};

// Waits (with a deadline) until the store has closed every table.
void WaitAllClosed(localstore::Store& store) {
  REQUIRE(testing::WaitUntil([&] { return store.Queue().open_tables == 0; }));
}

}  // namespace

TEST_CASE("An idle table is closed, holds no descriptor, and opens again for its next use",
          "[localstore][idle]") {
  Fixture f;
  auto store = OpenStore(f.Options());
  REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(1, 3000), 3));
  REQUIRE(store->Queue().tables == 1);

  WaitAllClosed(*store);
  CHECK(DescriptorsOn(f.File(kStreamA)) == 0);
  // Closing checkpointed the -wal file into the table and removed it.
  CHECK_FALSE(std::filesystem::exists(f.File(kStreamA).string() + "-wal"));
  // The counters stay without the connection.
  CHECK(store->GetBacklog(kStreamA).records == 3);

  // An upload's read opens it again and finds the row.
  auto rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].entries == Entries(1, 3000));
  CHECK(DescriptorsOn(f.File(kStreamA)) > 0);

  // A commit after the next close goes into the same table, after the first row.
  WaitAllClosed(*store);
  REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(2, 500), 2));
  rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].row_id > rows[0].row_id);
  CHECK(rows[1].entries == Entries(2, 500));

  // And a Remove after another close deletes them.
  WaitAllClosed(*store);
  REQUIRE_FALSE(store->Remove(kStreamA, rows[0].row_id, rows[1].row_id));
  CHECK(store->GetBacklog(kStreamA).records == 0);
  CHECK(ReadAll(*store, kStreamA).empty());
}

TEST_CASE("A store reopened on closed tables finds every row, and closes them again",
          "[localstore][idle]") {
  Fixture f;
  {
    auto store = OpenStore(f.Options());
    REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(3, 800), 4));
    REQUIRE_FALSE(AppendAndWait(*store, kStreamB, Entries(4, 900), 5));
    WaitAllClosed(*store);
  }
  auto store = OpenStore(f.Options());
  // Checked and counted at Open, then closed until their first use.
  CHECK(store->Queue().tables == 2);
  CHECK(store->Queue().open_tables == 0);
  CHECK(store->GetBacklog(kStreamA).records == 4);
  CHECK(store->GetBacklog(kStreamB).records == 5);
  // The page check after Open reads each table on a connection of its own; once it is done,
  // nothing holds the files.
  REQUIRE(testing::WaitUntil([&] {
    for (const base::MemoryLogger::Line& line : f.logger.Lines()) {
      if (line.message.rfind("checked the pages of 2 tables in ", 0) == 0) return true;
    }
    return false;
  }));
  CHECK(DescriptorsOn(f.File(kStreamA)) + DescriptorsOn(f.File(kStreamB)) == 0);
  REQUIRE(ReadAll(*store, kStreamB).size() == 1);
  CHECK(ReadAll(*store, kStreamB)[0].entries == Entries(4, 900));
}

TEST_CASE("A page cap set while a table is closed applies when it opens again",
          "[localstore][idle]") {
  Fixture f;
  auto store = OpenStore(f.Options());
  REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(5, 1000), 1));
  WaitAllClosed(*store);
  // One page: below the table's size, so the table cannot grow at all.
  REQUIRE_FALSE(store->SetMaxTablePages(1));
  store->Append(RecordBatch{kStreamA, Entries(6, 200 * 1024), 1}, [](std::error_code) {});
  REQUIRE(testing::WaitUntil([&] { return store->Queue().held_batches == 1; }));
  CHECK(store->Queue().disk_full);
  // Lifting the cap lets the held batch in.
  REQUIRE_FALSE(store->SetMaxTablePages(0));
  REQUIRE(testing::WaitUntil([&] { return store->GetBacklog(kStreamA).records == 2; }));
  CHECK(store->Queue().held_batches == 0);
}

TEST_CASE("A retention sweep does not open a closed table that holds nothing old enough",
          "[localstore][idle][retention]") {
  Fixture f;
  localstore::StoreOptions options = f.Options();
  options.max_age = std::chrono::hours(1);
  options.retention_interval = std::chrono::hours(24);  // the test sweeps with ExpireNow
  auto store = OpenStore(options);
  RecordBatch batch{kStreamA, Entries(7, 400), 2};
  batch.event_times = EventTimeRange{f.now - 10 * kSecond, f.now - 5 * kSecond};
  REQUIRE_FALSE(AppendAndWait(*store, std::move(batch)));
  WaitAllClosed(*store);

  REQUIRE_FALSE(store->ExpireNow());
  CHECK(store->Queue().open_tables == 0);
  CHECK(DescriptorsOn(f.File(kStreamA)) == 0);

  // Two hours later the row is old enough: the sweep opens the table and deletes it.
  f.now += 2 * kHour;
  REQUIRE_FALSE(store->ExpireNow());
  CHECK(store->GetBacklog(kStreamA).records == 0);
  CHECK(store->Retention().expired_records == 2);
}

TEST_CASE("A closed table whose file was replaced by another stream's is refused, not written",
          "[localstore][idle]") {
  Fixture f;
  auto store = OpenStore(f.Options());
  REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(8, 300), 1));
  REQUIRE_FALSE(AppendAndWait(*store, kStreamB, Entries(9, 300), 1));
  WaitAllClosed(*store);
  std::filesystem::copy_file(f.File(kStreamB), f.File(kStreamA),
                             std::filesystem::copy_options::overwrite_existing);

  CHECK(AppendAndWait(*store, kStreamA, Entries(10, 300), 1) == Errc::kNotATable);
  CHECK(AppendAndWait(*store, kStreamA, Entries(11, 300), 1) == Errc::kNotATable);
  std::vector<localstore::StoredRow> rows;
  CHECK(store->ReadOldest(kStreamA, 0, localstore::ReadLimits{}, &rows) == Errc::kNotATable);
  // One error line for the episode, naming the file and what it holds now.
  int lines = 0;
  for (const base::MemoryLogger::Line& line : f.logger.Lines()) {
    if (line.message.find("cannot open the table again") != std::string::npos) {
      ++lines;
      CHECK(line.message.find(kStreamB) != std::string::npos);
    }
  }
  CHECK(lines == 1);
  // The other stream goes on.
  REQUIRE_FALSE(AppendAndWait(*store, kStreamB, Entries(12, 300), 1));
  CHECK(store->GetBacklog(kStreamB).records == 2);
}
