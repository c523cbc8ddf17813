#include "localstore/table_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "database.h"
#include "localstore/errc.h"
#include "row_encoding.h"
#include "schema.h"

namespace localstore {

namespace {

std::uint32_t ClampCount(std::int64_t count) {
  return count < 0 ? 0
         : count > std::numeric_limits<std::uint32_t>::max()
             ? std::numeric_limits<std::uint32_t>::max()
             : static_cast<std::uint32_t>(count);
}

}  // namespace

struct TableReader::Handle {
  Database db;
};

TableReader::~TableReader() = default;

std::error_code TableReader::Open(const std::filesystem::path& path,
                                  std::unique_ptr<TableReader>* reader) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return ec ? ec : std::make_error_code(std::errc::no_such_file_or_directory);
  }
  std::unique_ptr<TableReader> r(new TableReader());
  r->handle_ = std::make_unique<Handle>();
  int rc = r->handle_->db.Open(path, SQLITE_OPEN_READONLY);
  if (rc != SQLITE_OK) return SqliteError(rc);
  std::string why;
  if (std::error_code check =
          CheckSchema(r->handle_->db, &r->stream_id_, &r->schema_version_, &why)) {
    return check;
  }
  *reader = std::move(r);
  return {};
}

std::error_code TableReader::ForEachRow(const std::function<bool(const StoredRow&)>& fn) {
  return ForEachRow(std::numeric_limits<std::int64_t>::min(),
                    std::numeric_limits<std::int64_t>::max(), fn);
}

std::error_code TableReader::ForEachRow(std::int64_t after_row_id, std::int64_t last_row_id,
                                        const std::function<bool(const StoredRow&)>& fn) {
  Statement statement;
  // Read-only, a version 1 table is read as it is: no encoding column, every row plain.
  int rc = statement.Prepare(
      handle_->db,
      schema_version_ == 1
          ? "SELECT id, received_unix_ns, count, entries, 0, length(entries) FROM records "
            "WHERE id > ?1 AND id <= ?2 ORDER BY id"
          : fmt::format("SELECT id, received_unix_ns, count, entries, encoding, {} FROM records "
                        "WHERE id > ?1 AND id <= ?2 ORDER BY id",
                        kRawBytesSql));
  if (rc != SQLITE_OK) return SqliteError(rc);
  StatementUse use(statement);
  use.BindInt(1, after_row_id);
  use.BindInt(2, last_row_id);
  StoredRow row;
  while ((rc = use.Step()) == SQLITE_ROW) {
    row.row_id = use.ColumnInt(0);
    row.received_unix_ns = use.ColumnInt(1);
    row.count = ClampCount(use.ColumnInt(2));
    std::string error;
    row.damaged =
        !RestoreRow(use.ColumnInt(4), use.ColumnBlob(3),
                    static_cast<std::uint64_t>(std::max<std::int64_t>(0, use.ColumnInt(5))),
                    &row.entries, &error);
    if (!fn(row)) return {};
  }
  return rc == SQLITE_DONE ? std::error_code() : SqliteError(rc);
}

std::error_code TableReader::RowIndex(std::vector<RowInfo>* rows) {
  rows->clear();
  Statement statement;
  int rc = statement.Prepare(
      handle_->db,
      schema_version_ == 1
          ? std::string("SELECT id, received_unix_ns, count, length(entries) FROM records "
                        "ORDER BY id")
          : fmt::format("SELECT id, received_unix_ns, count, {} FROM records ORDER BY id",
                        kRawBytesSql));
  if (rc != SQLITE_OK) return SqliteError(rc);
  StatementUse use(statement);
  while ((rc = use.Step()) == SQLITE_ROW) {
    rows->push_back(RowInfo{
        .row_id = use.ColumnInt(0),
        .received_unix_ns = use.ColumnInt(1),
        .count = ClampCount(use.ColumnInt(2)),
        .bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, use.ColumnInt(3))),
    });
  }
  return rc == SQLITE_DONE ? std::error_code() : SqliteError(rc);
}

namespace {

const std::string kLetterSql =
    std::string("SELECT ") + kDeadLetterColumnsSql + ", entries, encoding FROM dead_letters";

}  // namespace

std::error_code TableReader::DeadLetters(std::vector<DeadLetter>* letters) {
  letters->clear();
  if (schema_version_ < 3) return {};
  Statement statement;
  int rc = statement.Prepare(handle_->db, kLetterSql + " ORDER BY id");
  if (rc != SQLITE_OK) return SqliteError(rc);
  StatementUse use(statement);
  while ((rc = use.Step()) == SQLITE_ROW) ReadDeadLetterColumns(use, &letters->emplace_back());
  return rc == SQLITE_DONE ? std::error_code() : SqliteError(rc);
}

std::error_code TableReader::ReadDeadLetter(std::int64_t id, DeadLetter* letter) {
  if (schema_version_ < 3) return Errc::kNoSuchDeadLetter;
  Statement statement;
  int rc = statement.Prepare(handle_->db, kLetterSql + " WHERE id = ?1");
  if (rc != SQLITE_OK) return SqliteError(rc);
  StatementUse use(statement);
  use.BindInt(1, id);
  rc = use.Step();
  if (rc == SQLITE_DONE) return Errc::kNoSuchDeadLetter;
  if (rc != SQLITE_ROW) return SqliteError(rc);
  ReadDeadLetterColumns(use, letter);
  std::string error;
  if (!RestoreRow(use.ColumnInt(10), use.ColumnBlob(9), letter->bytes, &letter->entries, &error)) {
    return Errc::kSqlite;
  }
  return {};
}

}  // namespace localstore
