#include "table.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>
#include <vector>

#include "base/files.h"
#include "localstore/errc.h"
#include "row_encoding.h"
#include "schema.h"

namespace localstore {
namespace {

constexpr char kComponent[] = "localstore";
// For new tables (an existing file keeps the size it was made with). A message's row is tens of
// KiB once compressed: 16 KiB pages write it in a quarter of the system calls that SQLite's
// default 4 KiB pages take (two per page in the -wal file, two more per page at each checkpoint)
// while the partly filled last page that each commit rewrites stays small. See docs/design.md.
constexpr char kPageSize[] = "PRAGMA page_size = 16384";
// Keeps the -wal file from staying at the size of the largest group commit ever made.
constexpr char kJournalSizeLimit[] = "PRAGMA journal_size_limit = 16777216";
// Backlog bytes are the entries' bytes before compression (kRawBytesSql).
constexpr char kSums[] =
    "SELECT count(*), coalesce(sum(count), 0),"
    " coalesce(sum(coalesce(raw_bytes, length(entries))), 0) FROM records";

// The backlog at open: rows, records, bytes, and how many rows have a raw_bytes.
constexpr char kCountSql[] =
    "SELECT count(*), coalesce(sum(count), 0), coalesce(sum(raw_bytes), 0), count(raw_bytes) "
    "FROM records";
constexpr char kUnsizedBytesSql[] =
    "SELECT coalesce(sum(length(entries)), 0) FROM records WHERE raw_bytes IS NULL";

// The statements of table.cc (Table::Table defines them; each is prepared on its first use).
constexpr char kInsertSql[] =
    "INSERT INTO records(received_unix_ns, count, entries, encoding, raw_bytes, "
    "min_event_unix_ns, max_event_unix_ns) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const std::string kReadSql = fmt::format(
    "SELECT id, received_unix_ns, count, entries, encoding, {} "
    "FROM records WHERE id > ?1 AND id <= ?2 ORDER BY id",
    kRawBytesSql);
const std::string kRangeSumsSql = std::string(kSums) + " WHERE id BETWEEN ?1 AND ?2";
constexpr char kDeleteSql[] = "DELETE FROM records WHERE id BETWEEN ?1 AND ?2";
const std::string kOldestSql =
    fmt::format("SELECT id, received_unix_ns, count, {} FROM records ORDER BY id", kRawBytesSql);
const std::string kLargeSumsSql = fmt::format(
    "SELECT count(*), coalesce(sum(count), 0), coalesce(sum({0}), 0), min(received_unix_ns) "
    "FROM records WHERE {0} > ?1",
    kRawBytesSql);
const std::string kLargeDeleteSql = fmt::format("DELETE FROM records WHERE {} > ?1", kRawBytesSql);
constexpr char kLargeLetterSumsSql[] =
    "SELECT count(*), coalesce(sum(count), 0), coalesce(sum(raw_bytes), 0), "
    "min(received_unix_ns) FROM dead_letters WHERE raw_bytes > ?1";
constexpr char kLargeLetterDeleteSql[] = "DELETE FROM dead_letters WHERE raw_bytes > ?1";

std::int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void RemoveTableFiles(const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  std::filesystem::remove(path.string() + "-wal", ignored);
  std::filesystem::remove(path.string() + "-shm", ignored);
}

}  // namespace

Table::Table(std::filesystem::path path, const TableSettings& settings, base::Logger& logger)
    : path_(std::move(path)), logger_(logger), settings_(settings) {
  insert_.Define(db_, kInsertSql);
  read_.Define(db_, kReadSql);
  sums_.Define(db_, kRangeSumsSql);
  delete_.Define(db_, kDeleteSql);
  oldest_.Define(db_, kOldestSql);
  large_sums_.Define(db_, kLargeSumsSql);
  large_delete_.Define(db_, kLargeDeleteSql);
  large_letter_sums_.Define(db_, kLargeLetterSumsSql);
  large_letter_delete_.Define(db_, kLargeLetterDeleteSql);
  DefineUploads();
  DefineRetention();
}

