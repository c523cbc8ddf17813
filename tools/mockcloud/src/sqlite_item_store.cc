// The SQLite ItemStore: <state-dir>/items.db.

#include <fmt/format.h>
#include <sqlite3.h>

#include <utility>

#include "base/thread_annotations.h"
#include "mockcloud/item_store.h"
#include "store_totals.h"

namespace mockcloud {
namespace {

// 2 added the requests' headers, body_bytes and json_bytes; 3 their schema check.
constexpr int kSchemaVersion = 3;

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
  message TEXT NOT NULL,
  headers TEXT NOT NULL DEFAULT '{}',
  body_bytes INTEGER NOT NULL DEFAULT 0,
  json_bytes INTEGER NOT NULL DEFAULT 0,
  schema TEXT NOT NULL DEFAULT 'null');
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

// Version 1 to 2, in place: the columns that version 2 added, with their defaults.
constexpr const char* kUpgradeFrom1 = R"sql(
ALTER TABLE requests ADD COLUMN headers TEXT NOT NULL DEFAULT '{}';
ALTER TABLE requests ADD COLUMN body_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN json_bytes INTEGER NOT NULL DEFAULT 0;
PRAGMA user_version=2;
)sql";

// Version 2 to 3: requests recorded before had no schema check.
constexpr const char* kUpgradeFrom2 = R"sql(
ALTER TABLE requests ADD COLUMN schema TEXT NOT NULL DEFAULT 'null';
PRAGMA user_version=3;
)sql";

// Owns a connection.
class Database {
 public:
  explicit Database(sqlite3* db) : db_(db) {}
  ~Database() { sqlite3_close_v2(db_); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  sqlite3* get() const { return db_; }
  sqlite3* release() { return std::exchange(db_, nullptr); }

 private:
  sqlite3* db_;
};

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
  // `text` must stay as it is until the statement is reset or bound again.
  Statement& BindStatic(int index, std::string_view text) {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    return *this;
  }
  Statement& Bind(int index, std::int64_t value) {
    sqlite3_bind_int64(statement_, index, value);
    return *this;
  }
  int Step() { return sqlite3_step(statement_); }
  // Ready to run again, with no text of the caller's still bound.
  void Reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
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

constexpr const char* kInsertRequest =
    "INSERT INTO requests(endpoint, request_id, data_type, ip_name, resource_id, status, "
    "duplicate, item_count, received_ms, message, headers, body_bytes, json_bytes, schema) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
constexpr const char* kInsertItem =
    "INSERT INTO items(request, data_type, ip_name, request_id, resource_id, received_ms, item) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kSeen =
    "SELECT 1 FROM requests WHERE request_id = ?1 AND status BETWEEN 200 AND 299 LIMIT 1";

class SqliteItemStore final : public ItemStore {
 public:
  // Takes `db` with its schema in place; false from ok() if a statement cannot be prepared.
  explicit SqliteItemStore(sqlite3* db)
      : db_(db),
        insert_request_(db, kInsertRequest),
        insert_item_(db, kInsertItem),
        seen_(db, kSeen) {}

  // Before the store is shared only, hence unlocked.
  bool ok() const NO_THREAD_SAFETY_ANALYSIS {
    return insert_request_.ok() && insert_item_.ok() && seen_.ok();
  }
  // Counts what the file holds; once, before the store is shared.
  bool LoadTotals(std::string* error) NO_THREAD_SAFETY_ANALYSIS;

  Kind kind() const override { return Kind::kSqlite; }
  bool Record(UploadRecord* record, DataItems items, std::string* error) override;
  bool Items(std::string_view data_type, std::size_t offset, std::size_t limit,
             std::vector<std::string>* items, std::uint64_t* total, std::string* error) override;
  bool ItemsWithMeta(std::string_view data_type, std::size_t offset, std::size_t limit,
                     std::vector<StoredItem>* items, std::uint64_t* total,
                     std::string* error) override;
  bool Requests(std::size_t offset, std::size_t limit, std::vector<UploadRecord>* records,
                std::uint64_t* total, std::string* error) override;
  bool Stats(StoreStats* stats, std::string* error) override;
  bool Clear(std::string* error) override;

