#ifndef AMAHOST_LOCALSTORE_TABLE_H_
#define AMAHOST_LOCALSTORE_TABLE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "base/logger.h"
#include "base/thread_annotations.h"
#include "database.h"
#include "localstore/batch_source.h"
#include "localstore/record_batch.h"
#include "row_encoding.h"

namespace localstore {

struct TableSettings {
  bool synchronous_full = true;
  // PRAGMA max_page_count of the connection; 0 = SQLite's own maximum.
  std::uint64_t max_pages = 0;
  // TableSet: at most this many tables open (0 = no limit); see StoreOptions::max_tables.
  std::size_t max_tables = 0;
  // TableSet: tables are closed while idle (StoreOptions::table_idle_timeout), so those found
  // at OpenAll are closed once checked, until their first use.
  bool close_idle = false;
};

// What one quota eviction deleted from a table.
struct Eviction {
  std::string stream_id;
  std::uint64_t rows = 0;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;          // of entries
  std::int64_t oldest_unix_ns = 0;  // the earliest received_unix_ns deleted; 0 when rows == 0
};

// What one retention sweep deleted from a table (Table::Expire).
struct Expiry {
  std::string stream_id;
  Backlog rows{};     // the stream's rows: rows, records and bytes of entries
  Backlog letters{};  // its dead letters: letters, records and bytes of entries
  // The earliest and latest event time among the records deleted; 0 when nothing was.
  std::int64_t oldest_unix_ns = 0;
  std::int64_t newest_unix_ns = 0;

  bool empty() const { return rows.rows == 0 && letters.rows == 0; }
};

// One stream's `.tsf` table: its connection, its statements and its in-memory backlog.
//
// The connection is opened by Open or Create and may be closed while the table is idle
// (CloseIfIdle): the table then holds no descriptor and no SQLite memory, only its counters,
// and its next use opens the connection again (checking that the file still holds this stream's
// table). Statements are prepared on first use on each connection: most tables only ever run a
// few of them.
//
// Thread-safe: a mutex serialises the connection between the commit thread (Insert and the
// quota evictions), the uploader (ReadOldest, Remove) and the store's idle closing; the counters
// have their own mutex so that GetBacklog never waits behind an fsync.
class Table {
 public:
  using Clock = std::chrono::steady_clock;

  // Opens the existing table at `path` read-write: the schema and meta, then WAL, `synchronous`
  // and the page cap, brings an older schema version to the current one (schema.h), and counts
  // the backlog from an index, reading a few pages however large the table: its pages are
  // checked later, apart (CheckPages). On failure returns kNotATable (not SQLite, wrong schema,
  // or corrupt where it read), kUnsupportedVersion or a SQLite error, and *why says why.
  static std::error_code Open(const std::filesystem::path& path, const TableSettings& settings,
                              base::Logger& logger, std::unique_ptr<Table>* table,
                              std::string* why);
  // Creates the table of `stream_id` at `path`, which must not exist, and makes the new file
  // durable (fsync of the folder). On failure removes what it created; a full disk (or a page
  // cap too small for the schema) gives kDiskFull.
  static std::error_code Create(const std::filesystem::path& path, const std::string& stream_id,
                                const TableSettings& settings, base::Logger& logger,
                                std::unique_ptr<Table>* table, std::string* why);

  // PRAGMA quick_check of the table at `path` on a connection of its own, which reads every page
  // (in WAL mode the table's own connection goes on committing and reading meanwhile): {} when
  // sound, kNotATable when not (*why: the start of the report), kClosed when `stop` turned true
  // first, or the error that kept it from checking.
  static std::error_code CheckPages(const std::filesystem::path& path,
                                    const std::atomic<bool>& stop, std::string* why);

  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const std::string& stream_id() const { return stream_id_; }
  const std::filesystem::path& path() const { return path_; }

  // Inserts the rows, in order, in one transaction; durable once it returns no error.
  // On failure the transaction is rolled back, so that a retry inserts the rows exactly once,
  // and *why says what failed. A full disk (kDiskFull: no space, or the page cap reached) is
  // not logged here: the caller reports it once per episode. Other errors are logged.
  std::error_code Insert(std::span<const EncodedRow* const> rows, std::int64_t received_unix_ns,
                         std::string* why);
  // Applies a new PRAGMA max_page_count (0 = SQLite's maximum), now if the connection is open,
  // else when it opens again. A cap below the table's current size keeps the table at its
  // current size.
  std::error_code SetMaxPages(std::uint64_t pages);

