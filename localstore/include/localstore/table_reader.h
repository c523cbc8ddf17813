#ifndef AMAHOST_LOCALSTORE_TABLE_READER_H_
#define AMAHOST_LOCALSTORE_TABLE_READER_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "localstore/batch_source.h"
#include "localstore/record_batch.h"

namespace localstore {

// Reads one `.tsf` table read-only, for tools (`amactl dump`, replay) and tests. Safe to use
// while a host has the table open (WAL readers do not block the writer). Thread-compatible.
class TableReader {
 public:
  // Opens read-only. Fails with std::errc::no_such_file_or_directory if the file is missing,
  // Errc::kNotATable if it is not a SQLite database or not a stream table (localstore/errc.h),
  // Errc::kUnsupportedVersion if its schema version is one this build does not know.
  static std::error_code Open(const std::filesystem::path& path,
                              std::unique_ptr<TableReader>* reader);
  ~TableReader();

  TableReader(const TableReader&) = delete;
  TableReader& operator=(const TableReader&) = delete;

  const std::string& stream_id() const { return stream_id_; }
  int schema_version() const { return schema_version_; }

  // Calls fn for every row in row order until it returns false.
  std::error_code ForEachRow(const std::function<bool(const StoredRow&)>& fn);
  // The same for the rows with after_row_id < row_id <= last_row_id (one read transaction).
  std::error_code ForEachRow(std::int64_t after_row_id, std::int64_t last_row_id,
                             const std::function<bool(const StoredRow&)>& fn);

  // What one row holds, without its entries.
  struct RowInfo {
    std::int64_t row_id = 0;
    std::int64_t received_unix_ns = 0;
    std::uint32_t count = 0;  // records
    std::uint64_t bytes = 0;  // of its entries, uncompressed
  };
  // Every row's RowInfo in row order, from one read transaction (a snapshot: rows a host adds
  // later are not in it); replaces *rows. Reads no entries.
  std::error_code RowIndex(std::vector<RowInfo>* rows);

  // The table's dead letters, oldest first, without entries (none in a table older than schema
  // version 3); replaces *letters.
  std::error_code DeadLetters(std::vector<DeadLetter>* letters);
  // One dead letter with its entries: Errc::kNoSuchDeadLetter for an unknown id, kSqlite when
  // its entries fail their checks (damaged).
  std::error_code ReadDeadLetter(std::int64_t id, DeadLetter* letter);

 private:
  TableReader() = default;
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::string stream_id_;
  int schema_version_ = 0;
};

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_TABLE_READER_H_
