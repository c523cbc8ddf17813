#include "mockcloud/item_store.h"

#include <fmt/format.h>
#include <sqlite3.h>

namespace mockcloud {
namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS requests(
  id INTEGER PRIMARY KEY,
  endpoint TEXT NOT NULL,
  request_id TEXT NOT NULL,
  data_type TEXT NOT NULL,
  ip_name TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  status INTEGER NOT NULL,
  duplicate INTEGER NOT NULL,
  item_count INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS requests_by_request_id ON requests(request_id);
CREATE TABLE IF NOT EXISTS items(
  id INTEGER PRIMARY KEY,
  request INTEGER NOT NULL,
  data_type TEXT NOT NULL,
  ip_name TEXT NOT NULL,
  request_id TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  item TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS items_by_data_type ON items(data_type, id);
)sql";

// Owns a prepared statement.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr) != SQLITE_OK) statement_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return statement_ != nullptr; }
  sqlite3_stmt* get() const { return statement_; }
  Statement& Bind(int index, std::string_view text) {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int index, std::int64_t value) {
    sqlite3_bind_int64(statement_, index, value);
    return *this;
  }
  int Step() { return sqlite3_step(statement_); }
  std::string Text(int column) const {
    const unsigned char* text = sqlite3_column_text(statement_, column);
    int size = sqlite3_column_bytes(statement_, column);
    return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text), size);
  }
  std::int64_t Int(int column) const { return sqlite3_column_int64(statement_, column); }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

// Rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {
    begun_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~Transaction() {
    if (begun_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  bool begun() const { return begun_; }
  bool Commit() {
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return false;
    begun_ = false;
    return true;
  }

 private:
  sqlite3* db_;
  bool begun_ = false;
};

bool Fail(sqlite3* db, std::string_view what, std::string* error) {
  *error = fmt::format("items.db: {}: {}", what, sqlite3_errmsg(db));
  return false;
}

bool Count(sqlite3* db, const char* sql, std::string_view parameter, std::uint64_t* out,
           std::string* error) {
  Statement count(db, sql);
  if (!count.ok()) return Fail(db, "count", error);
  if (!parameter.empty()) count.Bind(1, parameter);
  if (count.Step() != SQLITE_ROW) return Fail(db, "count", error);
  *out = static_cast<std::uint64_t>(count.Int(0));
  return true;
}

}  // namespace

std::unique_ptr<ItemStore> ItemStore::Open(const std::filesystem::path& path, std::string* error) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<ItemStore> store(db != nullptr ? new ItemStore(db) : nullptr);
  if (rc != SQLITE_OK) {
    *error = fmt::format("opening {}: {}", path.string(),
                         db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    return nullptr;
  }
  sqlite3_busy_timeout(db, 5000);
  if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr,
                   nullptr) != SQLITE_OK ||
      sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    Fail(db, "creating the schema", error);
    return nullptr;
  }
  std::uint64_t version = 0;
  if (!Count(db, "PRAGMA user_version", {}, &version, error)) return nullptr;
  if (version == 0) {
    std::string set = fmt::format("PRAGMA user_version={}", kSchemaVersion);
    sqlite3_exec(db, set.c_str(), nullptr, nullptr, nullptr);
  } else if (version != kSchemaVersion) {
    *error = fmt::format("{} has schema version {}, this mockcloud knows {}; remove the file",
                         path.string(), version, kSchemaVersion);
    return nullptr;
  }
  return store;
}

ItemStore::~ItemStore() { sqlite3_close_v2(db_); }