  // Closes the connection if it is open and no call has used it since `used_before` (waits for
  // a call in progress). Returns whether it closed it. Closing checkpoints the -wal file into
  // the table and removes it.
  bool CloseIfIdle(Clock::time_point used_before);
  // Whether the connection is open now (it may close or open again at any moment).
  bool is_open() const { return open_.load(std::memory_order_relaxed); }
  // BatchSource::ReadOldest for this table; replaces *rows. Limits count the entries' bytes
  // before compression. A row whose compressed entries fail their checks is returned damaged
  // (StoredRow::damaged, no entries) and logged. Expire keeps every row returned.
  std::error_code ReadOldest(std::int64_t after_row_id, const ReadLimits& limits,
                             std::vector<StoredRow>* rows);
  // Deletes rows first..last (inclusive) and the journaled uploads within them, in one
  // transaction, keeping the backlog exact. Synchronous NORMAL (see RecordUpload).
  std::error_code Remove(std::int64_t first_row_id, std::int64_t last_row_id);

  // The upload journal and the dead letters (BatchSource; table_uploads.cc). The uploader's
  // writes commit with synchronous NORMAL whatever the table's setting: they survive a process
  // crash, and what a power loss may undo (a removal, a journal entry) only makes a batch go
  // again, which at-least-once allows; an fsync each would cost the uploader more than the
  // whole rest of a batch.
  std::error_code RecordUpload(const JournaledUpload& upload);
  std::error_code JournaledUploads(std::vector<JournaledUpload>* uploads);
  std::error_code AddDeadLetter(std::int64_t first_row_id, std::int64_t last_row_id,
                                const DeadLetter& letter);
  // Every dead letter, oldest first, without entries; replaces *letters.
  std::error_code DeadLetters(std::vector<DeadLetter>* letters);
  // One dead letter with its entries; kNoSuchDeadLetter when there is none with that id.
  std::error_code ReadDeadLetter(std::int64_t id, DeadLetter* letter);
  // Puts a dead letter's records back as a new row at the end of the stream (received when
  // they first were) and deletes the letter, in one transaction; sets *letter to what it held
  // (without entries).
  std::error_code ResendDeadLetter(std::int64_t id, DeadLetter* letter);
  // Deletes a dead letter; sets *letter to what it held (without entries).
  std::error_code DropDeadLetter(std::int64_t id, DeadLetter* letter);

  // Quota evictions. Each deletes whole rows in one durable transaction, keeps the backlog
  // exact, counts what it deleted as quota drops and describes it in *evicted (no rows when there
  // was nothing to delete). Errors are logged (a full disk once per episode, as for Remove).
  //
  // The received_unix_ns of the first row (lowest id); none when the table is empty.
  std::error_code FirstReceived(std::optional<std::int64_t>* received_unix_ns);
  // Deletes rows in id order: the first, then the next ones while those deleted hold fewer than
  // `bytes` bytes of entries and the next row was received at or before `until_unix_ns`.
  std::error_code EvictOldest(std::uint64_t bytes, std::int64_t until_unix_ns, Eviction* evicted);
  // Whether some row may hold more than `bytes` bytes of entries (an upper bound kept in memory:
  // true when unsure, e.g. before the first EvictLargerThan since Open).
  bool MayHoldRowLargerThan(std::uint64_t bytes);
  // Deletes every row whose entries are larger than `bytes`.
  std::error_code EvictLargerThan(std::uint64_t bytes, Eviction* evicted);

  // Retention (table_retention.cc). FillEventTimes reads the event-time range of every row and
  // dead letter that has none yet (NULL: written before schema version 4, or appended without
  // one) from its entries and writes it, a few rows per transaction so that a commit or an
  // upload waits for one of them at most; a row whose entries cannot be read gets its received
  // time for both. Sets *filled to how many it wrote.
  std::error_code FillEventTimes(std::uint64_t* filled);
  // Deletes, in one transaction, every row whose newest record's event time is before
  // `before_unix_ns` — except the rows of a batch in the upload journal and the rows ReadOldest
  // has returned since Open (a reader may be about to journal them): they are on their way out
  // — and every dead letter whose newest record is before it. Keeps the backlog and the
  // dead-letter figures exact and describes what went in *expired. Rows without event times
  // (see FillEventTimes) are never deleted. Synchronous NORMAL, as Remove.
  std::error_code Expire(std::int64_t before_unix_ns, Expiry* expired);