void Table::FinalizeStatements() {
  for (Statement* statement : {&insert_,
                               &read_,
                               &sums_,
                               &delete_,
                               &oldest_,
                               &large_sums_,
                               &large_delete_,
                               &large_letter_sums_,
                               &large_letter_delete_,
                               &journal_insert_,
                               &journal_select_,
                               &journal_delete_,
                               &letter_insert_,
                               &letter_list_,
                               &letter_read_,
                               &letter_delete_,
                               &letter_oldest_,
                               &letter_to_row_,
                               &fill_rows_select_,
                               &fill_rows_update_,
                               &fill_letters_select_,
                               &fill_letters_update_,
                               &expire_sums_,
                               &expire_delete_,
                               &expire_letter_sums_,
                               &expire_letter_delete_,
                               &event_bound_rows_,
                               &event_bound_letters_}) {
    statement->Finalize();
  }
}

std::error_code Table::Connect(int flags, std::string* why) {
  int rc = db_.Open(path_, flags | SQLITE_OPEN_NOFOLLOW);
  if (rc != SQLITE_OK) {
    *why = fmt::format("cannot {}: {}", (flags & SQLITE_OPEN_CREATE) != 0 ? "create" : "open",
                       sqlite3_errstr(rc));
    std::error_code ec = db_.Error(rc);
    db_.Close();
    return ec;
  }
  open_.store(true, std::memory_order_relaxed);
  last_used_ = Clock::now();
  return {};
}

void Table::CloseLocked() {
  FinalizeStatements();
  db_.Close();
  open_.store(false, std::memory_order_relaxed);
}

bool Table::CloseIfIdle(Clock::time_point used_before) {
  base::MutexLock lock(&db_mutex_);
  if (!open_.load(std::memory_order_relaxed) || last_used_ >= used_before) return false;
  CloseLocked();
  return true;
}

std::error_code Table::ReopenLocked(std::string* why) {
  if (std::error_code ec = Connect(SQLITE_OPEN_READWRITE, why)) return ec;
  std::string stream_id;
  int version = 0;
  std::error_code ec = CheckSchema(db_, &stream_id, &version, why);
  if (!ec && (stream_id != stream_id_ || version != kSchemaVersion)) {
    *why = fmt::format("the file now holds stream {} at schema version {}", stream_id, version);
    ec = Errc::kNotATable;
  }
  if (!ec) ec = ApplySettings(why);
  if (ec) CloseLocked();
  return ec;
}

std::error_code Table::UseLocked(std::string* why) {
  last_used_ = Clock::now();
  if (open_.load(std::memory_order_relaxed)) return {};
  std::string reason;
  std::error_code ec = ReopenLocked(&reason);
  if (!ec) {
    if (reopen_failure_logged_) {
      logger_.Info(kComponent, "{}: opened again", path_.filename().string());
      reopen_failure_logged_ = false;
    }
    return {};
  }
  std::string message =
      fmt::format("{}: cannot open the table again: {}", path_.filename().string(), reason);
  // As Fail: a full disk is the caller's to report when it asks why.
  if (!reopen_failure_logged_ && !(ec == Errc::kDiskFull && why != nullptr)) {
    logger_.Error(kComponent, "{}", message);
    reopen_failure_logged_ = true;
  }
  if (why != nullptr) *why = std::move(message);
  return ec;
}

