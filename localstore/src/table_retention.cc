// Retention: the event-time range of each row and dead letter, and deleting what is too old.

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "event_times.h"
#include "row_encoding.h"
#include "schema.h"
#include "table.h"

namespace localstore {
namespace {

// Rows read and written per FillEventTimes transaction: each waits for one such batch at most.
constexpr int kFillBatch = 64;

// The rows a sweep may delete: too old, not in a journaled batch, not yet read by an upload.
// ?1 = before_unix_ns, ?2 = the read horizon. The index on max_event_unix_ns finds them.
constexpr char kExpiredRows[] =
    "FROM records WHERE max_event_unix_ns < ?1 AND id > ?2 AND NOT EXISTS (SELECT 1 FROM uploads "
    "WHERE records.id BETWEEN uploads.first_row AND uploads.last_row)";
constexpr char kExpiredLetters[] = "FROM dead_letters WHERE max_event_unix_ns < ?1";
// What they hold, and their event-time range (columns 3 and 4).
constexpr char kExpiredSums[] =
    "SELECT count(*), coalesce(sum(count), 0), coalesce(sum({}), 0), min(min_event_unix_ns), "
    "max(max_event_unix_ns) ";

// The statements of this file (Table::DefineRetention; each is prepared on its first use).
const std::string kFillRowsSelectSql = fmt::format(
    "SELECT id, received_unix_ns, entries, encoding, {} FROM records "
    "WHERE max_event_unix_ns IS NULL ORDER BY id LIMIT {}",
    kRawBytesSql, kFillBatch);
constexpr char kFillRowsUpdateSql[] =
    "UPDATE records SET min_event_unix_ns = ?2, max_event_unix_ns = ?3 WHERE id = ?1";
const std::string kFillLettersSelectSql = fmt::format(
    "SELECT id, received_unix_ns, entries, encoding, raw_bytes FROM dead_letters "
    "WHERE max_event_unix_ns IS NULL ORDER BY id LIMIT {}",
    kFillBatch);
constexpr char kFillLettersUpdateSql[] =
    "UPDATE dead_letters SET min_event_unix_ns = ?2, max_event_unix_ns = ?3 WHERE id = ?1";
const std::string kExpireSumsSql = fmt::format(kExpiredSums, kRawBytesSql) + kExpiredRows;
const std::string kExpireDeleteSql = std::string("DELETE ") + kExpiredRows;
const std::string kExpireLetterSumsSql = fmt::format(kExpiredSums, "raw_bytes") + kExpiredLetters;
const std::string kExpireLetterDeleteSql = std::string("DELETE ") + kExpiredLetters;
// The lowest newest-event time of the rows, and of the dead letters: one step down each index.
constexpr char kEventBoundRowsSql[] = "SELECT min(max_event_unix_ns) FROM records";
constexpr char kEventBoundLettersSql[] = "SELECT min(max_event_unix_ns) FROM dead_letters";

}  // namespace

void Table::DefineRetention() {
  fill_rows_select_.Define(db_, kFillRowsSelectSql);
  fill_rows_update_.Define(db_, kFillRowsUpdateSql);
  fill_letters_select_.Define(db_, kFillLettersSelectSql);
  fill_letters_update_.Define(db_, kFillLettersUpdateSql);
  expire_sums_.Define(db_, kExpireSumsSql);
  expire_delete_.Define(db_, kExpireDeleteSql);
  expire_letter_sums_.Define(db_, kExpireLetterSumsSql);
  expire_letter_delete_.Define(db_, kExpireLetterDeleteSql);
  event_bound_rows_.Define(db_, kEventBoundRowsSql);
  event_bound_letters_.Define(db_, kEventBoundLettersSql);
}

void Table::RefreshEventBoundLocked() {
  std::int64_t bound = std::numeric_limits<std::int64_t>::max();
  for (Statement* statement : {&event_bound_rows_, &event_bound_letters_}) {
    StatementUse use(*statement);
    if (use.Step() != SQLITE_ROW) {
      // Unknown: the next sweep opens the table and looks.
      event_bound_ = std::numeric_limits<std::int64_t>::min();
      return;
    }
    if (!use.ColumnIsNull(0)) bound = std::min(bound, use.ColumnInt(0));
  }
  event_bound_ = bound;
}

std::error_code Table::FillEventTimes(std::uint64_t* filled) {
  *filled = 0;
  {
    base::MutexLock lock(&db_mutex_);
    if (!times_unknown_) return {};  // no need to open the table
    // Cleared before looking: a row written without times from now on sets it again.
    times_unknown_ = false;
  }
  for (Statement* select : {&fill_rows_select_, &fill_letters_select_}) {
    Statement* update = select == &fill_rows_select_ ? &fill_rows_update_ : &fill_letters_update_;
    for (;;) {
      // One batch per hold of the lock.
      base::MutexLock lock(&db_mutex_);
      std::uint64_t count = 0;
      std::error_code ec = UseLocked();
      if (!ec) ec = FillBatchLocked(*select, *update, &count);
      if (ec) {
        times_unknown_ = true;
        return ec;
      }
      if (count == 0) break;
      *filled += count;
    }
  }
  return {};
}

std::error_code Table::FillBatchLocked(Statement& select, Statement& update,
                                       std::uint64_t* filled) {
  struct Filled {
    std::int64_t id;
    EventTimeRange times;
  };
  std::vector<Filled> batch;
  std::string entries;
  std::string error;
  // The times can be read again from the entries: a write a power loss undoes costs nothing.
  RelaxedSync relaxed(db_, synchronous_full_);
  Transaction transaction(db_);
  int rc = transaction.Begin();
  if (rc != SQLITE_OK) return Fail("BEGIN", rc);
  {
    StatementUse use(select);
    while ((rc = use.Step()) == SQLITE_ROW) {
      Filled row{use.ColumnInt(0), {use.ColumnInt(1), use.ColumnInt(1)}};
      // Entries that cannot be read (damaged, or not Fluent entries) are never uploaded
      // either; they age from when they were received.
      if (RestoreRow(use.ColumnInt(3), use.ColumnBlob(2), ToU64(use.ColumnInt(4)), &entries,
                     &error)) {
        ReadEventTimes(entries, &row.times);
      }
      batch.push_back(row);
    }
    if (rc != SQLITE_DONE) return Fail("SELECT rows without event times", rc);
  }
  if (batch.empty()) return {};
  for (const Filled& row : batch) {
    StatementUse use(update);
    use.BindInt(1, row.id);
    use.BindInt(2, row.times.min_unix_ns);
    use.BindInt(3, row.times.max_unix_ns);
    rc = use.Step();
    if (rc != SQLITE_DONE) return Fail("UPDATE event times", rc);
  }
  rc = transaction.Commit();
  if (rc != SQLITE_OK) return Fail("COMMIT", rc);
  for (const Filled& row : batch) event_bound_ = std::min(event_bound_, row.times.max_unix_ns);
  *filled = batch.size();
  return {};
}

std::error_code Table::Expire(std::int64_t before_unix_ns, Expiry* expired) {
  *expired = Expiry{.stream_id = stream_id_};
  base::MutexLock lock(&db_mutex_);
  {
    base::MutexLock counters(&counters_mutex_);
    if (backlog_.rows == 0 && dead_letters_.rows == 0) return {};
  }
  // Every newest event time is at or after the bound: nothing to delete, no need to open.
  if (before_unix_ns <= event_bound_) return {};
  if (std::error_code ec = UseLocked()) return ec;
  RelaxedSync relaxed(db_, synchronous_full_);
  // The rows counted are the rows deleted: both happen in this one write transaction, which a
  // Remove or a RecordUpload (same connection, same mutex) cannot interleave with.
  Transaction transaction(db_);
  int rc = transaction.Begin();
  if (rc != SQLITE_OK) return Fail("BEGIN", rc);
  bool any_time = false;
  // Rows, then dead letters.
  Statement* sums[2] = {&expire_sums_, &expire_letter_sums_};
  Statement* deletes[2] = {&expire_delete_, &expire_letter_delete_};
  Backlog* totals[2] = {&expired->rows, &expired->letters};
  for (int i = 0; i < 2; ++i) {
    {
      StatementUse use(*sums[i]);
      use.BindInt(1, before_unix_ns);
      if (i == 0) use.BindInt(2, read_horizon_);
      rc = use.Step();
      if (rc != SQLITE_ROW) return Fail("SELECT expired rows", rc);
      *totals[i] = {ToU64(use.ColumnInt(0)), ToU64(use.ColumnInt(1)), ToU64(use.ColumnInt(2))};
      if (totals[i]->rows > 0) {
        const std::int64_t oldest = use.ColumnInt(3);
        const std::int64_t newest = use.ColumnInt(4);
        expired->oldest_unix_ns = any_time ? std::min(expired->oldest_unix_ns, oldest) : oldest;
        expired->newest_unix_ns = any_time ? std::max(expired->newest_unix_ns, newest) : newest;
        any_time = true;
      }
    }
    if (totals[i]->rows == 0) continue;
    StatementUse use(*deletes[i]);
    use.BindInt(1, before_unix_ns);
    if (i == 0) use.BindInt(2, read_horizon_);
    rc = use.Step();
    if (rc != SQLITE_DONE) return Fail("DELETE expired rows", rc);
  }
  if (expired->empty()) {
    RefreshEventBoundLocked();  // the next sweeps skip the table until it may hold expired rows
    return {};
  }
  rc = transaction.Commit();
  if (rc != SQLITE_OK) {
    const std::string stream_id = stream_id_;
    *expired = Expiry{.stream_id = stream_id};
    return Fail("COMMIT", rc);
  }
  Deleted(expired->rows, Gone::kExpired);
  LettersGone(expired->letters, Gone::kExpired);
  RefreshEventBoundLocked();
  return {};
}

}  // namespace localstore
