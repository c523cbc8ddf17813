// What the Store finds on disk: the file format seen from outside, and files it must not trust.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>

#include "localstore/store.h"
#include "localstore/table_name.h"
#include "store_test_util.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using localstore_test::AppendAndWait;
using localstore_test::Entries;
using localstore_test::FileNames;
using localstore_test::kStreamA;
using localstore_test::kStreamB;
using localstore_test::OpenStore;
using localstore_test::RawDb;
using localstore_test::ReadAll;

namespace {

void WriteFile(const std::filesystem::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
  REQUIRE(out.good());
}

// Files in tables_dir/quarantine whose name is "<name>.<unix seconds>".
std::size_t QuarantinedCopies(const std::filesystem::path& tables_dir, const std::string& name) {
  const std::filesystem::path folder = tables_dir / "quarantine";
  if (!std::filesystem::exists(folder)) return 0;
  std::size_t copies = 0;
  for (const std::string& file : FileNames(folder)) {
    if (file.rfind(name + ".", 0) != 0) continue;
    std::string suffix = file.substr(name.size() + 1);
    if (!suffix.empty() && std::all_of(suffix.begin(), suffix.end(), ::isdigit)) ++copies;
  }
  return copies;
}

// The table `name` of kStreamA went to quarantine once: the store no longer holds its rows, and
// the stream's next data goes into a new table.
void CheckQuarantinedAndReplaced(localstore::Store& store, const std::filesystem::path& tables_dir,
                                 const std::string& name) {
  CHECK(QuarantinedCopies(tables_dir, name) == 1);
  CHECK(store.StreamsWithData().empty());
  CHECK(store.GetBacklog(kStreamA).records == 0);
  REQUIRE_FALSE(AppendAndWait(store, kStreamA, "after", 1));
  CHECK(ReadAll(store, kStreamA).size() == 1);
}

}  // namespace

TEST_CASE("A table file is SQLite in WAL mode with 16 KiB pages, user_version 4 and its meta",
          "[localstore][recovery]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  const std::filesystem::path file = dir / localstore::TableFileName(kStreamA);
  {
    auto store = OpenStore(dir.path(), logger);
    REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(1, 64), 2));
    // Checked while the store holds the table open, as another process would see it.
    RawDb db(file);
    CHECK(db.QueryText("PRAGMA journal_mode") == "wal");
    CHECK(db.QueryText("PRAGMA page_size") == "16384");
    CHECK(db.QueryText("PRAGMA user_version") == "4");
    CHECK(db.QueryText("SELECT value FROM meta WHERE key = 'stream_id'") == kStreamA);
    CHECK(db.QueryText("SELECT count(*) FROM uploads") == "0");
    CHECK(db.QueryText("SELECT count(*) FROM dead_letters") == "0");
    CHECK(db.QueryText("SELECT value FROM meta WHERE key = 'data_type'") ==
          "CONFIG_CHANGE_BLOB_V2");
    CHECK(db.QueryText("SELECT value FROM meta WHERE key = 'format'") ==
          "fluent-entries-msgpack-v1");
    CHECK_FALSE(db.QueryText("SELECT value FROM meta WHERE key = 'created_unix_ns'").empty());
    CHECK(db.QueryText("SELECT count(*) FROM records") == "1");
    CHECK(db.QueryText("SELECT count FROM records") == "2");
    CHECK(db.QueryText("SELECT length(entries) FROM records") == "64");
    CHECK(db.QueryText("SELECT typeof(entries) FROM records") == "blob");
    // 64 bytes are too few to compress: kept as they are.
    CHECK(db.QueryText("SELECT encoding FROM records") == "0");
    CHECK(db.QueryText("SELECT raw_bytes FROM records") == "64");
    // AUTOINCREMENT keeps its high-water mark in sqlite_sequence.
    CHECK(db.QueryText("SELECT seq FROM sqlite_sequence WHERE name = 'records'") == "1");
  }
  RawDb db(file);
  CHECK(db.QueryText("PRAGMA journal_mode") == "wal");  // persistent, not per connection
}