std::error_code Table::Open(const std::filesystem::path& path, const TableSettings& settings,
                            base::Logger& logger, std::unique_ptr<Table>* table, std::string* why) {
  std::unique_ptr<Table> t(new Table(path, settings, logger));
  // Not shared yet: held so that the analysis (and a reader) sees every use of db_ under it.
  base::MutexLock lock(&t->db_mutex_);
  if (std::error_code ec = t->Connect(SQLITE_OPEN_READWRITE, why)) return ec;
  int rc = SQLITE_OK;
  int version = 0;
  if (std::error_code ec = CheckSchema(t->db_, &t->stream_id_, &version, why)) return ec;
  if (std::error_code ec = t->ApplySettings(why)) return ec;
  if (version != kSchemaVersion) {
    rc = MigrateSchema(t->db_, version);
    if (rc != SQLITE_OK) {
      *why = fmt::format("cannot bring schema version {} to {}: {}", version, kSchemaVersion,
                         t->db_.ErrorMessage());
      return t->db_.Error(rc);
    }
    logger.Info(kComponent, "{}: schema version {} brought to {}", path.filename().string(),
                version, kSchemaVersion);
  }
  rc = EnsureSizeIndex(t->db_);
  if (rc != SQLITE_OK) {
    *why = "cannot create the index records_by_size: " + t->db_.ErrorMessage();
    return t->db_.Error(rc);
  }
  if (std::error_code ec = t->Count(why)) return ec;
  *table = std::move(t);
  return {};
}

std::error_code Table::CheckPages(const std::filesystem::path& path, const std::atomic<bool>& stop,
                                  std::string* why) {
  Database db;
  int rc = db.Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW);
  if (rc == SQLITE_OK) rc = db.Exec("PRAGMA query_only = 1");
  if (rc != SQLITE_OK) {
    *why = "cannot open: " + db.ErrorMessage();
    return db.Error(rc);
  }
  // Asked every 10,000 virtual machine steps: a Close need not wait for a whole large table.
  sqlite3_progress_handler(
      db.get(), 10000,
      [](void* flag) { return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0; },
      const_cast<std::atomic<bool>*>(&stop));
  std::string check;
  rc = db.QueryText("PRAGMA quick_check", &check);
  if (rc == SQLITE_INTERRUPT) {
    *why = "stopped";
    return Errc::kClosed;
  }
  if (rc != SQLITE_OK) {
    *why = "quick_check failed: " + db.ErrorMessage();
    return db.Error(rc);
  }
  if (check != "ok") {
    // The report spans lines; keep the log line on one.
    check.resize(std::min<std::size_t>(check.size(), 200));
    for (char& c : check) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    *why = "quick_check: " + check;
    return Errc::kNotATable;
  }
  return {};
}

std::error_code Table::Create(const std::filesystem::path& path, const std::string& stream_id,
                              const TableSettings& settings, base::Logger& logger,
                              std::unique_ptr<Table>* table, std::string* why) {
  std::unique_ptr<Table> t(new Table(path, settings, logger));
  // Not shared yet: held so that the analysis (and a reader) sees every use of db_ under it.
  base::MutexLock lock(&t->db_mutex_);
  t->stream_id_ = stream_id;
  std::error_code ec = t->Connect(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, why);
  // Before WAL mode and the schema: the first write fixes the page size for good.
  if (!ec) {
    int rc = t->db_.Exec(kPageSize);
    if (rc != SQLITE_OK) {
      *why = "cannot set the page size: " + t->db_.ErrorMessage();
      ec = t->db_.Error(rc);
    }
  }
  if (!ec) ec = t->ApplySettings(why);
  if (!ec) {
    int rc = CreateSchema(t->db_, stream_id, NowUnixNs());
    if (rc != SQLITE_OK) {
      *why = "cannot create the schema: " + t->db_.ErrorMessage();
      ec = t->db_.Error(rc);
    }
  }
  if (!ec) ec = t->Count(why);
  // SQLite fsyncs the -wal file's folder entry but not the main file's: without this a power
  // loss could lose the whole new table along with rows already acknowledged.
  if (!ec) {
    ec = base::SyncDirectory(path.parent_path());
    if (ec) *why = "cannot sync the folder: " + ec.message();
  }
  if (ec) {
    t->CloseLocked();
    RemoveTableFiles(path);
    return ec;
  }
  *table = std::move(t);
  return {};
}

