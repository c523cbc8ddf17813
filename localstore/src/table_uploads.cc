// What a table keeps for the uploader beside its rows: the upload journal and the dead letters.

#include <chrono>

#include "event_times.h"
#include "localstore/errc.h"
#include "row_encoding.h"
#include "schema.h"
#include "table.h"

namespace localstore {
namespace {

std::int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The statements of this file (Table::DefineUploads; each is prepared on its first use).
constexpr char kJournalInsertSql[] =
    "INSERT INTO uploads(first_row, last_row, request_id, channel, created_unix_ns) "
    "VALUES(?1, ?2, ?3, ?4, ?5)";
constexpr char kJournalSelectSql[] =
    "SELECT first_row, last_row, request_id, channel FROM uploads ORDER BY first_row, id";
constexpr char kJournalDeleteSql[] = "DELETE FROM uploads WHERE first_row >= ?1 AND last_row <= ?2";
constexpr char kLetterInsertSql[] =
    "INSERT INTO dead_letters(created_unix_ns, received_unix_ns, count, entries, encoding, "
    "raw_bytes, status, response, request_id, endpoint, min_event_unix_ns, max_event_unix_ns) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
const std::string kLetterListSql =
    std::string("SELECT ") + kDeadLetterColumnsSql + " FROM dead_letters ORDER BY id";
const std::string kLetterReadSql = std::string("SELECT ") + kDeadLetterColumnsSql +
                                   ", entries, encoding FROM dead_letters WHERE id = ?1";
constexpr char kLetterDeleteSql[] = "DELETE FROM dead_letters WHERE id = ?1";
constexpr char kLetterOldestSql[] =
    "SELECT id, received_unix_ns, count, raw_bytes FROM dead_letters "
    "ORDER BY received_unix_ns, id";
// Back into the stream as it was stored: compressed entries stay compressed.
constexpr char kLetterToRowSql[] =
    "INSERT INTO records(received_unix_ns, count, entries, encoding, raw_bytes, "
    "min_event_unix_ns, max_event_unix_ns) "
    "SELECT received_unix_ns, count, entries, encoding, raw_bytes, min_event_unix_ns, "
    "max_event_unix_ns FROM dead_letters WHERE id = ?1";

}  // namespace

void Table::DefineUploads() {
  journal_insert_.Define(db_, kJournalInsertSql);
  journal_select_.Define(db_, kJournalSelectSql);
  journal_delete_.Define(db_, kJournalDeleteSql);
  letter_insert_.Define(db_, kLetterInsertSql);
  letter_list_.Define(db_, kLetterListSql);
  letter_read_.Define(db_, kLetterReadSql);
  letter_delete_.Define(db_, kLetterDeleteSql);
  letter_oldest_.Define(db_, kLetterOldestSql);
  letter_to_row_.Define(db_, kLetterToRowSql);
}

int Table::CountDeadLetters() {
  Statement sums;
  int rc = sums.Prepare(db_,
                        "SELECT count(*), coalesce(sum(count), 0), coalesce(sum(raw_bytes), 0) "
                        "FROM dead_letters");
  if (rc != SQLITE_OK) return rc;
  StatementUse use(sums);
  rc = use.Step();
  if (rc != SQLITE_ROW) return rc;
  base::MutexLock counters(&counters_mutex_);
  dead_letters_ = {ToU64(use.ColumnInt(0)), ToU64(use.ColumnInt(1)), ToU64(use.ColumnInt(2))};
  return SQLITE_OK;
}

int Table::DeleteJournaled(std::int64_t first_row_id, std::int64_t last_row_id) {
  StatementUse use(journal_delete_);
  use.BindInt(1, first_row_id);
  use.BindInt(2, last_row_id);
  return use.Step();
}

std::error_code Table::RecordUpload(const JournaledUpload& upload) {
  base::MutexLock lock(&db_mutex_);
  if (std::error_code ec = UseLocked()) return ec;
  RelaxedSync relaxed(db_, synchronous_full_);
  StatementUse use(journal_insert_);
  use.BindInt(1, upload.first_row_id);
  use.BindInt(2, upload.last_row_id);
  use.BindText(3, upload.request_id);
  use.BindText(4, upload.channel);
  use.BindInt(5, NowUnixNs());
  int rc = use.Step();
  if (rc != SQLITE_DONE) return Fail("INSERT upload", rc);
  return {};
}

std::error_code Table::JournaledUploads(std::vector<JournaledUpload>* uploads) {
  uploads->clear();
  base::MutexLock lock(&db_mutex_);
  if (std::error_code ec = UseLocked()) return ec;
  StatementUse use(journal_select_);
  int rc;
  while ((rc = use.Step()) == SQLITE_ROW) {
    uploads->push_back(JournaledUpload{use.ColumnInt(0), use.ColumnInt(1),
                                       std::string(use.ColumnText(2)),
                                       std::string(use.ColumnText(3))});
  }
  if (rc != SQLITE_DONE) {
    uploads->clear();
    return Fail("SELECT uploads", rc);
  }
  return {};
}

std::error_code Table::AddDeadLetter(std::int64_t first_row_id, std::int64_t last_row_id,
                                     const DeadLetter& letter) {
  // Compressed like a row, and its event times read; outside the lock, it may take a while.
  RowCompressor compressor;
  EncodedRow encoded = compressor.Encode(letter.entries, letter.count);
  EventTimeRange times;
  const bool have_times = ReadEventTimes(letter.entries, &times);
  base::MutexLock lock(&db_mutex_);
  if (std::error_code ec = UseLocked()) return ec;
  RelaxedSync relaxed(db_, synchronous_full_);
  Transaction transaction(db_);
  int rc = transaction.Begin();
  if (rc != SQLITE_OK) return Fail("BEGIN", rc);
  Backlog removed;
  if (std::error_code ec = TakeOutLocked(first_row_id, last_row_id, &removed)) return ec;
  {
    StatementUse use(letter_insert_);
    use.BindInt(1, letter.created_unix_ns != 0 ? letter.created_unix_ns : NowUnixNs());
    use.BindInt(2, letter.received_unix_ns);
    use.BindInt(3, encoded.count);
    rc = use.BindBlob(4, encoded.stored);
    if (rc != SQLITE_OK) return Fail("binding entries", rc);
    use.BindInt(5, static_cast<std::int64_t>(encoded.encoding));
    use.BindInt(6, static_cast<std::int64_t>(encoded.raw_bytes));
    use.BindInt(7, letter.status);
    use.BindText(8, letter.response);
    use.BindText(9, letter.request_id);
    use.BindText(10, letter.endpoint);
    if (have_times) {
      use.BindInt(11, times.min_unix_ns);
      use.BindInt(12, times.max_unix_ns);
    }
    rc = use.Step();
    if (rc != SQLITE_DONE) return Fail("INSERT dead letter", rc);
  }
  rc = transaction.Commit();
  if (rc != SQLITE_OK) return Fail("COMMIT", rc);
  if (removed.rows > 0) Deleted(removed, Gone::kRemoved);
  base::MutexLock counters(&counters_mutex_);
  dead_letters_.rows += 1;
  dead_letters_.records += encoded.count;
  dead_letters_.bytes += encoded.raw_bytes;
  row_bytes_bound_ = std::max(row_bytes_bound_, encoded.raw_bytes);
  if (have_times) {
    event_bound_ = std::min(event_bound_, times.max_unix_ns);
  } else {
    times_unknown_ = true;
  }
  return {};
}

std::error_code Table::DeadLetters(std::vector<DeadLetter>* letters) {
  letters->clear();
  base::MutexLock lock(&db_mutex_);
  if (std::error_code ec = UseLocked()) return ec;
  StatementUse use(letter_list_);
  int rc;
  while ((rc = use.Step()) == SQLITE_ROW) ReadDeadLetterColumns(use, &letters->emplace_back());
  if (rc != SQLITE_DONE) {
    letters->clear();
    return Fail("SELECT dead letters", rc);
  }
  return {};
}

std::error_code Table::ReadLetterLocked(std::int64_t id, bool with_entries, DeadLetter* letter) {
  StatementUse use(letter_read_);
  use.BindInt(1, id);
  int rc = use.Step();
  if (rc == SQLITE_DONE) return Errc::kNoSuchDeadLetter;
  if (rc != SQLITE_ROW) return Fail("SELECT dead letter", rc);
  ReadDeadLetterColumns(use, letter);
  if (!with_entries) return {};
  std::string error;
  if (!RestoreRow(use.ColumnInt(10), use.ColumnBlob(9), letter->bytes, &letter->entries, &error)) {
    logger_.Error("localstore", "{}: dead letter {} is damaged and cannot be read: {}",
                  path_.filename().string(), id, error);
    return Errc::kSqlite;
  }
  return {};
}

std::error_code Table::ReadDeadLetter(std::int64_t id, DeadLetter* letter) {
  base::MutexLock lock(&db_mutex_);
  if (std::error_code ec = UseLocked()) return ec;
  return ReadLetterLocked(id, /*with_entries=*/true, letter);
}

std::error_code Table::ResendDeadLetter(std::int64_t id, DeadLetter* letter) {
  base::MutexLock lock(&db_mutex_);
  if (std::error_code ec = UseLocked()) return ec;
  if (std::error_code ec = ReadLetterLocked(id, /*with_entries=*/false, letter)) return ec;
  Transaction transaction(db_);
  int rc = transaction.Begin();
  if (rc != SQLITE_OK) return Fail("BEGIN", rc);
  {
    StatementUse use(letter_to_row_);
    use.BindInt(1, id);
    rc = use.Step();
    if (rc != SQLITE_DONE) return Fail("INSERT dead letter row", rc);
  }
  {
    StatementUse use(letter_delete_);
    use.BindInt(1, id);
    rc = use.Step();
    if (rc != SQLITE_DONE) return Fail("DELETE dead letter", rc);
  }
  // Durable as a commit of records is: these are records the host holds again.
  rc = transaction.Commit();
  if (rc != SQLITE_OK) return Fail("COMMIT", rc);
  RefreshOldestLocked();  // the new row is the first when the stream held none
  base::MutexLock counters(&counters_mutex_);
  dead_letters_.rows = SaturatingSub(dead_letters_.rows, 1);
  dead_letters_.records = SaturatingSub(dead_letters_.records, letter->count);
  dead_letters_.bytes = SaturatingSub(dead_letters_.bytes, letter->bytes);
  backlog_.rows += 1;
  backlog_.records += letter->count;
  backlog_.bytes += letter->bytes;
  return {};
}

std::error_code Table::DropDeadLetter(std::int64_t id, DeadLetter* letter) {
  base::MutexLock lock(&db_mutex_);
  if (std::error_code ec = UseLocked()) return ec;
  if (std::error_code ec = ReadLetterLocked(id, /*with_entries=*/false, letter)) return ec;
  StatementUse use(letter_delete_);
  use.BindInt(1, id);
  int rc = use.Step();
  if (rc != SQLITE_DONE) return Fail("DELETE dead letter", rc);
  base::MutexLock counters(&counters_mutex_);
  dead_letters_.rows = SaturatingSub(dead_letters_.rows, 1);
  dead_letters_.records = SaturatingSub(dead_letters_.records, letter->count);
  dead_letters_.bytes = SaturatingSub(dead_letters_.bytes, letter->bytes);
  return {};
}

}  // namespace localstore
