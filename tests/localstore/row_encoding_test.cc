// Rows on disk: compressed when that pays, read back byte for byte, version 1 tables still read,
// and damaged rows named instead of trusted.
#include "row_encoding.h"

#include <fmt/format.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "localstore/store.h"
#include "localstore/table_name.h"
#include "localstore/table_reader.h"
#include "store_test_util.h"
#include "support/temp_dir.h"

using localstore::RestoreRow;
using localstore::RowCompressor;
using localstore::RowEncoding;
using localstore_test::AppendAndWait;
using localstore_test::Entries;
using localstore_test::kStreamA;
using localstore_test::OpenStore;
using localstore_test::RawDb;
using localstore_test::ReadAll;

namespace {

// Entries that compress as records do: the same keys again and again, a counter that changes.
std::string Repetitive(std::uint32_t seed, std::size_t records) {
  // [time 1, {"Computer": "vm1", "Sequence": <uint16>}], NULs and all.
  static constexpr char kHead[] =
      "\x92\xce\x00\x00\x00\x01\x82\xa8"
      "Computer\xa3vm1\xa8Sequence\xcd";
  std::string out;
  for (std::size_t i = 0; i < records; ++i) {
    out.append(kHead, sizeof(kHead) - 1);
    const std::uint32_t n = seed * 1000 + static_cast<std::uint32_t>(i);
    out += static_cast<char>(n >> 8 & 0xff);
    out += static_cast<char>(n & 0xff);
  }
  return out;
}

std::vector<localstore::StoredRow> ReadWithReader(const std::filesystem::path& file) {
  std::unique_ptr<localstore::TableReader> reader;
  REQUIRE_FALSE(localstore::TableReader::Open(file, &reader));
  std::vector<localstore::StoredRow> rows;
  REQUIRE_FALSE(reader->ForEachRow([&](const localstore::StoredRow& row) {
    rows.push_back(row);
    return true;
  }));
  return rows;
}

std::string Hex(std::string_view bytes) {
  std::string hex;
  for (unsigned char c : bytes) hex += fmt::format("{:02X}", c);
  return hex;
}

// Flips one bit in the middle of row `id`'s entries, as a bad disk sector would.
void FlipBit(RawDb& db, int id) {
  std::string hex =
      db.QueryText("SELECT hex(entries) FROM records WHERE id = " + std::to_string(id));
  REQUIRE(hex.size() > 40);
  char& digit = hex[hex.size() / 2];
  digit = digit == '0' ? '1' : '0';
  db.Exec("UPDATE records SET entries = x'" + hex + "' WHERE id = " + std::to_string(id));
}

}  // namespace

TEST_CASE("RowCompressor keeps a frame only when it is smaller", "[localstore][encoding]") {
  RowCompressor compressor;
  std::string stored;
  const std::string repetitive = Repetitive(1, 200);
  REQUIRE(compressor.Compress(repetitive, &stored) == RowEncoding::kZstd);
  CHECK(stored.size() * 4 < repetitive.size());
  std::string restored, error;
  REQUIRE(RestoreRow(1, stored, repetitive.size(), &restored, &error));
  CHECK(restored == repetitive);

  // Random bytes do not compress; tiny rows are not worth a frame.
  CHECK(compressor.Compress(Entries(7, 5000), &stored) == RowEncoding::kPlain);
  CHECK(stored.empty());
  CHECK(compressor.Compress(std::string(100, 'a'), &stored) == RowEncoding::kPlain);
  // The context is reused: the next row compresses as well as the first.
  REQUIRE(compressor.Compress(Repetitive(2, 200), &stored) == RowEncoding::kZstd);
  REQUIRE(RestoreRow(1, stored, Repetitive(2, 200).size(), &restored, &error));
  CHECK(restored == Repetitive(2, 200));
}

TEST_CASE("RestoreRow refuses what does not check out", "[localstore][encoding]") {
  RowCompressor compressor;
  const std::string entries = Repetitive(3, 100);
  std::string frame;
  REQUIRE(compressor.Compress(entries, &frame) == RowEncoding::kZstd);
  std::string flipped = frame;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x10);

  struct Case {
    const char* name;
    std::int64_t encoding;
    std::string stored;
    std::uint64_t raw_bytes;
    const char* error;
  };
  const Case cases[] = {
      {"unknown encoding", 2, frame, entries.size(), "unknown encoding 2"},
      {"not a frame", 1, entries, entries.size(), "not a zstd frame"},
      {"truncated", 1, frame.substr(0, frame.size() - 6), entries.size(), "zstd"},
      {"trailing bytes", 1, frame + "xx", entries.size(), "zstd"},
      {"size other than the row's", 1, frame, entries.size() + 1, "declares"},
      {"a bit flipped", 1, flipped, entries.size(), "zstd"},
      {"empty", 1, "", 0, "not a zstd frame"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    std::string restored = "stale", error;
    CHECK_FALSE(RestoreRow(c.encoding, c.stored, c.raw_bytes, &restored, &error));
    CHECK(restored.empty());
    CHECK_THAT(error, Catch::Contains(c.error));
  }
  // Plain rows are what they are.
  std::string restored, error;
  REQUIRE(RestoreRow(0, "abc", 3, &restored, &error));
  CHECK(restored == "abc");
}