std::error_code Table::ApplySettings(std::string* why) {
  const TableSettings& settings = settings_;
  std::string mode;
  int rc = db_.QueryText("PRAGMA journal_mode = WAL", &mode);
  if (rc != SQLITE_OK || mode != "wal") {
    *why = "cannot switch to WAL: " + db_.ErrorMessage();
    return rc != SQLITE_OK ? db_.Error(rc) : Errc::kSqlite;
  }
  synchronous_full_ = settings.synchronous_full;
  rc = db_.Exec(settings.synchronous_full ? "PRAGMA synchronous = FULL"
                                          : "PRAGMA synchronous = NORMAL");
  if (rc == SQLITE_OK) rc = db_.Exec(kJournalSizeLimit);
  std::int64_t default_max_pages = 0;
  // Read before any cap is set: it is SQLite's compiled-in maximum, which a cap of 0 restores.
  if (rc == SQLITE_OK) rc = db_.QueryInt("PRAGMA max_page_count", &default_max_pages);
  if (rc != SQLITE_OK) {
    *why = "cannot set pragmas: " + db_.ErrorMessage();
    return db_.Error(rc);
  }
  // A reopened connection reads the cap set before as the maximum: keep the first one read.
  if (default_max_pages_ == 0) default_max_pages_ = ToU64(default_max_pages);
  return settings.max_pages == 0 ? std::error_code() : ApplyMaxPages(settings.max_pages, why);
}

std::error_code Table::ApplyMaxPages(std::uint64_t pages, std::string* why) {
  const std::uint64_t limit = pages == 0 ? default_max_pages_ : std::min(pages, default_max_pages_);
  std::int64_t applied = 0;
  int rc = db_.QueryInt(fmt::format("PRAGMA max_page_count = {}", limit).c_str(), &applied);
  if (rc != SQLITE_OK) {
    *why = "cannot set max_page_count: " + db_.ErrorMessage();
    return db_.Error(rc);
  }
  return {};
}

std::error_code Table::SetMaxPages(std::uint64_t pages) {
  base::MutexLock lock(&db_mutex_);
  settings_.max_pages = pages;
  if (!open_.load(std::memory_order_relaxed)) return {};  // applied when it opens again
  std::string why;
  std::error_code ec = ApplyMaxPages(pages, &why);
  if (ec) logger_.Error(kComponent, "{}: {}", path_.filename().string(), why);
  return ec;
}

std::error_code Table::Count(std::string* why) {
  int rc = CountDeadLetters();
  if (rc != SQLITE_OK) {
    *why = "cannot count the dead letters: " + db_.ErrorMessage();
    return db_.Error(rc);
  }
  // From records_by_size alone (see schema.h): the rows themselves are not read.
  Backlog backlog;
  std::int64_t unsized = 0;
  {
    Statement total;
    rc = total.Prepare(db_, kCountSql);
    StatementUse use(total);
    if (rc == SQLITE_OK) rc = use.Step();
    if (rc == SQLITE_ROW) {
      backlog = {ToU64(use.ColumnInt(0)), ToU64(use.ColumnInt(1)), ToU64(use.ColumnInt(2))};
      unsized = use.ColumnInt(0) - use.ColumnInt(3);
      rc = SQLITE_OK;
    }
  }
  // Rows written under schema version 1 have no raw_bytes: their entries' length is their size.
  std::int64_t unsized_bytes = 0;
  if (rc == SQLITE_OK && unsized > 0) rc = db_.QueryInt(kUnsizedBytesSql, &unsized_bytes);
  if (rc == SQLITE_OK) {
    backlog.bytes += ToU64(unsized_bytes);
    base::MutexLock counters(&counters_mutex_);
    backlog_ = backlog;
  }
  if (rc != SQLITE_OK) {
    *why = "cannot count the backlog: " + db_.ErrorMessage();
    return db_.Error(rc);
  }
  // Rows and dead letters without event times are found through the index on them.
  std::int64_t unknown = 1;
  rc = db_.QueryInt(
      "SELECT EXISTS (SELECT 1 FROM records WHERE max_event_unix_ns IS NULL) OR "
      "EXISTS (SELECT 1 FROM dead_letters WHERE max_event_unix_ns IS NULL)",
      &unknown);
  times_unknown_ = rc != SQLITE_OK || unknown != 0;
  RefreshOldestLocked();
  RefreshEventBoundLocked();
  return {};
}