 private:
  sqlite3* db() EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return db_.get(); }

  base::Mutex mutex_;
  // The connection and its statements are used under mutex_ only (SQLITE_OPEN_NOMUTEX).
  Database db_ GUARDED_BY(mutex_);
  // Declared after db_, so that they are finalized before it closes.
  Statement insert_request_ GUARDED_BY(mutex_);
  Statement insert_item_ GUARDED_BY(mutex_);
  Statement seen_ GUARDED_BY(mutex_);
  StoreTotals totals_ GUARDED_BY(mutex_);
};

bool SqliteItemStore::LoadTotals(std::string* error) {
  Statement requests(db(),
                     "SELECT COUNT(*), TOTAL(status BETWEEN 200 AND 299), TOTAL(duplicate != 0), "
                     "TOTAL(CASE WHEN status BETWEEN 200 AND 299 AND duplicate = 0 THEN json_bytes "
                     "END), TOTAL(CASE WHEN status BETWEEN 200 AND 299 AND duplicate = 0 THEN "
                     "body_bytes END) FROM requests");
  if (!requests.ok() || requests.Step() != SQLITE_ROW) return Fail(db(), "count requests", error);
  auto total = [&](int column) {
    return static_cast<std::uint64_t>(sqlite3_column_double(requests.get(), column));
  };
  totals_.AddRequests(static_cast<std::uint64_t>(requests.Int(0)), total(1), total(2));
  totals_.AddItems({}, 0, total(3), total(4));
  Statement per_type(db(), "SELECT data_type, COUNT(*) FROM items GROUP BY data_type");
  if (!per_type.ok()) return Fail(db(), "count items", error);
  int rc;
  while ((rc = per_type.Step()) == SQLITE_ROW) {
    totals_.AddItems(per_type.Text(0), static_cast<std::uint64_t>(per_type.Int(1)), 0, 0);
  }
  if (rc != SQLITE_DONE) return Fail(db(), "count items", error);
  return true;
}

bool SqliteItemStore::Record(UploadRecord* record, DataItems items, std::string* error) {
  base::MutexLock lock(&mutex_);
  Transaction transaction(db());
  if (!transaction.begun()) return Fail(db(), "begin", error);
  bool accepted = record->status >= 200 && record->status < 300;
  record->duplicate = false;
  if (accepted && !record->request_id.empty()) {
    seen_.Reset();
    seen_.BindStatic(1, record->request_id);
    int rc = seen_.Step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(db(), "look up request id", error);
    record->duplicate = rc == SQLITE_ROW;
    seen_.Reset();
  }
  record->item_count = items.count;
  insert_request_.Reset();
  insert_request_.BindStatic(1, record->endpoint)
      .BindStatic(2, record->request_id)
      .BindStatic(3, record->data_type)
      .BindStatic(4, record->ip_name)
      .BindStatic(5, record->resource_id)
      .Bind(6, std::int64_t{record->status})
      .Bind(7, std::int64_t{record->duplicate ? 1 : 0})
      .Bind(8, static_cast<std::int64_t>(record->item_count))
      .Bind(9, record->received_ms)
      .BindStatic(10, record->message)
      .BindStatic(11, record->headers_json)
      .Bind(12, static_cast<std::int64_t>(record->body_bytes))
      .Bind(13, static_cast<std::int64_t>(record->json_bytes))
      .BindStatic(14, record->schema_json);
  int rc = insert_request_.Step();
  insert_request_.Reset();
  if (rc != SQLITE_DONE) return Fail(db(), "insert request", error);
  std::int64_t request_row = sqlite3_last_insert_rowid(db());
  if (accepted && !record->duplicate && items.has_texts) {
    // One statement for every item, rebinding only the item: the other columns are the same.
    insert_item_.Reset();
    insert_item_.Bind(1, request_row)
        .BindStatic(2, record->data_type)
        .BindStatic(3, record->ip_name)
        .BindStatic(4, record->request_id)
        .BindStatic(5, record->resource_id)
        .Bind(6, record->received_ms);
    for (std::size_t i = 0; i < items.count; ++i) {
      insert_item_.BindStatic(7, items.Text(i));
      if (insert_item_.Step() != SQLITE_DONE) {
        insert_item_.Reset();
        return Fail(db(), "insert item", error);
      }
      sqlite3_reset(insert_item_.get());
    }
    insert_item_.Reset();
  }
  if (!transaction.Commit()) return Fail(db(), "commit", error);
  totals_.Add(*record);
  return true;
}

