// The SQLite ItemStore: <state-dir>/items.db.

#include <fmt/format.h>
#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <utility>

#include "base/thread_annotations.h"
#include "mockcloud/item_store.h"
#include "sqlite_util/database.h"
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

using sqlite_util::Database;
using sqlite_util::Statement;
using sqlite_util::StatementUse;
using sqlite_util::Transaction;

// The connection's busy timeout.
constexpr int kBusyTimeoutMs = 5000;

bool Fail(const Database& db, std::string_view what, std::string* error) {
  *error = fmt::format("items.db: {}: {}", what, db.ErrorMessage());
  return false;
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
  // Opens (or creates) `path`, brings its schema to kSchemaVersion, prepares the statements and
  // counts what the file holds; once, before the store is shared, hence unlocked.
  bool Open(const std::filesystem::path& path, std::string* error) NO_THREAD_SAFETY_ANALYSIS;

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
  bool LoadTotals(std::string* error) EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Runs `sql_all` (no data_type given) or `sql_of_type` (?1 the data type), ?2 the limit and ?3
  // the offset, and `row` on every row.
  bool SelectItems(const char* sql_all, const char* sql_of_type, std::string_view data_type,
                   std::size_t offset, std::size_t limit,
                   const std::function<void(StatementUse&)>& row, std::string* error)
      EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  Database& db() EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return db_; }

  base::Mutex mutex_;
  // The connection and its statements are used under mutex_ only (SQLITE_OPEN_NOMUTEX).
  Database db_ GUARDED_BY(mutex_);
  // Declared after db_, so that they are finalized before it closes.
  Statement insert_request_ GUARDED_BY(mutex_);
  Statement insert_item_ GUARDED_BY(mutex_);
  Statement seen_ GUARDED_BY(mutex_);
  StoreTotals totals_ GUARDED_BY(mutex_);
};

bool SqliteItemStore::Open(const std::filesystem::path& path, std::string* error) {
  int rc = db_.Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                    kBusyTimeoutMs);
  if (rc != SQLITE_OK) {
    *error = fmt::format("opening {}: {}", path.string(),
                         db_.get() != nullptr ? db_.ErrorMessage() : sqlite3_errstr(rc));
    return false;
  }
  // Storing 3 MB uploads one after the other (the store alone, on the 2-core machines):
  // 4 KiB pages with SQLite's defaults (a 2 MiB cache, a checkpoint every 1000 pages) stored
  // ~14 requests of 9443 items a second; 64 KiB pages, a 64 MiB cache and a checkpoint only
  // every 256 MiB of WAL ~40-46, because the index and the last pages are then rewritten far
  // less often (a checkpoint copies every page the WAL holds). The page size applies to a new
  // file only (before its first table); an older file keeps its own.
  if (db_.Exec("PRAGMA page_size=65536; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
               "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=4096;") != SQLITE_OK) {
    return Fail(db_, "setting WAL mode", error);
  }
  std::int64_t version = 0;
  if (db_.QueryInt("PRAGMA user_version", &version) != SQLITE_OK) {
    return Fail(db_, "count", error);
  }
  for (auto [from, upgrade] : {std::pair{1, kUpgradeFrom1}, std::pair{2, kUpgradeFrom2}}) {
    if (version != from) continue;
    Transaction transaction(db_);
    if (transaction.Begin() != SQLITE_OK || db_.Exec(upgrade) != SQLITE_OK ||
        transaction.Commit() != SQLITE_OK) {
      return Fail(db_, fmt::format("upgrading the schema from version {}", from), error);
    }
    version = from + 1;
  }
  if (version != 0 && version != kSchemaVersion) {
    *error = fmt::format("{} has schema version {}, this mockcloud knows {}; remove the file",
                         path.string(), version, kSchemaVersion);
    return false;
  }
  if (db_.Exec(kSchema) != SQLITE_OK) return Fail(db_, "creating the schema", error);
  if (version == 0) {
    // A constant of ours, not a value from outside: PRAGMA takes no parameters.
    std::string set = fmt::format("PRAGMA user_version={}", kSchemaVersion);
    if (db_.Exec(set.c_str()) != SQLITE_OK) {
      return Fail(db_, "setting the schema version", error);
    }
  }
  if (insert_request_.Prepare(db_, kInsertRequest) != SQLITE_OK ||
      insert_item_.Prepare(db_, kInsertItem) != SQLITE_OK ||
      seen_.Prepare(db_, kSeen) != SQLITE_OK) {
    return Fail(db_, "preparing statements", error);
  }
  return LoadTotals(error);
}

