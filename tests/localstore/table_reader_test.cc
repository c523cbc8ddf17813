#include "localstore/table_reader.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "localstore/errc.h"
#include "localstore/table_name.h"
#include "store_test_util.h"
#include "support/temp_dir.h"

using localstore::Errc;
using localstore_test::AppendAndWait;
using localstore_test::Entries;
using localstore_test::kStreamA;
using localstore_test::OpenStore;
using localstore_test::RawDb;
using localstore_test::ReadAll;

TEST_CASE("TableReader reads what the Store wrote, while the Store runs", "[localstore][reader]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger);
  for (std::uint32_t i = 0; i < 5; ++i) {
    REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(i, 200 + i), i));
  }
  const std::vector<localstore::StoredRow> expected = ReadAll(*store, kStreamA);

  std::unique_ptr<localstore::TableReader> reader;
  REQUIRE_FALSE(localstore::TableReader::Open(dir / localstore::TableFileName(kStreamA), &reader));
  CHECK(reader->stream_id() == kStreamA);
  CHECK(reader->schema_version() == 4);
  std::vector<localstore::StoredRow> rows;
  REQUIRE_FALSE(reader->ForEachRow([&](const localstore::StoredRow& row) {
    rows.push_back(row);
    return true;
  }));
  REQUIRE(rows.size() == expected.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].row_id == expected[i].row_id);
    CHECK(rows[i].received_unix_ns == expected[i].received_unix_ns);
    CHECK(rows[i].count == expected[i].count);
    CHECK(rows[i].entries == expected[i].entries);
  }
  // Stopping early.
  int seen = 0;
  REQUIRE_FALSE(reader->ForEachRow([&](const localstore::StoredRow&) { return ++seen < 2; }));
  CHECK(seen == 2);
  // The writer is not blocked by the open reader.
  REQUIRE_FALSE(AppendAndWait(*store, kStreamA, "more", 1));
}

TEST_CASE("TableReader refuses files that are not stream tables", "[localstore][reader]") {
  testing::TempDir dir;
  {
    std::ofstream out(dir / "garbage.tsf", std::ios::binary);
    for (int i = 0; i < 100; ++i) out << "not a database at all ";
  }
  {
    RawDb db(dir / "other.tsf");
    db.Exec("CREATE TABLE t(a)");
  }
  {
    RawDb db(dir / "future.tsf");
    db.Exec("PRAGMA user_version = 7; CREATE TABLE t(a)");
  }
  struct Case {
    const char* name;
    std::error_code expected;
  };
  const Case cases[] = {
      {"garbage.tsf", Errc::kNotATable},
      {"other.tsf", Errc::kNotATable},
      {"future.tsf", Errc::kUnsupportedVersion},
      {"missing.tsf", std::make_error_code(std::errc::no_such_file_or_directory)},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    std::unique_ptr<localstore::TableReader> reader;
    std::error_code ec = localstore::TableReader::Open(dir / c.name, &reader);
    CHECK(ec == c.expected);
    CHECK(reader == nullptr);
  }
}
