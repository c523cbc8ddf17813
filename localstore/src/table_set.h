#ifndef AMAHOST_LOCALSTORE_TABLE_SET_H_
#define AMAHOST_LOCALSTORE_TABLE_SET_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "base/logger.h"
#include "base/thread_annotations.h"
#include "localstore/batch_source.h"
#include "localstore/record_batch.h"
#include "localstore/store.h"
#include "table.h"

namespace localstore {

// The open tables of a Store, by file name: opens those found on disk, creates a stream's table
// on its first data, quarantines files that are not sound tables (see Store), and applies the
// page cap to every table.
//
// Thread-safety: Insert and EvictToQuota are called from one thread at a time (the Store's commit
// thread); every other method from any thread. Tables are used under a shared lock, never
// across two; only Insert adds them and only CloseIfEmpty and CloseAll remove them, each under
// the exclusive lock, briefly.
class TableSet {
 public:
  TableSet(std::filesystem::path tables_dir, TableSettings settings, base::Logger& logger);

  TableSet(const TableSet&) = delete;
  TableSet& operator=(const TableSet&) = delete;

  // Creates tables_dir if missing and opens every *.tsf in it. Fails only when the folder cannot
  // be created or listed; unusable files are quarantined or left alone, and logged.
  std::error_code OpenAll();

  // Inserts the rows into the table of `stream_id`, opening or creating it first, in one
  // transaction. Errors: kTableConflict (the file name belongs to another stream id, logged
  // once per stream), kDiskFull (not logged: *why says what failed), kSqlite and others (logged).
  std::error_code Insert(const std::string& stream_id, std::span<const EncodedRow* const> rows,
                         std::int64_t received_unix_ns, std::string* why);

  // Applies PRAGMA max_page_count = `pages` (0 = no cap) to every open table and to those opened
  // later. Returns the first error (each failure is logged); the others are still applied.
  std::error_code SetMaxPages(std::uint64_t pages);

  // Closes every table; later reads and Removes fail with kClosed.
  void CloseAll();

  // Closes the connection of every table that no call has used since `used_before`
  // (Table::CloseIfIdle): its next use opens it again. Returns how many it closed. Any thread.
  std::size_t CloseIdle(Table::Clock::time_point used_before);
  // Checks the pages of every table in the set (Table::CheckPages), one after the other, while
  // the tables are in use. A table found unsound is closed, taken out
  // and quarantined (what it held is no longer counted, uploaded or evicted; its stream gets a
  // new table on its next data), unless its file was replaced meanwhile. Returns early with
  // kClosed when `stop` turns true; sets *checked to the tables found sound.
  std::error_code CheckPages(const std::atomic<bool>& stop, std::size_t* checked);
  // How many tables there are, and how many of them have their connection open.
  struct Counts {
    std::size_t tables = 0;
    std::size_t open = 0;
  };
  Counts Count();

  // Closes the table of `stream_id` and removes its file if it holds no row and no dead letter
  // (*closed says whether it did); a later Insert creates it again. Any thread.
  std::error_code CloseIfEmpty(const std::string& stream_id, bool* closed);

  // Deletes rows until the tables hold at most quota_bytes (> 0) bytes of entries: first every row
  // that alone is larger than the quota (it can never fit, and while it stays no deletion of older
  // rows could bring the total under the quota), then the oldest rows across tables, the first row
  // of the table whose first row was received earliest first (ties: by file name). Appends what
  // each step deleted to *evictions, in order. Stops at the first error and returns it (kClosed
  // after CloseAll). Called from one thread at a time, like Insert: rows only disappear meanwhile.
  std::error_code EvictToQuota(std::uint64_t quota_bytes, std::vector<Eviction>* evictions);

  // A retention sweep over every open table, in file-name order: Table::FillEventTimes, then
  // Table::Expire(before_unix_ns). Appends what each table deleted to *expired (tables that
  // deleted nothing left out). A table that fails is logged and skipped; returns the first
  // error (kClosed after CloseAll).
  std::error_code Expire(std::int64_t before_unix_ns, std::vector<Expiry>* expired);