TEST_CASE("A frame that claims more than a row may hold allocates nothing",
          "[localstore][encoding]") {
  // A frame header declaring 1 TiB: checked against the row and the bound before any allocation.
  RowCompressor compressor;
  std::string frame;
  REQUIRE(compressor.Compress(Repetitive(4, 100), &frame) == RowEncoding::kZstd);
  std::string restored, error;
  const std::uint64_t huge = std::uint64_t{1} << 40;
  CHECK_FALSE(RestoreRow(1, frame, huge, &restored, &error));
  CHECK_THAT(error, Catch::Contains("declares"));
  CHECK(restored.capacity() < 1024 * 1024);
}

TEST_CASE("The store keeps compressible rows compressed and reads them back exactly",
          "[localstore][encoding]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger);
  const std::string repetitive = Repetitive(5, 300);
  const std::string random = Entries(5, 3000);
  REQUIRE_FALSE(AppendAndWait(*store, kStreamA, repetitive, 300));
  REQUIRE_FALSE(AppendAndWait(*store, kStreamA, random, 1));

  std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].entries == repetitive);
  CHECK(rows[1].entries == random);
  CHECK_FALSE(rows[0].damaged);
  // The backlog counts the records' bytes, not what the disk holds.
  CHECK(store->GetBacklog(kStreamA).bytes == repetitive.size() + random.size());

  RawDb db(dir / localstore::TableFileName(kStreamA));
  CHECK(db.QueryText("SELECT encoding FROM records WHERE id = 1") == "1");
  CHECK(db.QueryText("SELECT raw_bytes FROM records WHERE id = 1") ==
        std::to_string(repetitive.size()));
  CHECK(std::stoul(db.QueryText("SELECT length(entries) FROM records WHERE id = 1")) * 4 <
        repetitive.size());
  CHECK(db.QueryText("SELECT encoding FROM records WHERE id = 2") == "0");
  CHECK(db.QueryText("SELECT length(entries) FROM records WHERE id = 2") == "3000");

  // Tools read the same bytes.
  std::vector<localstore::StoredRow> read =
      ReadWithReader(dir / localstore::TableFileName(kStreamA));
  REQUIRE(read.size() == 2);
  CHECK(read[0].entries == repetitive);
  CHECK(read[1].entries == random);
}

TEST_CASE("A damaged compressed row is named and passed on empty, its neighbours intact",
          "[localstore][encoding]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  const std::filesystem::path file = dir / localstore::TableFileName(kStreamA);
  {
    auto store = OpenStore(dir.path(), logger);
    for (std::uint32_t i = 0; i < 3; ++i) {
      REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Repetitive(10 + i, 200), 200));
    }
  }
  {
    RawDb db(file);
    FlipBit(db, 2);
  }
  auto store = OpenStore(dir.path(), logger);
  std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].entries == Repetitive(10, 200));
  CHECK(rows[1].damaged);
  CHECK(rows[1].entries.empty());
  CHECK(rows[1].count == 200);
  CHECK(rows[2].entries == Repetitive(12, 200));
  CHECK(logger.Count("row 2 (200 records) is damaged") == 1);

  std::vector<localstore::StoredRow> read = ReadWithReader(file);
  REQUIRE(read.size() == 3);
  CHECK_FALSE(read[0].damaged);
  CHECK(read[1].damaged);
  CHECK(read[2].entries == Repetitive(12, 200));
}

