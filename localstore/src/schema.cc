#include "schema.h"

#include <fmt/format.h>

#include <array>
#include <vector>

#include "localstore/errc.h"
#include "localstore/table_name.h"

namespace localstore {
namespace {

constexpr std::array<std::string_view, 2> kMetaColumns = {"key", "value"};
constexpr std::array<std::string_view, 4> kRecordColumnsV1 = {"id", "received_unix_ns", "count",
                                                              "entries"};
constexpr std::array<std::string_view, 6> kRecordColumnsV2 = {
    "id", "received_unix_ns", "count", "entries", "encoding", "raw_bytes"};
constexpr std::array<std::string_view, 8> kRecordColumns = {"id",
                                                            "received_unix_ns",
                                                            "count",
                                                            "entries",
                                                            "encoding",
                                                            "raw_bytes",
                                                            "min_event_unix_ns",
                                                            "max_event_unix_ns"};
constexpr std::array<std::string_view, 6> kUploadColumns = {
    "id", "first_row", "last_row", "request_id", "channel", "created_unix_ns"};
constexpr std::array<std::string_view, 11> kDeadLetterColumnsV3 = {
    "id",        "created_unix_ns", "received_unix_ns", "count",      "entries", "encoding",
    "raw_bytes", "status",          "response",         "request_id", "endpoint"};
constexpr std::array<std::string_view, 13> kDeadLetterColumns = {
    "id",       "created_unix_ns",   "received_unix_ns", "count",    "entries",
    "encoding", "raw_bytes",         "status",           "response", "request_id",
    "endpoint", "min_event_unix_ns", "max_event_unix_ns"};

// The tables version 3 added; IF NOT EXISTS so that a migration interrupted by a crash (it is one
// transaction, but the check is cheap) can never fail on the second try.
constexpr char kCreateV3Tables[] =
    "CREATE TABLE IF NOT EXISTS uploads(id INTEGER PRIMARY KEY, first_row INTEGER NOT NULL,"
    " last_row INTEGER NOT NULL, request_id TEXT NOT NULL, channel TEXT NOT NULL,"
    " created_unix_ns INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS dead_letters(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " created_unix_ns INTEGER NOT NULL, received_unix_ns INTEGER NOT NULL, count INTEGER NOT NULL,"
    " entries BLOB NOT NULL, encoding INTEGER NOT NULL, raw_bytes INTEGER NOT NULL,"
    " status INTEGER NOT NULL, response TEXT NOT NULL, request_id TEXT NOT NULL,"
    " endpoint TEXT NOT NULL);";

// What version 4 added: each row's event-time range, and the indexes a retention sweep reads.
// Columns added with ALTER TABLE (also in a new table, so that old and new tables have their
// columns in one order): existing rows get NULL without being rewritten.
constexpr char kAddV4Columns[] =
    "ALTER TABLE records ADD COLUMN min_event_unix_ns INTEGER;"
    "ALTER TABLE records ADD COLUMN max_event_unix_ns INTEGER;"
    "ALTER TABLE dead_letters ADD COLUMN min_event_unix_ns INTEGER;"
    "ALTER TABLE dead_letters ADD COLUMN max_event_unix_ns INTEGER;"
    "CREATE INDEX records_by_max_event ON records(max_event_unix_ns);"
    "CREATE INDEX dead_letters_by_max_event ON dead_letters(max_event_unix_ns);";

// Reads the column names of `table` in order; an empty list means the table does not exist.
int ColumnsOf(Database& db, std::string_view table, std::vector<std::string>* columns) {
  Statement statement;
  int rc = statement.Prepare(db, "SELECT name FROM pragma_table_info(?1) ORDER BY cid");
  if (rc != SQLITE_OK) return rc;
  StatementUse use(statement);
  use.BindText(1, table);
  while ((rc = use.Step()) == SQLITE_ROW) columns->emplace_back(use.ColumnText(0));
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

template <std::size_t N>
bool SameColumns(const std::vector<std::string>& actual,
                 const std::array<std::string_view, N>& expected) {
  if (actual.size() != N) return false;
  for (std::size_t i = 0; i < N; ++i) {
    if (actual[i] != expected[i]) return false;
  }
  return true;
}

// Returns SQLITE_NOTFOUND if the key is missing.
int ReadMeta(Database& db, std::string_view key, std::string* value) {
  Statement statement;
  int rc = statement.Prepare(db, "SELECT value FROM meta WHERE key = ?1");
  if (rc != SQLITE_OK) return rc;
  StatementUse use(statement);
  use.BindText(1, key);
  rc = use.Step();
  if (rc == SQLITE_DONE) return SQLITE_NOTFOUND;
  if (rc != SQLITE_ROW) return rc;
  value->assign(use.ColumnText(0));
  return SQLITE_OK;
}

}  // namespace

void ReadDeadLetterColumns(StatementUse& use, DeadLetter* letter) {
  letter->id = use.ColumnInt(0);
  letter->created_unix_ns = use.ColumnInt(1);
  letter->received_unix_ns = use.ColumnInt(2);
  letter->count = ToCount(use.ColumnInt(3));
  letter->bytes = ToU64(use.ColumnInt(4));
  letter->status = static_cast<int>(use.ColumnInt(5));
  letter->response.assign(use.ColumnText(6));
  letter->request_id.assign(use.ColumnText(7));
  letter->endpoint.assign(use.ColumnText(8));
  letter->entries.clear();
}

int EnsureSizeIndex(Database& db) {
  return db.Exec("CREATE INDEX IF NOT EXISTS records_by_size ON records(raw_bytes, count)");
}

int CreateSchema(Database& db, std::string_view stream_id, std::int64_t created_unix_ns) {
  Transaction transaction(db);
  int rc = transaction.Begin();
  if (rc != SQLITE_OK) return rc;
  rc = db.Exec(
      "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "CREATE TABLE records(id INTEGER PRIMARY KEY AUTOINCREMENT,"
      " received_unix_ns INTEGER NOT NULL, count INTEGER NOT NULL, entries BLOB NOT NULL,"
      " encoding INTEGER NOT NULL DEFAULT 0, raw_bytes INTEGER);");
  if (rc == SQLITE_OK) rc = db.Exec(kCreateV3Tables);
  if (rc == SQLITE_OK) rc = db.Exec(kAddV4Columns);
  if (rc == SQLITE_OK) rc = EnsureSizeIndex(db);
  if (rc != SQLITE_OK) return rc;
  Statement insert;
  rc = insert.Prepare(db, "INSERT INTO meta(key, value) VALUES(?1, ?2)");
  if (rc != SQLITE_OK) return rc;
  const std::string created = std::to_string(created_unix_ns);
  const std::pair<std::string_view, std::string_view> rows[] = {
      {"stream_id", stream_id},
      {"data_type", DataTypeOf(stream_id)},
      {"created_unix_ns", created},
      {"format", kFormat},
  };
  for (const auto& [key, value] : rows) {
    StatementUse use(insert);
    use.BindText(1, key);
    use.BindText(2, value);
    rc = use.Step();
    if (rc != SQLITE_DONE) return rc;
  }
  // user_version lives in the database header and is written by this same transaction.
  rc = db.Exec(fmt::format("PRAGMA user_version = {}", kSchemaVersion).c_str());
  if (rc != SQLITE_OK) return rc;
  return transaction.Commit();
}

std::error_code CheckSchema(Database& db, std::string* stream_id, int* schema_version,
                            std::string* why) {
  std::int64_t version = 0;
  int rc = db.QueryInt("PRAGMA user_version", &version);
  if (rc != SQLITE_OK) {
    *why = "cannot read user_version: " + db.ErrorMessage();
    return SqliteError(rc);
  }
  if (version == 0) {
    *why = "no schema (user_version 0)";
    return Errc::kNotATable;
  }
  if (version < kOldestSchemaVersion || version > kSchemaVersion) {
    *why = fmt::format("schema version {} (this build knows {} to {})", version,
                       kOldestSchemaVersion, kSchemaVersion);
    return Errc::kUnsupportedVersion;
  }
  std::vector<std::string> meta_columns;
  std::vector<std::string> record_columns;
  std::vector<std::string> upload_columns;
  std::vector<std::string> dead_letter_columns;
  rc = ColumnsOf(db, "meta", &meta_columns);
  if (rc == SQLITE_OK) rc = ColumnsOf(db, "records", &record_columns);
  if (rc == SQLITE_OK && version >= 3) rc = ColumnsOf(db, "uploads", &upload_columns);
  if (rc == SQLITE_OK && version >= 3) rc = ColumnsOf(db, "dead_letters", &dead_letter_columns);
  if (rc != SQLITE_OK) {
    *why = "cannot read the schema: " + db.ErrorMessage();
    return SqliteError(rc);
  }
  const bool records_match = version == 1  ? SameColumns(record_columns, kRecordColumnsV1)
                             : version < 4 ? SameColumns(record_columns, kRecordColumnsV2)
                                           : SameColumns(record_columns, kRecordColumns);
  const bool letters_match = version == 3 ? SameColumns(dead_letter_columns, kDeadLetterColumnsV3)
                                          : SameColumns(dead_letter_columns, kDeadLetterColumns);
  if (!SameColumns(meta_columns, kMetaColumns) || !records_match) {
    *why = "tables meta/records missing or with other columns";
    return Errc::kNotATable;
  }
  if (version >= 3 && (!SameColumns(upload_columns, kUploadColumns) || !letters_match)) {
    *why = "tables uploads/dead_letters missing or with other columns";
    return Errc::kNotATable;
  }
  std::string format;
  rc = ReadMeta(db, "format", &format);
  if (rc == SQLITE_OK) rc = ReadMeta(db, "stream_id", stream_id);
  if (rc == SQLITE_NOTFOUND) {
    *why = "meta lacks format or stream_id";
    return Errc::kNotATable;
  }
  if (rc != SQLITE_OK) {
    *why = "cannot read meta: " + db.ErrorMessage();
    return SqliteError(rc);
  }
  if (format != kFormat) {
    *why = "unknown format in meta";
    return Errc::kNotATable;
  }
  if (stream_id->empty()) {
    *why = "empty stream_id in meta";
    return Errc::kNotATable;
  }
  *schema_version = static_cast<int>(version);
  return {};
}

int MigrateSchema(Database& db, int version) {
  if (version == kSchemaVersion) return SQLITE_OK;
  Transaction transaction(db);
  int rc = transaction.Begin();
  if (rc != SQLITE_OK) return rc;
  // Adding a column with a constant default rewrites no row.
  if (version < 2) {
    rc = db.Exec(
        "ALTER TABLE records ADD COLUMN encoding INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE records ADD COLUMN raw_bytes INTEGER;");
  }
  if (rc == SQLITE_OK && version < 3) rc = db.Exec(kCreateV3Tables);
  if (rc == SQLITE_OK) rc = db.Exec(kAddV4Columns);
  if (rc == SQLITE_OK)
    rc = db.Exec(fmt::format("PRAGMA user_version = {}", kSchemaVersion).c_str());
  if (rc != SQLITE_OK) return rc;
  return transaction.Commit();
}

}  // namespace localstore