bool ItemStore::Record(UploadRecord* record, const std::vector<std::string>& items,
                       std::string* error) {
  Transaction transaction(db_);
  if (!transaction.begun()) return Fail(db_, "begin", error);
  bool accepted = record->status >= 200 && record->status < 300;
  record->duplicate = false;
  if (accepted && !record->request_id.empty()) {
    Statement seen(db_,
                   "SELECT 1 FROM requests WHERE request_id = ?1 AND status BETWEEN 200 AND 299 "
                   "LIMIT 1");
    if (!seen.ok()) return Fail(db_, "look up request id", error);
    seen.Bind(1, record->request_id);
    int rc = seen.Step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(db_, "look up request id", error);
    record->duplicate = rc == SQLITE_ROW;
  }
  record->item_count = items.size();
  Statement insert(db_,
                   "INSERT INTO requests(endpoint, request_id, data_type, ip_name, resource_id, "
                   "status, duplicate, item_count, received_ms, message) "
                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  if (!insert.ok()) return Fail(db_, "insert request", error);
  insert.Bind(1, record->endpoint)
      .Bind(2, record->request_id)
      .Bind(3, record->data_type)
      .Bind(4, record->ip_name)
      .Bind(5, record->resource_id)
      .Bind(6, std::int64_t{record->status})
      .Bind(7, std::int64_t{record->duplicate ? 1 : 0})
      .Bind(8, static_cast<std::int64_t>(record->item_count))
      .Bind(9, record->received_ms)
      .Bind(10, record->message);
  if (insert.Step() != SQLITE_DONE) return Fail(db_, "insert request", error);
  std::int64_t request_row = sqlite3_last_insert_rowid(db_);
  if (accepted && !record->duplicate) {
    Statement item(db_,
                   "INSERT INTO items(request, data_type, ip_name, request_id, resource_id, "
                   "received_ms, item) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!item.ok()) return Fail(db_, "insert item", error);
    item.Bind(1, request_row)
        .Bind(2, record->data_type)
        .Bind(3, record->ip_name)
        .Bind(4, record->request_id)
        .Bind(5, record->resource_id)
        .Bind(6, record->received_ms);
    for (const std::string& text : items) {
      item.Bind(7, text);
      if (item.Step() != SQLITE_DONE) return Fail(db_, "insert item", error);
      sqlite3_reset(item.get());
    }
  }
  if (!transaction.Commit()) return Fail(db_, "commit", error);
  return true;
}

bool ItemStore::Items(std::string_view data_type, std::size_t offset, std::size_t limit,
                      std::vector<std::string>* items, std::uint64_t* total, std::string* error) {
  items->clear();
  bool all = data_type.empty();
  if (!Count(db_,
             all ? "SELECT COUNT(*) FROM items" : "SELECT COUNT(*) FROM items WHERE data_type = ?1",
             data_type, total, error)) {
    return false;
  }
  Statement select(db_, all ? "SELECT item FROM items ORDER BY id LIMIT ?2 OFFSET ?3"
                            : "SELECT item FROM items WHERE data_type = ?1 ORDER BY id "
                              "LIMIT ?2 OFFSET ?3");
  if (!select.ok()) return Fail(db_, "select items", error);
  if (!all) select.Bind(1, data_type);
  select.Bind(2, static_cast<std::int64_t>(limit)).Bind(3, static_cast<std::int64_t>(offset));
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) items->push_back(select.Text(0));
  if (rc != SQLITE_DONE) return Fail(db_, "select items", error);
  return true;
}

bool ItemStore::Requests(std::size_t offset, std::size_t limit, std::vector<UploadRecord>* records,
                         std::uint64_t* total, std::string* error) {
  records->clear();
  if (!Count(db_, "SELECT COUNT(*) FROM requests", {}, total, error)) return false;
  Statement select(db_,
                   "SELECT endpoint, request_id, data_type, ip_name, resource_id, status, "
                   "duplicate, item_count, received_ms, message FROM requests ORDER BY id "
                   "LIMIT ?1 OFFSET ?2");
  if (!select.ok()) return Fail(db_, "select requests", error);
  select.Bind(1, static_cast<std::int64_t>(limit)).Bind(2, static_cast<std::int64_t>(offset));
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) {
    UploadRecord record;
    record.endpoint = select.Text(0);
    record.request_id = select.Text(1);
    record.data_type = select.Text(2);
    record.ip_name = select.Text(3);
    record.resource_id = select.Text(4);
    record.status = static_cast<int>(select.Int(5));
    record.duplicate = select.Int(6) != 0;
    record.item_count = static_cast<std::size_t>(select.Int(7));
    record.received_ms = select.Int(8);
    record.message = select.Text(9);
    records->push_back(std::move(record));
  }
  if (rc != SQLITE_DONE) return Fail(db_, "select requests", error);
  return true;
}

bool ItemStore::Stats(StoreStats* stats, std::string* error) {
  *stats = StoreStats{};
  if (!Count(db_, "SELECT COUNT(*) FROM items", {}, &stats->items, error) ||
      !Count(db_, "SELECT COUNT(*) FROM requests", {}, &stats->requests, error) ||
      !Count(db_, "SELECT COUNT(*) FROM requests WHERE status BETWEEN 200 AND 299", {},
             &stats->accepted, error) ||
      !Count(db_, "SELECT COUNT(*) FROM requests WHERE duplicate != 0", {}, &stats->duplicates,
             error)) {
    return false;
  }
  Statement per_type(db_,
                     "SELECT data_type, COUNT(*) FROM items GROUP BY data_type ORDER BY data_type");
  if (!per_type.ok()) return Fail(db_, "count per data type", error);
  int rc;
  while ((rc = per_type.Step()) == SQLITE_ROW) {
    stats->items_per_data_type.emplace_back(per_type.Text(0),
                                            static_cast<std::uint64_t>(per_type.Int(1)));
  }
  if (rc != SQLITE_DONE) return Fail(db_, "count per data type", error);
  return true;
}

bool ItemStore::Clear(std::string* error) {
  Transaction transaction(db_);
  if (!transaction.begun()) return Fail(db_, "begin", error);
  if (sqlite3_exec(db_, "DELETE FROM items; DELETE FROM requests;", nullptr, nullptr, nullptr) !=
      SQLITE_OK) {
    return Fail(db_, "clear", error);
  }
  if (!transaction.Commit()) return Fail(db_, "commit", error);
  return true;
}

}  // namespace mockcloud
