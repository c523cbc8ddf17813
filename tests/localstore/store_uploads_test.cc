// What a table keeps for the uploader beside its rows: the upload journal and the dead letters,
// on real tables, across reopening.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "localstore/errc.h"
#include "localstore/store.h"
#include "localstore/table_name.h"
#include "store_test_util.h"
#include "support/temp_dir.h"

using localstore::DeadLetter;
using localstore::Errc;
using localstore::JournaledUpload;
using localstore_test::AppendAndWait;
using localstore_test::Entries;
using localstore_test::kStreamA;
using localstore_test::kStreamB;
using localstore_test::OpenStore;
using localstore_test::RawDb;
using localstore_test::ReadAll;

namespace {

std::vector<JournaledUpload> Journal(localstore::Store& store, const std::string& stream) {
  std::vector<JournaledUpload> uploads;
  REQUIRE_FALSE(store.JournaledUploads(stream, &uploads));
  return uploads;
}

DeadLetter Letter(std::uint32_t count, std::string entries, int status = 400,
                  std::int64_t received_unix_ns = 0) {
  DeadLetter letter;
  letter.received_unix_ns = received_unix_ns;
  letter.count = count;
  letter.status = status;
  letter.entries = std::move(entries);
  return letter;
}

std::vector<std::int64_t> RowIds(localstore::Store& store, const std::string& stream) {
  std::vector<std::int64_t> ids;
  for (const localstore::StoredRow& row : ReadAll(store, stream)) ids.push_back(row.row_id);
  return ids;
}

}  // namespace

TEST_CASE("Journaled uploads survive a restart and leave with the rows they cover",
          "[localstore][journal]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  {
    auto store = OpenStore(dir.path(), logger);
    for (std::uint32_t i = 1; i <= 6; ++i) {
      REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(i, 100), 1));
    }
    REQUIRE_FALSE(store->RecordUpload(kStreamA, {1, 2, "id-a", "ods-ws"}));
    REQUIRE_FALSE(store->RecordUpload(kStreamA, {3, 5, "id-b", "ods-ws"}));
    REQUIRE_FALSE(store->RecordUpload(kStreamA, {6, 6, "id-c", "ods-ws"}));
    // A stream without a table has nothing to journal.
    CHECK(store->RecordUpload(kStreamB, {1, 1, "id-x", "ods-ws"}) == Errc::kNoSuchStream);
    CHECK(Journal(*store, kStreamB).empty());
  }
  auto store = OpenStore(dir.path(), logger);
  std::vector<JournaledUpload> journal = Journal(*store, kStreamA);
  REQUIRE(journal.size() == 3);
  CHECK(journal[0].first_row_id == 1);
  CHECK(journal[0].last_row_id == 2);
  CHECK(journal[0].request_id == "id-a");
  CHECK(journal[0].channel == "ods-ws");
  CHECK(journal[1].request_id == "id-b");
  CHECK(journal[2].request_id == "id-c");

  // Removing 3..5 takes its entry only; the others cover rows outside it.
  REQUIRE_FALSE(store->Remove(kStreamA, 3, 5));
  journal = Journal(*store, kStreamA);
  REQUIRE(journal.size() == 2);
  CHECK(journal[0].request_id == "id-a");
  CHECK(journal[1].request_id == "id-c");
  CHECK(RowIds(*store, kStreamA) == std::vector<std::int64_t>{1, 2, 6});

  // Rows already gone (the quota dropped them): the removal still ends their journal entry.
  RawDb(dir / localstore::TableFileName(kStreamA)).Exec("DELETE FROM records WHERE id = 6");
  REQUIRE_FALSE(store->Remove(kStreamA, 6, 6));
  journal = Journal(*store, kStreamA);
  REQUIRE(journal.size() == 1);
  CHECK(journal[0].request_id == "id-a");
}

