#include "localstore/table_reader.h"

#include <limits>

#include "database.h"
#include "localstore/errc.h"
#include "schema.h"

namespace localstore {

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
  if (std::error_code check = CheckSchema(r->handle_->db, &r->stream_id_, &why)) return check;
  r->schema_version_ = kSchemaVersion;
  *reader = std::move(r);
  return {};
}

std::error_code TableReader::ForEachRow(const std::function<bool(const StoredRow&)>& fn) {
  Statement statement;
  int rc = statement.Prepare(
      handle_->db, "SELECT id, received_unix_ns, count, entries FROM records ORDER BY id");
  if (rc != SQLITE_OK) return SqliteError(rc);
  StatementUse use(statement);
  StoredRow row;
  while ((rc = use.Step()) == SQLITE_ROW) {
    std::int64_t count = use.ColumnInt(2);
    row.row_id = use.ColumnInt(0);
    row.received_unix_ns = use.ColumnInt(1);
    row.count = count < 0 ? 0
                : count > std::numeric_limits<std::uint32_t>::max()
                    ? std::numeric_limits<std::uint32_t>::max()
                    : static_cast<std::uint32_t>(count);
    row.entries.assign(use.ColumnBlob(3));
    if (!fn(row)) return {};
  }
  return rc == SQLITE_DONE ? std::error_code() : SqliteError(rc);
}

}  // namespace localstore