std::error_code Table::Fail(const char* what, int rc, std::string* why) {
  std::error_code ec = db_.Error(rc);
  std::string message =
      fmt::format("{}: {} failed: {}", path_.filename().string(), what, db_.ErrorMessage());
  if ((rc & 0xff) == SQLITE_IOERR) {
    message += fmt::format(" (errno {})", sqlite3_system_errno(db_.get()));
  }
  const bool quiet = ec == Errc::kDiskFull && (why != nullptr || disk_full_logged_);
  if (ec == Errc::kDiskFull && why == nullptr) disk_full_logged_ = true;
  if (!quiet) logger_.Error(kComponent, "{}", message);
  if (why != nullptr) *why = std::move(message);
  return ec;
}

std::error_code Table::Insert(std::span<const EncodedRow* const> rows,
                              std::int64_t received_unix_ns, std::string* why) {
  base::MutexLock lock(&db_mutex_);
  if (std::error_code ec = UseLocked(why)) return ec;
  // Declared before the statement uses below, so that each StatementUse resets its statement
  // before the transaction rolls back, and Fail reads the error before the rollback clears it.
  Transaction transaction(db_);
  int rc = transaction.Begin();
  if (rc != SQLITE_OK) return Fail("BEGIN", rc, why);
  Backlog added;
  std::uint64_t largest = 0;
  for (const EncodedRow* row : rows) {
    StatementUse use(insert_);
    use.BindInt(1, received_unix_ns);
    use.BindInt(2, row->count);
    rc = use.BindBlob(3, row->stored);
    if (rc != SQLITE_OK) return Fail("binding entries", rc, why);
    use.BindInt(4, static_cast<std::int64_t>(row->encoding));
    use.BindInt(5, static_cast<std::int64_t>(row->raw_bytes));
    // Left NULL when unknown: a retention sweep reads them from the entries.
    if (row->event_times) {
      use.BindInt(6, row->event_times->min_unix_ns);
      use.BindInt(7, row->event_times->max_unix_ns);
    }
    rc = use.Step();
    if (rc != SQLITE_DONE) return Fail("INSERT", rc, why);
    added.rows += 1;
    added.records += row->count;
    added.bytes += row->raw_bytes;
    largest = std::max(largest, row->raw_bytes);
  }
  rc = transaction.Commit();
  if (rc != SQLITE_OK) return Fail("COMMIT", rc, why);
  row_bytes_bound_ = std::max(row_bytes_bound_, largest);
  for (const EncodedRow* row : rows) {
    if (row->event_times) {
      event_bound_ = std::min(event_bound_, row->event_times->max_unix_ns);
    } else {
      times_unknown_ = true;
    }
  }
  base::MutexLock counters(&counters_mutex_);
  if (backlog_.rows == 0) oldest_received_unix_ns_ = received_unix_ns;
  backlog_.rows += added.rows;
  backlog_.records += added.records;
  backlog_.bytes += added.bytes;
  committed_records_ += added.records;
  return {};
}

std::error_code Table::ReadOldest(std::int64_t after_row_id, const ReadLimits& limits,
                                  std::vector<StoredRow>* rows) {
  rows->clear();
  base::MutexLock lock(&db_mutex_);
  if (std::error_code ec = UseLocked()) return ec;
  StatementUse use(read_);
  use.BindInt(1, after_row_id);
  use.BindInt(2, limits.last_row_id);
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  for (;;) {
    int rc = use.Step();
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) {
      rows->clear();
      return Fail("SELECT", rc);
    }
    std::uint32_t count = ToCount(use.ColumnInt(2));
    const std::uint64_t raw_bytes = ToU64(use.ColumnInt(5));
    // The first row is always returned, however large, so that it cannot block its stream.
    if (!rows->empty() &&
        (rows->size() + 1 > limits.max_rows || records + count > limits.max_records ||
         bytes + raw_bytes > limits.max_bytes)) {
      return {};
    }
    StoredRow& row = rows->emplace_back(StoredRow{use.ColumnInt(0), use.ColumnInt(1), count, {}});
    read_horizon_ = std::max(read_horizon_, row.row_id);
    std::string error;
    if (!RestoreRow(use.ColumnInt(4), use.ColumnBlob(3), raw_bytes, &row.entries, &error)) {
      // Passed on empty and marked, so that the reader drops it instead of stalling on it.
      row.damaged = true;
      logger_.Error(kComponent, "{}: row {} ({} records) is damaged and cannot be read: {}",
                    path_.filename().string(), row.row_id, count, error);
    }
    records += count;
    bytes += raw_bytes;
  }
}