TEST_CASE("ReadOldest stops at last_row_id, to read a journaled batch again exactly",
          "[localstore][journal]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger);
  for (std::uint32_t i = 1; i <= 5; ++i) {
    REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(i, 200), 2));
  }
  std::vector<localstore::StoredRow> rows;
  localstore::ReadLimits limits{.max_rows = 100, .last_row_id = 4};
  REQUIRE_FALSE(store->ReadOldest(kStreamA, 1, limits, &rows));
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].row_id == 2);
  CHECK(rows[2].row_id == 4);
  CHECK(rows[1].entries == Entries(3, 200));
}

TEST_CASE("A dead letter leaves the stream, keeps its records and comes back when resent",
          "[localstore][deadletter]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  const std::string refused = Entries(2, 5000) + Entries(3, 5000);
  {
    auto store = OpenStore(dir.path(), logger);
    for (std::uint32_t i = 1; i <= 4; ++i) {
      REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(i, 5000), 10));
    }
    const std::int64_t received = ReadAll(*store, kStreamA).at(1).received_unix_ns;
    REQUIRE_FALSE(store->RecordUpload(kStreamA, {2, 3, "id-refused", "ods-ws"}));
    DeadLetter letter = Letter(20, refused, 400, received);
    letter.response = R"({"error":"InvalidDataFormat"})";
    letter.request_id = "id-refused";
    letter.endpoint = "https://ws.ods.test/OperationalData.svc";
    REQUIRE_FALSE(store->AddDeadLetter(kStreamA, 2, 3, letter));
    CHECK(RowIds(*store, kStreamA) == std::vector<std::int64_t>{1, 4});
    CHECK(Journal(*store, kStreamA).empty());
    CHECK(store->GetBacklog(kStreamA).records == 20);
    CHECK(store->GetBacklog(kStreamA).bytes == 10000);
    // The quota counts them still: they are on disk.
    CHECK(store->Quota().stored_bytes == 20000);
  }
  auto store = OpenStore(dir.path(), logger);
  std::vector<localstore::StreamStats> stats = store->Stats();
  REQUIRE(stats.size() == 1);
  CHECK(stats[0].dead_letters.rows == 1);
  CHECK(stats[0].dead_letters.records == 20);
  CHECK(stats[0].dead_letters.bytes == 10000);
  CHECK(stats[0].backlog.rows == 2);

  std::vector<DeadLetter> letters;
  REQUIRE_FALSE(store->DeadLetters(kStreamA, &letters));
  REQUIRE(letters.size() == 1);
  const DeadLetter& listed = letters[0];
  CHECK(listed.id == 1);
  CHECK(listed.status == 400);
  CHECK(listed.count == 20);
  CHECK(listed.bytes == 10000);
  CHECK(listed.request_id == "id-refused");
  CHECK(listed.response == R"({"error":"InvalidDataFormat"})");
  CHECK(listed.endpoint == "https://ws.ods.test/OperationalData.svc");
  CHECK(listed.created_unix_ns > 0);
  CHECK(listed.entries.empty());

  DeadLetter read;
  REQUIRE_FALSE(store->ReadDeadLetter(kStreamA, 1, &read));
  CHECK(read.entries == refused);
  CHECK(store->ReadDeadLetter(kStreamA, 7, &read) == Errc::kNoSuchDeadLetter);
  CHECK(store->ReadDeadLetter(kStreamB, 1, &read) == Errc::kNoSuchStream);

  DeadLetter resent;
  REQUIRE_FALSE(store->ResendDeadLetter(kStreamA, 1, &resent));
  CHECK(resent.count == 20);
  std::vector<localstore::StoredRow> rows = ReadAll(*store, kStreamA);
  REQUIRE(rows.size() == 3);
  CHECK(rows[2].row_id == 5);  // after every row, so a reader past the others still sees it
  CHECK(rows[2].entries == refused);
  CHECK(rows[2].count == 20);
  CHECK(rows[2].received_unix_ns == listed.received_unix_ns);
  CHECK(store->GetBacklog(kStreamA).records == 40);
  CHECK(store->ResendDeadLetter(kStreamA, 1, &resent) == Errc::kNoSuchDeadLetter);
  REQUIRE_FALSE(store->DeadLetters(kStreamA, &letters));
  CHECK(letters.empty());
  CHECK(store->Stats()[0].dead_letters.rows == 0);
}