bool SqliteItemStore::LoadTotals(std::string* error) {
  Statement requests;
  requests.Prepare(db(),
                   "SELECT COUNT(*), TOTAL(status BETWEEN 200 AND 299), TOTAL(duplicate != 0), "
                   "TOTAL(CASE WHEN status BETWEEN 200 AND 299 AND duplicate = 0 THEN json_bytes "
                   "END), TOTAL(CASE WHEN status BETWEEN 200 AND 299 AND duplicate = 0 THEN "
                   "body_bytes END) FROM requests");
  StatementUse counts(requests);
  if (!requests.ok() || counts.Step() != SQLITE_ROW) return Fail(db(), "count requests", error);
  auto total = [&](int column) { return static_cast<std::uint64_t>(counts.ColumnDouble(column)); };
  totals_.AddRequests(static_cast<std::uint64_t>(counts.ColumnInt(0)), total(1), total(2));
  totals_.AddItems({}, 0, total(3), total(4));
  Statement per_type;
  if (per_type.Prepare(db(), "SELECT data_type, COUNT(*) FROM items GROUP BY data_type") !=
      SQLITE_OK) {
    return Fail(db(), "count items", error);
  }
  StatementUse types(per_type);
  int rc;
  while ((rc = types.Step()) == SQLITE_ROW) {
    totals_.AddItems(types.ColumnString(0), static_cast<std::uint64_t>(types.ColumnInt(1)), 0, 0);
  }
  if (rc != SQLITE_DONE) return Fail(db(), "count items", error);
  return true;
}

bool SqliteItemStore::Record(UploadRecord* record, DataItems items, std::string* error) {
  base::MutexLock lock(&mutex_);
  Transaction transaction(db());
  if (transaction.Begin() != SQLITE_OK) return Fail(db(), "begin", error);
  bool accepted = record->status >= 200 && record->status < 300;
  record->duplicate = false;
  if (accepted && !record->request_id.empty()) {
    StatementUse seen(seen_);
    seen.BindText(1, record->request_id);
    int rc = seen.Step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(db(), "look up request id", error);
    record->duplicate = rc == SQLITE_ROW;
  }
  record->item_count = items.count;
  {
    StatementUse insert(insert_request_);
    insert.BindText(1, record->endpoint);
    insert.BindText(2, record->request_id);
    insert.BindText(3, record->data_type);
    insert.BindText(4, record->ip_name);
    insert.BindText(5, record->resource_id);
    insert.BindInt(6, record->status);
    insert.BindInt(7, record->duplicate ? 1 : 0);
    insert.BindInt(8, static_cast<std::int64_t>(record->item_count));
    insert.BindInt(9, record->received_ms);
    insert.BindText(10, record->message);
    insert.BindText(11, record->headers_json);
    insert.BindInt(12, static_cast<std::int64_t>(record->body_bytes));
    insert.BindInt(13, static_cast<std::int64_t>(record->json_bytes));
    insert.BindText(14, record->schema_json);
    if (insert.Step() != SQLITE_DONE) return Fail(db(), "insert request", error);
  }
  std::int64_t request_row = db().LastInsertRowId();
  if (accepted && !record->duplicate && items.has_texts) {
    // One statement for every item, rebinding only the item: the other columns are the same.
    StatementUse insert(insert_item_);
    insert.BindInt(1, request_row);
    insert.BindText(2, record->data_type);
    insert.BindText(3, record->ip_name);
    insert.BindText(4, record->request_id);
    insert.BindText(5, record->resource_id);
    insert.BindInt(6, record->received_ms);
    for (std::size_t i = 0; i < items.count; ++i) {
      insert.BindText(7, items.Text(i));
      if (insert.Step() != SQLITE_DONE) return Fail(db(), "insert item", error);
      insert.Reset();
    }
  }
  if (transaction.Commit() != SQLITE_OK) return Fail(db(), "commit", error);
  totals_.Add(*record);
  return true;
}

bool SqliteItemStore::SelectItems(const char* sql_all, const char* sql_of_type,
                                  std::string_view data_type, std::size_t offset, std::size_t limit,
                                  const std::function<void(StatementUse&)>& row,
                                  std::string* error) {
  bool all = data_type.empty();
  Statement select;
  if (select.Prepare(db(), all ? sql_all : sql_of_type) != SQLITE_OK) {
    return Fail(db(), "select items", error);
  }
  StatementUse use(select);
  if (!all) use.BindText(1, data_type);
  use.BindInt(2, static_cast<std::int64_t>(limit));
  use.BindInt(3, static_cast<std::int64_t>(offset));
  int rc;
  while ((rc = use.Step()) == SQLITE_ROW) row(use);
  if (rc != SQLITE_DONE) return Fail(db(), "select items", error);
  return true;
}