TEST_CASE("Unusable .tsf files are quarantined at Open and the store keeps working",
          "[localstore][recovery]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  // A healthy table to keep, and one whose file name does not match its stream.
  {
    auto store = OpenStore(dir.path(), logger);
    REQUIRE_FALSE(AppendAndWait(*store, kStreamA, "kept", 1));
    REQUIRE_FALSE(AppendAndWait(*store, kStreamB, "renamed", 1));
  }
  std::filesystem::rename(dir / localstore::TableFileName(kStreamB), dir / "moved_1.tsf");
  std::string garbage;
  for (int i = 0; i < 200; ++i) garbage += "this is not a SQLite database ";
  WriteFile(dir / "x.tsf", garbage);
  WriteFile(dir / "empty.tsf", "");
  {
    RawDb db(dir / "wrong_schema.tsf");
    db.Exec("PRAGMA user_version = 1; CREATE TABLE records(a, b)");
  }
  {
    RawDb db(dir / "no_meta.tsf");
    db.Exec(
        "PRAGMA user_version = 1; CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE records(id INTEGER PRIMARY KEY AUTOINCREMENT, received_unix_ns INTEGER NOT "
        "NULL, count INTEGER NOT NULL, entries BLOB NOT NULL)");
  }
  {
    std::filesystem::copy_file(dir / localstore::TableFileName(kStreamA), dir / "future.tsf");
    RawDb db(dir / "future.tsf");
    db.Exec("PRAGMA user_version = 5");
  }
  WriteFile(dir / "notes.txt", garbage);  // not a table name: left alone

  const std::string bad[] = {"x.tsf",       "empty.tsf",  "wrong_schema.tsf",
                             "no_meta.tsf", "future.tsf", "moved_1.tsf"};
  auto store = OpenStore(dir.path(), logger);
  for (const std::string& name : bad) {
    INFO(name);
    CHECK_FALSE(std::filesystem::exists(dir / name));
    CHECK(QuarantinedCopies(dir.path(), name) == 1);
    CHECK(logger.Count(name + " is unusable") == 1);
  }
  CHECK(std::filesystem::exists(dir / "notes.txt"));
  CHECK(store->StreamsWithData() == std::vector<std::string>{kStreamA});
  CHECK(ReadAll(*store, kStreamA).at(0).entries == "kept");
  // The stream of the misnamed file gets a fresh table on its next data.
  REQUIRE_FALSE(AppendAndWait(*store, kStreamB, "fresh", 1));
  std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamB);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].entries == "fresh");
  CHECK(std::filesystem::exists(dir / localstore::TableFileName(kStreamB)));
}

TEST_CASE("A table with a corrupted schema page is quarantined at Open and replaced on next data",
          "[localstore][recovery]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  const std::string name = localstore::TableFileName(kStreamA);
  {
    auto store = OpenStore(dir.path(), logger);
    for (int i = 0; i < 20; ++i)
      REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(i, 3000), 1));
  }
  // Closing the last connection checkpoints the WAL into the main file and deletes it.
  REQUIRE_FALSE(std::filesystem::exists(dir / (name + "-wal")));
  {
    std::fstream file(dir / name, std::ios::in | std::ios::out | std::ios::binary);
    const std::string junk(4096, '\x5a');
    for (int page = 1; page < 4; ++page) {  // keep page 0 (header, schema root)
      file.seekp(page * 4096);
      file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    REQUIRE(file.good());
  }
  auto store = OpenStore(dir.path(), logger);
  CheckQuarantinedAndReplaced(*store, dir.path(), name);
}

TEST_CASE("Open counts a table without reading its rows, then the page check quarantines it",
          "[localstore][recovery]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  const std::string name = localstore::TableFileName(kStreamA);
  {
    auto store = OpenStore(dir.path(), logger);
    // Incompressible 100 KB entries: each row spills into overflow pages.
    for (int i = 0; i < 5; ++i) {
      REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(i, 100000), 2));
    }
  }
  REQUIRE(std::filesystem::file_size(dir / name) > 30 * 16384);
  {
    // A page in the middle of the file: one of the rows' overflow pages, which neither the
    // schema nor the index that Open counts from lead to.
    std::fstream file(dir / name, std::ios::in | std::ios::out | std::ios::binary);
    const std::string junk(16384, '\x5a');
    file.seekp(20 * 16384);
    file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    REQUIRE(file.good());
  }
  auto store = OpenStore(dir.path(), logger);
  // What Open counted, without reading the corrupt page, is what the quarantine line says went
  // (logged once the file is moved).
  CHECK(testing::WaitUntil([&] {
    for (const base::MemoryLogger::Line& line : logger.Lines()) {
      if (line.message.find("is unusable (quick_check") != std::string::npos &&
          line.message.find("its 5 rows (10 records) are no longer uploaded") !=
              std::string::npos) {
        return true;
      }
    }
    return false;
  }));
  CheckQuarantinedAndReplaced(*store, dir.path(), name);
}

TEST_CASE("A sound table's pages are checked after Open, and a table from before gets its index",
          "[localstore][recovery]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  const std::string name = localstore::TableFileName(kStreamA);
  {
    auto store = OpenStore(dir.path(), logger);
    REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(1, 5000), 3));
  }
  // As an earlier release wrote it: no records_by_size.
  localstore_test::RawDb(dir / name).Exec("DROP INDEX records_by_size");
  auto store = OpenStore(dir.path(), logger);
  CHECK(store->GetBacklog(kStreamA).records == 3);
  REQUIRE(testing::WaitUntil([&] {
    for (const base::MemoryLogger::Line& line : logger.Lines()) {
      if (line.message.rfind("checked the pages of 1 tables in ", 0) == 0) return true;
    }
    return false;
  }));
  CHECK(QuarantinedCopies(dir.path(), name) == 0);
  store.reset();
  CHECK(localstore_test::RawDb(dir / name)
            .QueryText("SELECT count(*) FROM sqlite_master WHERE name = 'records_by_size'") == "1");
}