TEST_CASE("Dropping a dead letter deletes it and frees its bytes", "[localstore][deadletter]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  auto store = OpenStore(dir.path(), logger);
  REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(1, 3000), 3));
  REQUIRE_FALSE(store->AddDeadLetter(kStreamA, 1, 1, Letter(3, Entries(1, 3000), 413)));
  CHECK(store->Quota().stored_bytes == 3000);
  DeadLetter dropped;
  REQUIRE_FALSE(store->DropDeadLetter(kStreamA, 1, &dropped));
  CHECK(dropped.status == 413);
  CHECK(store->Quota().stored_bytes == 0);
  CHECK(store->DropDeadLetter(kStreamA, 1, &dropped) == Errc::kNoSuchDeadLetter);
  CHECK(RawDb(dir / localstore::TableFileName(kStreamA))
            .QueryText("SELECT count(*) FROM dead_letters") == "0");
}

TEST_CASE("The quota drops dead letters with the rows, oldest records first",
          "[localstore][deadletter][quota]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  localstore::StoreOptions options;
  options.tables_dir = dir.path();
  options.logger = &logger;
  auto store = localstore_test::OpenStore(options);
  // Rows 1..4 of 1000 bytes, each received after the one before; rows 1 and 2 become a letter.
  for (std::uint32_t i = 1; i <= 4; ++i) {
    REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(i, 1000), 1));
  }
  const std::int64_t oldest = ReadAll(*store, kStreamA).at(0).received_unix_ns;
  REQUIRE_FALSE(store->AddDeadLetter(kStreamA, 1, 2,
                                     Letter(2, Entries(1, 1000) + Entries(2, 1000), 400, oldest)));
  REQUIRE_FALSE(AppendAndWait(*store, kStreamB, Entries(9, 1000), 1));
  CHECK(store->Quota().stored_bytes == 5000);

  // 3000 bytes: the letter (the oldest records, 2000 bytes) goes first.
  REQUIRE_FALSE(store->SetQuota(3000));
  std::vector<DeadLetter> letters;
  REQUIRE_FALSE(store->DeadLetters(kStreamA, &letters));
  CHECK(letters.empty());
  CHECK(RowIds(*store, kStreamA) == std::vector<std::int64_t>{3, 4});
  CHECK(store->Quota().stored_bytes == 3000);
  CHECK(store->Quota().dropped_records == 2);
  CHECK(store->Stats()[0].quota_dropped_bytes == 2000);

  // A letter larger than the whole quota goes at once.
  REQUIRE_FALSE(store->AddDeadLetter(kStreamA, 3, 3, Letter(1, Entries(3, 1000))));
  REQUIRE_FALSE(store->SetQuota(900));
  REQUIRE_FALSE(store->DeadLetters(kStreamA, &letters));
  CHECK(letters.empty());
}

TEST_CASE("A version 2 table gets the journal and dead-letter tables when opened",
          "[localstore][journal][recovery]") {
  testing::TempDir dir;
  base::MemoryLogger logger;
  const std::filesystem::path file = dir / localstore::TableFileName(kStreamA);
  {
    auto store = OpenStore(dir.path(), logger);
    REQUIRE_FALSE(AppendAndWait(*store, kStreamA, Entries(1, 500), 5));
  }
  RawDb(file).Exec(
      "DROP INDEX records_by_max_event; ALTER TABLE records DROP COLUMN min_event_unix_ns;"
      "ALTER TABLE records DROP COLUMN max_event_unix_ns; DROP TABLE uploads;"
      "DROP TABLE dead_letters; PRAGMA user_version = 2");
  auto store = OpenStore(dir.path(), logger);
  CHECK(logger.Count("schema version 2 brought to 4") == 1);
  CHECK(ReadAll(*store, kStreamA).at(0).entries == Entries(1, 500));
  REQUIRE_FALSE(store->RecordUpload(kStreamA, {1, 1, "id", "ods"}));
  CHECK(Journal(*store, kStreamA).size() == 1);
  CHECK(RawDb(file).QueryText("PRAGMA user_version") == "4");
}