TEST_CASE("A version 1 table is read as it is and brought to version 3 when the store opens it",
          "[localstore][encoding][recovery]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  const std::filesystem::path file = dir / localstore::TableFileName(kStreamA);
  const std::string old_rows[] = {Repetitive(20, 50), Entries(21, 700)};
  {
    // What a build of schema version 1 wrote.
    RawDb db(file);
    db.Exec(
        "PRAGMA journal_mode = WAL; BEGIN;"
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE records(id INTEGER PRIMARY KEY AUTOINCREMENT, received_unix_ns INTEGER NOT "
        "NULL, count INTEGER NOT NULL, entries BLOB NOT NULL);"
        "INSERT INTO meta VALUES('stream_id', '" +
        std::string(kStreamA) +
        "'), ('data_type', 'CONFIG_CHANGE_BLOB_V2'), ('created_unix_ns', '1'),"
        " ('format', 'fluent-entries-msgpack-v1');"
        "INSERT INTO records(received_unix_ns, count, entries) VALUES(100, 50, x'" +
        Hex(old_rows[0]) + "'), (200, 1, x'" + Hex(old_rows[1]) +
        "');"
        "PRAGMA user_version = 1; COMMIT;");
  }

  // Read-only, a tool reads it without changing it.
  std::vector<localstore::StoredRow> read = ReadWithReader(file);
  REQUIRE(read.size() == 2);
  CHECK(read[0].entries == old_rows[0]);
  CHECK(read[1].entries == old_rows[1]);
  {
    RawDb db(file);
    CHECK(db.QueryText("PRAGMA user_version") == "1");
  }

  auto store = OpenStore(dir.path(), logger);
  CHECK(logger.Count("schema version 1 brought to 4") == 1);
  CHECK(store->GetBacklog(kStreamA).bytes == old_rows[0].size() + old_rows[1].size());
  const std::string fresh = Repetitive(22, 100);
  REQUIRE_FALSE(AppendAndWait(*store, kStreamA, fresh, 100));
  std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].entries == old_rows[0]);
  CHECK(rows[1].entries == old_rows[1]);
  CHECK(rows[2].entries == fresh);
  CHECK(rows[2].row_id == 3);
  RawDb db(file);
  CHECK(db.QueryText("PRAGMA user_version") == "4");
  CHECK(db.QueryText("SELECT count(*) FROM uploads") == "0");
  CHECK(db.QueryText("SELECT count(*) FROM dead_letters") == "0");
  // A table keeps the page size it was made with (SQLite's 4 KiB then).
  CHECK(db.QueryText("PRAGMA page_size") == "4096");
  CHECK(db.QueryText("SELECT count(*) FROM records WHERE raw_bytes IS NULL") == "2");
  CHECK(db.QueryText("SELECT encoding FROM records WHERE id = 3") == "1");
}

TEST_CASE("RowCompressor::Encode makes the row, plain when compressing does not pay",
          "[localstore][encoding]") {
  RowCompressor compressor;
  const std::string repetitive = Repetitive(6, 200);
  localstore::EncodedRow row = compressor.Encode(repetitive, 200);
  CHECK(row.encoding == RowEncoding::kZstd);
  CHECK(row.raw_bytes == repetitive.size());
  CHECK(row.count == 200);
  CHECK(row.stored.size() < repetitive.size());
  std::string restored, error;
  REQUIRE(RestoreRow(1, row.stored, row.raw_bytes, &restored, &error));
  CHECK(restored == repetitive);

  const std::string random = Entries(6, 5000);
  row = compressor.Encode(random, 3);
  CHECK(row.encoding == RowEncoding::kPlain);
  CHECK(row.stored == random);
  CHECK(row.raw_bytes == 5000);
  CHECK(row.count == 3);
}

TEST_CASE("Close commits every batch appended before it even if not compressed yet",
          "[localstore][encoding]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  constexpr std::uint32_t kBatches = 300;
  std::atomic<std::uint32_t> ok{0};
  std::atomic<std::uint32_t> failed{0};
  {
    auto store = OpenStore(dir.path(), logger);
    // Made first, so that appending outpaces compressing and Close finds batches not encoded.
    std::vector<std::string> entries;
    for (std::uint32_t i = 0; i < kBatches; ++i) entries.push_back(Repetitive(i, 1000));
    for (std::uint32_t i = 0; i < kBatches; ++i) {
      store->Append({kStreamA, std::move(entries[i]), 1000},
                    [&](std::error_code ec) { ++(ec ? failed : ok); });
    }
    store->Close();
    // Close returns once every completion has run: no waiting here.
    CHECK(ok == kBatches);
    CHECK(failed == 0);
  }
  auto store = OpenStore(dir.path(), logger);
  std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == kBatches);
  for (std::uint32_t i = 0; i < kBatches; ++i) {
    CHECK(rows[i].count == 1000);
    CHECK(rows[i].entries == Repetitive(i, 1000));
  }
}