std::error_code Table::Remove(std::int64_t first_row_id, std::int64_t last_row_id) {
  if (first_row_id > last_row_id) return {};
  base::MutexLock lock(&db_mutex_);
  if (std::error_code ec = UseLocked()) return ec;
  RelaxedSync relaxed(db_, synchronous_full_);
  Transaction transaction(db_);
  int rc = transaction.Begin();
  if (rc != SQLITE_OK) return Fail("BEGIN", rc);
  Backlog removed;
  if (std::error_code ec = TakeOutLocked(first_row_id, last_row_id, &removed)) return ec;
  rc = transaction.Commit();
  if (rc != SQLITE_OK) return Fail("COMMIT", rc);
  if (removed.rows > 0) Deleted(removed, Gone::kRemoved);
  return {};
}

std::error_code Table::TakeOutLocked(std::int64_t first_row_id, std::int64_t last_row_id,
                                     Backlog* removed) {
  {
    StatementUse use(sums_);
    use.BindInt(1, first_row_id);
    use.BindInt(2, last_row_id);
    int rc = use.Step();
    if (rc != SQLITE_ROW) return Fail("SELECT sums", rc);
    *removed = {ToU64(use.ColumnInt(0)), ToU64(use.ColumnInt(1)), ToU64(use.ColumnInt(2))};
  }
  if (removed->rows > 0) {
    StatementUse use(delete_);
    use.BindInt(1, first_row_id);
    use.BindInt(2, last_row_id);
    int rc = use.Step();
    if (rc != SQLITE_DONE) return Fail("DELETE", rc);
  }
  // Also when the rows are gone already (the quota dropped them): their batch is done with.
  int rc = DeleteJournaled(first_row_id, last_row_id);
  if (rc != SQLITE_DONE) return Fail("DELETE uploads", rc);
  return {};
}

void Table::LettersGone(const Backlog& gone, Gone why) {
  base::MutexLock counters(&counters_mutex_);
  dead_letters_.rows = SaturatingSub(dead_letters_.rows, gone.rows);
  dead_letters_.records = SaturatingSub(dead_letters_.records, gone.records);
  dead_letters_.bytes = SaturatingSub(dead_letters_.bytes, gone.bytes);
  if (why == Gone::kQuota) {
    quota_dropped_.rows += gone.rows;
    quota_dropped_.records += gone.records;
    quota_dropped_.bytes += gone.bytes;
  }
}

void Table::RefreshOldestLocked() {
  std::int64_t oldest = 0;
  {
    // The first row by id: one step down the table's b-tree, however many rows it holds. A
    // failure leaves 0 ("none"); the figure is for metrics only and read again after each delete.
    StatementUse use(oldest_);
    if (use.Step() == SQLITE_ROW) oldest = use.ColumnInt(1);
  }
  base::MutexLock counters(&counters_mutex_);
  oldest_received_unix_ns_ = oldest;
}

void Table::Deleted(const Backlog& removed, Gone why) {
  if (disk_full_logged_) {
    logger_.Info(kComponent, "{}: deletes succeed again", path_.filename().string());
    disk_full_logged_ = false;
  }
  RefreshOldestLocked();
  base::MutexLock counters(&counters_mutex_);
  backlog_.rows = SaturatingSub(backlog_.rows, removed.rows);
  backlog_.records = SaturatingSub(backlog_.records, removed.records);
  backlog_.bytes = SaturatingSub(backlog_.bytes, removed.bytes);
  switch (why) {
    case Gone::kQuota:
      quota_dropped_.rows += removed.rows;
      quota_dropped_.records += removed.records;
      quota_dropped_.bytes += removed.bytes;
      break;
    case Gone::kRemoved:
      removed_records_ += removed.records;
      break;
    case Gone::kExpired:  // counted by the Store, which also counts batches expired on arrival
      break;
  }
}