bool SqliteItemStore::Items(std::string_view data_type, std::size_t offset, std::size_t limit,
                            std::vector<std::string>* items, std::uint64_t* total,
                            std::string* error) {
  base::MutexLock lock(&mutex_);
  items->clear();
  *total = totals_.Items(data_type);
  return SelectItems(
      "SELECT item FROM items ORDER BY id LIMIT ?2 OFFSET ?3",
      "SELECT item FROM items WHERE data_type = ?1 ORDER BY id LIMIT ?2 OFFSET ?3", data_type,
      offset, limit, [&](StatementUse& use) { items->push_back(use.ColumnString(0)); }, error);
}

bool SqliteItemStore::ItemsWithMeta(std::string_view data_type, std::size_t offset,
                                    std::size_t limit, std::vector<StoredItem>* items,
                                    std::uint64_t* total, std::string* error) {
  base::MutexLock lock(&mutex_);
  items->clear();
  *total = totals_.Items(data_type);
  return SelectItems(
      "SELECT item, data_type, ip_name, request_id, resource_id, received_ms FROM items "
      "ORDER BY id LIMIT ?2 OFFSET ?3",
      "SELECT item, data_type, ip_name, request_id, resource_id, received_ms FROM items "
      "WHERE data_type = ?1 ORDER BY id LIMIT ?2 OFFSET ?3",
      data_type, offset, limit,
      [&](StatementUse& use) {
        items->push_back(StoredItem{.text = use.ColumnString(0),
                                    .data_type = use.ColumnString(1),
                                    .ip_name = use.ColumnString(2),
                                    .request_id = use.ColumnString(3),
                                    .resource_id = use.ColumnString(4),
                                    .received_ms = use.ColumnInt(5)});
      },
      error);
}

bool SqliteItemStore::Requests(std::size_t offset, std::size_t limit,
                               std::vector<UploadRecord>* records, std::uint64_t* total,
                               std::string* error) {
  base::MutexLock lock(&mutex_);
  records->clear();
  *total = totals_.Snapshot().requests;
  Statement select;
  if (select.Prepare(db(),
                     "SELECT endpoint, request_id, data_type, ip_name, resource_id, status, "
                     "duplicate, item_count, received_ms, message, headers, body_bytes, "
                     "json_bytes, schema FROM requests ORDER BY id LIMIT ?1 OFFSET ?2") !=
      SQLITE_OK) {
    return Fail(db(), "select requests", error);
  }
  StatementUse use(select);
  use.BindInt(1, static_cast<std::int64_t>(limit));
  use.BindInt(2, static_cast<std::int64_t>(offset));
  int rc;
  while ((rc = use.Step()) == SQLITE_ROW) {
    UploadRecord record;
    record.endpoint = use.ColumnString(0);
    record.request_id = use.ColumnString(1);
    record.data_type = use.ColumnString(2);
    record.ip_name = use.ColumnString(3);
    record.resource_id = use.ColumnString(4);
    record.status = static_cast<int>(use.ColumnInt(5));
    record.duplicate = use.ColumnInt(6) != 0;
    record.item_count = static_cast<std::size_t>(use.ColumnInt(7));
    record.received_ms = use.ColumnInt(8);
    record.message = use.ColumnString(9);
    record.headers_json = use.ColumnString(10);
    record.body_bytes = static_cast<std::uint64_t>(use.ColumnInt(11));
    record.json_bytes = static_cast<std::uint64_t>(use.ColumnInt(12));
    record.schema_json = use.ColumnString(13);
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
  if (transaction.Begin() != SQLITE_OK) return Fail(db(), "begin", error);
  if (db().Exec("DELETE FROM items; DELETE FROM requests;") != SQLITE_OK) {
    return Fail(db(), "clear", error);
  }
  if (transaction.Commit() != SQLITE_OK) return Fail(db(), "commit", error);
  totals_.Clear();
  return true;
}

}  // namespace

std::unique_ptr<ItemStore> ItemStore::Open(const std::filesystem::path& path, std::string* error) {
  auto store = std::make_unique<SqliteItemStore>();
  if (!store->Open(path, error)) return nullptr;
  return store;
}

}  // namespace mockcloud