  std::vector<std::string> StreamsWithData();
  std::error_code ReadOldest(const std::string& stream_id, std::int64_t after_row_id,
                             const ReadLimits& limits, std::vector<StoredRow>* rows);
  std::error_code Remove(const std::string& stream_id, std::int64_t first_row_id,
                         std::int64_t last_row_id);
  Backlog GetBacklog(const std::string& stream_id);
  std::vector<StreamStats> Stats();

  // The upload journal and the dead letters of a stream's table (see Table); kNoSuchStream when
  // no open table holds the stream, kClosed after CloseAll.
  std::error_code RecordUpload(const std::string& stream_id, const JournaledUpload& upload);
  std::error_code JournaledUploads(const std::string& stream_id,
                                   std::vector<JournaledUpload>* uploads);
  std::error_code AddDeadLetter(const std::string& stream_id, std::int64_t first_row_id,
                                std::int64_t last_row_id, const DeadLetter& letter);
  std::error_code DeadLetters(const std::string& stream_id, std::vector<DeadLetter>* letters);
  std::error_code ReadDeadLetter(const std::string& stream_id, std::int64_t id, DeadLetter* letter);
  std::error_code ResendDeadLetter(const std::string& stream_id, std::int64_t id,
                                   DeadLetter* letter);
  std::error_code DropDeadLetter(const std::string& stream_id, std::int64_t id, DeadLetter* letter);

 private:
  // Inserts into `table` if it is the table of `stream_id`; the caller holds tables_mutex_.
  std::error_code InsertLocked(Table& table, const std::string& stream_id,
                               std::span<const EncodedRow* const> rows,
                               std::int64_t received_unix_ns, std::string* why)
      SHARED_LOCKS_REQUIRED(tables_mutex_);
  // Opens the file for `stream_id` that exists on disk but is not open yet, or creates it. The
  // caller holds settings_mutex_.
  std::error_code AddTable(const std::string& file_name, const std::string& stream_id,
                           Table** table, std::string* why)
      EXCLUSIVE_LOCKS_REQUIRED(settings_mutex_);
  // Opens the file `name` in tables_dir; quarantines it if it is not a sound table.
  std::unique_ptr<Table> OpenExisting(const std::string& name, const TableSettings& settings);
  void Quarantine(const std::string& name, const std::string& why);
  // The bytes of entries in every table, what the quota measures; the caller holds tables_mutex_.
  std::uint64_t StoredBytesLocked() SHARED_LOCKS_REQUIRED(tables_mutex_);
  // Finds the table holding `stream_id`, or null; the caller holds tables_mutex_.
  Table* FindLocked(const std::string& stream_id) SHARED_LOCKS_REQUIRED(tables_mutex_);
  // Calls fn(table) on the table of `stream_id` under the shared lock: kClosed after CloseAll,
  // kNoSuchStream when no table holds the stream.
  template <typename Fn>
  std::error_code WithTable(const std::string& stream_id, Fn&& fn);

  const std::filesystem::path tables_dir_;
  base::Logger& log_;

  // Held from reading the cap until a new table is in tables_, so that SetMaxPages never misses
  // a table being added. Taken before tables_mutex_.
  base::Mutex settings_mutex_ ACQUIRED_BEFORE(tables_mutex_);
  TableSettings settings_ GUARDED_BY(settings_mutex_);

  std::set<std::string> conflicts_logged_;  // Insert only
  std::set<std::string> too_many_logged_;   // Insert only

  base::SharedMutex tables_mutex_;
  std::map<std::string, std::unique_ptr<Table>> tables_ GUARDED_BY(tables_mutex_);  // by file name
  bool closed_ GUARDED_BY(tables_mutex_) = false;
};

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_TABLE_SET_H_