std::error_code Table::FirstReceived(std::optional<std::int64_t>* received_unix_ns) {
  received_unix_ns->reset();
  base::MutexLock lock(&db_mutex_);
  if (std::error_code ec = UseLocked()) return ec;
  for (Statement* statement : {&oldest_, &letter_oldest_}) {
    StatementUse use(*statement);
    int rc = use.Step();
    if (rc == SQLITE_DONE) continue;
    if (rc != SQLITE_ROW) return Fail("SELECT oldest", rc);
    if (!*received_unix_ns || use.ColumnInt(1) < **received_unix_ns) {
      *received_unix_ns = use.ColumnInt(1);
    }
  }
  return {};
}

std::error_code Table::EvictOldest(std::uint64_t bytes, std::int64_t until_unix_ns,
                                   Eviction* evicted) {
  *evicted = Eviction{.stream_id = stream_id_};
  base::MutexLock lock(&db_mutex_);
  if (std::error_code ec = UseLocked()) return ec;
  // The rows counted are the rows deleted: both happen in this one write transaction, which the
  // uploader's Remove (same connection, same mutex) cannot interleave with.
  Transaction transaction(db_);
  int rc = transaction.Begin();
  if (rc != SQLITE_OK) return Fail("BEGIN", rc);
  // Rows (in id order, so a prefix of the table) and dead letters (oldest first) are merged by
  // the time they were received: the oldest records go first, whichever they are.
  struct Candidate {
    std::int64_t id = 0;
    std::int64_t received = 0;
    Backlog size;
  };
  Backlog rows_removed;
  Backlog letters_removed;
  std::int64_t first_id = 0;
  std::int64_t last_id = 0;
  std::vector<std::int64_t> letter_ids;
  std::int64_t oldest = 0;
  {
    StatementUse rows(oldest_);
    StatementUse letters(letter_oldest_);
    auto next = [](StatementUse& use, std::optional<Candidate>* candidate) -> int {
      candidate->reset();
      int step = use.Step();
      if (step == SQLITE_ROW) {
        *candidate = Candidate{use.ColumnInt(0), use.ColumnInt(1),
                               Backlog{1, ToU64(use.ColumnInt(2)), ToU64(use.ColumnInt(3))}};
        return SQLITE_OK;
      }
      return step == SQLITE_DONE ? SQLITE_OK : step;
    };
    std::optional<Candidate> row;
    std::optional<Candidate> letter;
    if ((rc = next(rows, &row)) != SQLITE_OK || (rc = next(letters, &letter)) != SQLITE_OK) {
      return Fail("SELECT oldest", rc);
    }
    auto removed = [&] { return rows_removed.bytes + letters_removed.bytes; };
    auto any = [&] { return rows_removed.rows + letters_removed.rows > 0; };
    while (!any() || removed() < bytes) {
      const bool take_letter = letter && (!row || letter->received <= row->received);
      std::optional<Candidate>& chosen = take_letter ? letter : row;
      if (!chosen) break;
      if (any() && chosen->received > until_unix_ns) break;
      if (!any() || chosen->received < oldest) oldest = chosen->received;
      Backlog& total = take_letter ? letters_removed : rows_removed;
      total.rows += 1;
      total.records += chosen->size.records;
      total.bytes += chosen->size.bytes;
      if (take_letter) {
        letter_ids.push_back(chosen->id);
        rc = next(letters, &letter);
      } else {
        if (rows_removed.rows == 1) first_id = chosen->id;
        last_id = chosen->id;
        rc = next(rows, &row);
      }
      if (rc != SQLITE_OK) return Fail("SELECT oldest", rc);
    }
  }
  if (rows_removed.rows + letters_removed.rows == 0) return {};
  if (rows_removed.rows > 0) {
    StatementUse use(delete_);
    use.BindInt(1, first_id);
    use.BindInt(2, last_id);
    rc = use.Step();
    if (rc != SQLITE_DONE) return Fail("DELETE", rc);
  }
  for (std::int64_t id : letter_ids) {
    StatementUse use(letter_delete_);
    use.BindInt(1, id);
    rc = use.Step();
    if (rc != SQLITE_DONE) return Fail("DELETE dead letter", rc);
  }
  rc = transaction.Commit();
  if (rc != SQLITE_OK) return Fail("COMMIT", rc);
  Deleted(rows_removed, Gone::kQuota);
  LettersGone(letters_removed, Gone::kQuota);
  *evicted = Eviction{stream_id_, rows_removed.rows + letters_removed.rows,
                      rows_removed.records + letters_removed.records,
                      rows_removed.bytes + letters_removed.bytes, oldest};
  return {};
}