  Backlog backlog() const;
  // What the dead letters hold: rows = letters.
  Backlog dead_letters() const;
  // Records committed and removed since this Table was opened.
  std::uint64_t committed_records() const;
  std::uint64_t removed_records() const;
  // Dropped by the quota since this Table was opened.
  Backlog quota_dropped() const;
  // When the first row (the next to upload) was received; 0 when the table holds no rows. Kept
  // in memory (read again after each delete), so that metrics never query the table.
  std::int64_t oldest_received_unix_ns() const;

 private:
  Table(std::filesystem::path path, const TableSettings& settings, base::Logger& logger);
  // Opens the connection to path_ with sqlite3_open_v2 `flags`; *why says why not.
  std::error_code Connect(int flags, std::string* why) EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // WAL, `synchronous`, the WAL size limit and the page cap (settings_) for this connection.
  std::error_code ApplySettings(std::string* why) EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  std::error_code ApplyMaxPages(std::uint64_t pages, std::string* why)
      EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // Counts the backlog and the dead letters.
  std::error_code Count(std::string* why) EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // Every method that uses the connection calls this first, holding db_mutex_: marks the table
  // used and opens the connection again if it was closed. A failure is logged once until a
  // reopen succeeds (a full disk not when `why` is given: as Fail) and *why set to what failed.
  std::error_code UseLocked(std::string* why = nullptr) EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // Opens the connection of a table opened before: the file must still hold the table of
  // stream_id_ at the current schema version.
  std::error_code ReopenLocked(std::string* why) EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // Finalizes every statement and closes the connection.
  void CloseLocked() EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // Maps a failed SQLite call on this table to an error code and logs it; sets *why if given.
  // A full disk is logged once until a delete succeeds again, and not at all when `why` is
  // given (the caller reports it).
  std::error_code Fail(const char* what, int rc, std::string* why = nullptr)
      EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // Why rows or dead letters left the table: which counter they go to.
  enum class Gone { kRemoved, kQuota, kExpired };
  // After a committed delete: ends a full-disk episode of deletes and updates the counters.
  // The caller holds db_mutex_.
  void Deleted(const Backlog& removed, Gone why) EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // After dead letters were deleted by the quota or by retention: updates the counters.
  void LettersGone(const Backlog& gone, Gone why);
  // Defines the statements of table_retention.cc; from the constructor.
  void DefineRetention() EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // After Count or an Expire: reads the lowest newest event time of the rows and dead letters
  // into event_bound_, one step down an index each.
  void RefreshEventBoundLocked() EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // One FillEventTimes transaction: up to kFillBatch rows of `select` get their times through
  // `update`; *filled says how many (0: none was left).
  std::error_code FillBatchLocked(Statement& select, Statement& update, std::uint64_t* filled)
      EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // Reads the first row's received time into oldest_received_unix_ns_. The caller holds
  // db_mutex_.
  void RefreshOldestLocked() EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // Deletes rows first..last and the journaled uploads within them, as part of the caller's
  // transaction, and sets *removed to what the rows held. The caller holds db_mutex_.
  std::error_code TakeOutLocked(std::int64_t first_row_id, std::int64_t last_row_id,
                                Backlog* removed) EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // Deletes the journaled uploads within first..last; part of the caller's transaction. The
  // caller holds db_mutex_.
  int DeleteJournaled(std::int64_t first_row_id, std::int64_t last_row_id)
      EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // Defines the statements of table_uploads.cc; from the constructor.
  void DefineUploads() EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // Counts the dead letters; from Count.
  int CountDeadLetters() EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // Finalizes every statement, before the connection closes.
  void FinalizeStatements() EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);
  // Reads the dead letter `id` (entries when `with_entries`); the caller holds db_mutex_.
  std::error_code ReadLetterLocked(std::int64_t id, bool with_entries, DeadLetter* letter)
      EXCLUSIVE_LOCKS_REQUIRED(db_mutex_);

  const std::filesystem::path path_;
  std::string stream_id_;  // set once, before the Table is shared
  base::Logger& logger_;

