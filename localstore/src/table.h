#ifndef AMAHOST_LOCALSTORE_TABLE_H_
#define AMAHOST_LOCALSTORE_TABLE_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "base/logger.h"
#include "database.h"
#include "localstore/batch_source.h"
#include "localstore/record_batch.h"

namespace localstore {

// One stream's open `.tsf` table: its connection, prepared statements and in-memory backlog.
//
// Thread-safe: a mutex serialises the connection between the commit thread (Insert) and the
// uploader (ReadOldest, Remove); the counters have their own mutex so that GetBacklog never
// waits behind an fsync.
class Table {
 public:
  // Opens the existing table at `path` read-write: PRAGMA quick_check, the schema and meta, then
  // WAL and `synchronous`, and counts the backlog. On failure returns kNotATable (corrupt, not
  // SQLite, wrong schema), kUnsupportedVersion or a SQLite error, and *why says why.
  static std::error_code Open(const std::filesystem::path& path, bool synchronous_full,
                              base::Logger& logger, std::unique_ptr<Table>* table,
                              std::string* why);
  // Creates the table of `stream_id` at `path`, which must not exist, and makes the new file
  // durable (fsync of the folder). On failure removes what it created.
  static std::error_code Create(const std::filesystem::path& path, const std::string& stream_id,
                                bool synchronous_full, base::Logger& logger,
                                std::unique_ptr<Table>* table, std::string* why);

  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const std::string& stream_id() const { return stream_id_; }
  const std::filesystem::path& path() const { return path_; }

  // Inserts one row per batch, in order, in one transaction; durable once it returns no error.
  std::error_code Insert(std::span<const RecordBatch* const> batches,
                         std::int64_t received_unix_ns);
  // BatchSource::ReadOldest for this table; replaces *rows.
  std::error_code ReadOldest(std::int64_t after_row_id, const ReadLimits& limits,
                             std::vector<StoredRow>* rows);
  // Deletes rows first..last (inclusive) in one transaction, keeping the backlog exact.
  std::error_code Remove(std::int64_t first_row_id, std::int64_t last_row_id);

  Backlog backlog() const;
  // Records committed and removed since this Table was opened.
  std::uint64_t committed_records() const;
  std::uint64_t removed_records() const;

 private:
  Table(std::filesystem::path path, base::Logger& logger);
  // WAL, `synchronous` and the WAL size limit for this connection.
  std::error_code ApplySettings(bool synchronous_full, std::string* why);
  // Prepares the statements and counts the backlog.
  std::error_code Prepare(std::string* why);
  // Logs a failed SQLite call on this table and maps it to an error code.
  std::error_code Fail(const char* what, int rc);

  const std::filesystem::path path_;
  std::string stream_id_;  // set once, before the Table is shared
  base::Logger& logger_;

  std::mutex db_mutex_;
  // Statements are declared after db_ so that they are finalized before it closes.
  Database db_;
  Statement insert_;
  Statement read_;
  Statement sums_;
  Statement delete_;
  bool disk_full_logged_ = false;  // log a full disk once per episode, not once per commit

  mutable std::mutex counters_mutex_;
  Backlog backlog_;
  std::uint64_t committed_records_ = 0;
  std::uint64_t removed_records_ = 0;
};

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_TABLE_H_