bool Table::MayHoldRowLargerThan(std::uint64_t bytes) {
  base::MutexLock lock(&db_mutex_);
  return row_bytes_bound_ > bytes;
}

std::error_code Table::EvictLargerThan(std::uint64_t bytes, Eviction* evicted) {
  *evicted = Eviction{.stream_id = stream_id_};
  // SQLite integers are signed; no entries blob can be that large anyway.
  const std::int64_t threshold = static_cast<std::int64_t>(
      std::min<std::uint64_t>(bytes, std::numeric_limits<std::int64_t>::max()));
  base::MutexLock lock(&db_mutex_);
  if (std::error_code ec = UseLocked()) return ec;
  Transaction transaction(db_);
  int rc = transaction.Begin();
  if (rc != SQLITE_OK) return Fail("BEGIN", rc);
  // Rows, then dead letters.
  Backlog removed[2];
  std::int64_t oldest = 0;
  Statement* sums[2] = {&large_sums_, &large_letter_sums_};
  Statement* deletes[2] = {&large_delete_, &large_letter_delete_};
  for (int i = 0; i < 2; ++i) {
    {
      StatementUse use(*sums[i]);
      use.BindInt(1, threshold);
      rc = use.Step();
      if (rc != SQLITE_ROW) return Fail("SELECT large rows", rc);
      removed[i] = {ToU64(use.ColumnInt(0)), ToU64(use.ColumnInt(1)), ToU64(use.ColumnInt(2))};
      if (removed[i].rows > 0 && (oldest == 0 || use.ColumnInt(3) < oldest)) {
        oldest = use.ColumnInt(3);
      }
    }
    if (removed[i].rows == 0) continue;
    StatementUse use(*deletes[i]);
    use.BindInt(1, threshold);
    rc = use.Step();
    if (rc != SQLITE_DONE) return Fail("DELETE large rows", rc);
  }
  if (removed[0].rows + removed[1].rows > 0) {
    rc = transaction.Commit();
    if (rc != SQLITE_OK) return Fail("COMMIT", rc);
    Deleted(removed[0], Gone::kQuota);
    LettersGone(removed[1], Gone::kQuota);
    *evicted = Eviction{stream_id_, removed[0].rows + removed[1].rows,
                        removed[0].records + removed[1].records,
                        removed[0].bytes + removed[1].bytes, oldest};
  }
  row_bytes_bound_ = std::min(row_bytes_bound_, bytes);
  return {};
}

Backlog Table::backlog() const {
  base::MutexLock lock(&counters_mutex_);
  return backlog_;
}

Backlog Table::dead_letters() const {
  base::MutexLock lock(&counters_mutex_);
  return dead_letters_;
}

std::uint64_t Table::committed_records() const {
  base::MutexLock lock(&counters_mutex_);
  return committed_records_;
}

std::uint64_t Table::removed_records() const {
  base::MutexLock lock(&counters_mutex_);
  return removed_records_;
}

Backlog Table::quota_dropped() const {
  base::MutexLock lock(&counters_mutex_);
  return quota_dropped_;
}

std::int64_t Table::oldest_received_unix_ns() const {
  base::MutexLock lock(&counters_mutex_);
  return oldest_received_unix_ns_;
}

}  // namespace localstore