bool SqliteItemStore::Items(std::string_view data_type, std::size_t offset, std::size_t limit,
                            std::vector<std::string>* items, std::uint64_t* total,
                            std::string* error) {
  base::MutexLock lock(&mutex_);
  items->clear();
  bool all = data_type.empty();
  *total = totals_.Items(data_type);
  Statement select(db(), all ? "SELECT item FROM items ORDER BY id LIMIT ?2 OFFSET ?3"
                             : "SELECT item FROM items WHERE data_type = ?1 ORDER BY id "
                               "LIMIT ?2 OFFSET ?3");
  if (!select.ok()) return Fail(db(), "select items", error);
  if (!all) select.Bind(1, data_type);
  select.Bind(2, static_cast<std::int64_t>(limit)).Bind(3, static_cast<std::int64_t>(offset));
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) items->push_back(select.Text(0));
  if (rc != SQLITE_DONE) return Fail(db(), "select items", error);
  return true;
}

bool SqliteItemStore::ItemsWithMeta(std::string_view data_type, std::size_t offset,
                                    std::size_t limit, std::vector<StoredItem>* items,
                                    std::uint64_t* total, std::string* error) {
  base::MutexLock lock(&mutex_);
  items->clear();
  bool all = data_type.empty();
  *total = totals_.Items(data_type);
  Statement select(db(), all ? "SELECT item, data_type, ip_name, request_id, resource_id, "
                               "received_ms FROM items ORDER BY id LIMIT ?2 OFFSET ?3"
                             : "SELECT item, data_type, ip_name, request_id, resource_id, "
                               "received_ms FROM items WHERE data_type = ?1 ORDER BY id "
                               "LIMIT ?2 OFFSET ?3");
  if (!select.ok()) return Fail(db(), "select items", error);
  if (!all) select.Bind(1, data_type);
  select.Bind(2, static_cast<std::int64_t>(limit)).Bind(3, static_cast<std::int64_t>(offset));
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) {
    items->push_back(StoredItem{.text = select.Text(0),
                                .data_type = select.Text(1),
                                .ip_name = select.Text(2),
                                .request_id = select.Text(3),
                                .resource_id = select.Text(4),
                                .received_ms = select.Int(5)});
  }
  if (rc != SQLITE_DONE) return Fail(db(), "select items", error);
  return true;
}

bool SqliteItemStore::Requests(std::size_t offset, std::size_t limit,
                               std::vector<UploadRecord>* records, std::uint64_t* total,
                               std::string* error) {
  base::MutexLock lock(&mutex_);
  records->clear();
  *total = totals_.Snapshot().requests;
  Statement select(db(),
                   "SELECT endpoint, request_id, data_type, ip_name, resource_id, status, "
                   "duplicate, item_count, received_ms, message, headers, body_bytes, json_bytes, "
                   "schema FROM requests ORDER BY id LIMIT ?1 OFFSET ?2");
  if (!select.ok()) return Fail(db(), "select requests", error);
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
    record.headers_json = select.Text(10);
    record.body_bytes = static_cast<std::uint64_t>(select.Int(11));
    record.json_bytes = static_cast<std::uint64_t>(select.Int(12));
    record.schema_json = select.Text(13);
    records->push_back(std::move(record));
  }
  if (rc != SQLITE_DONE) return Fail(db(), "select requests", error);
  return true;
}