  base::Mutex db_mutex_;
  TableSettings settings_ GUARDED_BY(db_mutex_);  // max_pages follows SetMaxPages
  // Statements are declared after db_ so that they are finalized before it closes.
  Database db_ GUARDED_BY(db_mutex_);
  std::atomic<bool> open_{false};  // db_ holds a connection; written under db_mutex_
  Clock::time_point last_used_ GUARDED_BY(db_mutex_);
  bool reopen_failure_logged_ GUARDED_BY(db_mutex_) = false;
  // Some row or dead letter may have no event times yet (see FillEventTimes): true until a fill
  // finds none, and again after each write of one without.
  bool times_unknown_ GUARDED_BY(db_mutex_) = true;
  // No row or dead letter with event times has a newest event time below this: an Expire
  // before it would delete nothing, so a sweep need not open the table. The minimum = unknown.
  std::int64_t event_bound_ GUARDED_BY(db_mutex_) = std::numeric_limits<std::int64_t>::min();
  Statement insert_ GUARDED_BY(db_mutex_);
  Statement read_ GUARDED_BY(db_mutex_);
  Statement sums_ GUARDED_BY(db_mutex_);
  Statement delete_ GUARDED_BY(db_mutex_);
  Statement oldest_ GUARDED_BY(db_mutex_);
  Statement large_sums_ GUARDED_BY(db_mutex_);
  Statement large_delete_ GUARDED_BY(db_mutex_);
  Statement large_letter_sums_ GUARDED_BY(db_mutex_);
  Statement large_letter_delete_ GUARDED_BY(db_mutex_);
  Statement journal_insert_ GUARDED_BY(db_mutex_);
  Statement journal_select_ GUARDED_BY(db_mutex_);
  Statement journal_delete_ GUARDED_BY(db_mutex_);
  Statement letter_insert_ GUARDED_BY(db_mutex_);
  Statement letter_list_ GUARDED_BY(db_mutex_);
  Statement letter_read_ GUARDED_BY(db_mutex_);
  Statement letter_delete_ GUARDED_BY(db_mutex_);
  Statement letter_oldest_ GUARDED_BY(db_mutex_);
  Statement letter_to_row_ GUARDED_BY(db_mutex_);
  Statement fill_rows_select_ GUARDED_BY(db_mutex_);
  Statement fill_rows_update_ GUARDED_BY(db_mutex_);
  Statement fill_letters_select_ GUARDED_BY(db_mutex_);
  Statement fill_letters_update_ GUARDED_BY(db_mutex_);
  Statement expire_sums_ GUARDED_BY(db_mutex_);
  Statement expire_delete_ GUARDED_BY(db_mutex_);
  Statement expire_letter_sums_ GUARDED_BY(db_mutex_);
  Statement expire_letter_delete_ GUARDED_BY(db_mutex_);
  Statement event_bound_rows_ GUARDED_BY(db_mutex_);
  Statement event_bound_letters_ GUARDED_BY(db_mutex_);
  bool synchronous_full_ GUARDED_BY(db_mutex_) =
      true;  // the table's setting, restored after NORMAL writes
  bool disk_full_logged_ GUARDED_BY(db_mutex_) =
      false;  // of deletes: once per episode, not once per call
  std::uint64_t default_max_pages_ GUARDED_BY(db_mutex_) =
      0;  // SQLite's own max_page_count, restored by a cap of 0
  // No row holds more bytes of entries than this (the maximum = unknown).
  std::uint64_t row_bytes_bound_ GUARDED_BY(db_mutex_) = std::numeric_limits<std::uint64_t>::max();
  // The highest row id ReadOldest returned since Open: retention keeps the rows up to it.
  std::int64_t read_horizon_ GUARDED_BY(db_mutex_) = 0;

  mutable base::Mutex counters_mutex_ ACQUIRED_AFTER(db_mutex_);
  Backlog backlog_ GUARDED_BY(counters_mutex_);
  std::uint64_t committed_records_ GUARDED_BY(counters_mutex_) = 0;
  std::uint64_t removed_records_ GUARDED_BY(counters_mutex_) = 0;
  Backlog quota_dropped_ GUARDED_BY(counters_mutex_);
  Backlog dead_letters_ GUARDED_BY(counters_mutex_);
  std::int64_t oldest_received_unix_ns_ GUARDED_BY(counters_mutex_) = 0;
};

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_TABLE_H_