bool SqliteItemStore::Stats(StoreStats* stats, std::string*) {
  base::MutexLock lock(&mutex_);
  *stats = totals_.Snapshot();
  return true;
}

bool SqliteItemStore::Clear(std::string* error) {
  base::MutexLock lock(&mutex_);
  Transaction transaction(db());
  if (!transaction.begun()) return Fail(db(), "begin", error);
  if (sqlite3_exec(db(), "DELETE FROM items; DELETE FROM requests;", nullptr, nullptr, nullptr) !=
      SQLITE_OK) {
    return Fail(db(), "clear", error);
  }
  if (!transaction.Commit()) return Fail(db(), "commit", error);
  totals_.Clear();
  return true;
}

}  // namespace

std::unique_ptr<ItemStore> ItemStore::Open(const std::filesystem::path& path, std::string* error) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // Closes the connection on every early return; the store takes it at the end.
  Database owner(raw);
  if (rc != SQLITE_OK) {
    *error = fmt::format("opening {}: {}", path.string(),
                         raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    return nullptr;
  }
  sqlite3_busy_timeout(raw, 5000);
  // Storing 3 MB uploads one after the other (the store alone, on the 2-core machines):
  // 4 KiB pages with SQLite's defaults (a 2 MiB cache, a checkpoint every 1000 pages) stored
  // ~14 requests of 9443 items a second; 64 KiB pages, a 64 MiB cache and a checkpoint only
  // every 256 MiB of WAL ~40-46, because the index and the last pages are then rewritten far
  // less often (a checkpoint copies every page the WAL holds). The page size applies to a new
  // file only (before its first table); an older file keeps its own.
  if (sqlite3_exec(raw,
                   "PRAGMA page_size=65536; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                   "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=4096;",
                   nullptr, nullptr, nullptr) != SQLITE_OK) {
    Fail(raw, "setting WAL mode", error);
    return nullptr;
  }
  std::uint64_t version = 0;
  if (!Count(raw, "PRAGMA user_version", {}, &version, error)) return nullptr;
  for (auto [from, upgrade] : {std::pair{1, kUpgradeFrom1}, std::pair{2, kUpgradeFrom2}}) {
    if (version != static_cast<std::uint64_t>(from)) continue;
    Transaction transaction(raw);
    if (!transaction.begun() ||
        sqlite3_exec(raw, upgrade, nullptr, nullptr, nullptr) != SQLITE_OK ||
        !transaction.Commit()) {
      Fail(raw, fmt::format("upgrading the schema from version {}", from), error);
      return nullptr;
    }
    version = static_cast<std::uint64_t>(from + 1);
  }
  if (version != 0 && version != kSchemaVersion) {
    *error = fmt::format("{} has schema version {}, this mockcloud knows {}; remove the file",
                         path.string(), version, kSchemaVersion);
    return nullptr;
  }
  if (sqlite3_exec(raw, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    Fail(raw, "creating the schema", error);
    return nullptr;
  }
  if (version == 0) {
    std::string set = fmt::format("PRAGMA user_version={}", kSchemaVersion);
    if (sqlite3_exec(raw, set.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      Fail(raw, "setting the schema version", error);
      return nullptr;
    }
  }
  auto store = std::make_unique<SqliteItemStore>(owner.release());
  if (!store->ok()) {
    Fail(raw, "preparing statements", error);
    return nullptr;
  }
  if (!store->LoadTotals(error)) return nullptr;
  return store;
}

}  // namespace mockcloud
