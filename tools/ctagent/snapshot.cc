#include "snapshot.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include "base/files.h"

namespace ctagent {
namespace {

constexpr char kSchema[] = R"(
CREATE TABLE IF NOT EXISTS items(kind TEXT NOT NULL, key TEXT NOT NULL, fields TEXT NOT NULL,
                                 PRIMARY KEY(kind, key));
CREATE TABLE IF NOT EXISTS collections(kind TEXT PRIMARY KEY, collected INTEGER NOT NULL,
                                       inventory INTEGER);
CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY AUTOINCREMENT, data_type TEXT NOT NULL,
                                  record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
PRAGMA user_version = 1;
)";

// A prepared statement, finalised on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr); }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return statement_ != nullptr; }
  void Bind(int index, std::string_view text) {
    sqlite3_bind_text(statement_, index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
  }
  void Bind(int index, std::int64_t value) { sqlite3_bind_int64(statement_, index, value); }
  int Step() { return sqlite3_step(statement_); }
  void Reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  std::string Text(int column) {
    const unsigned char* text = sqlite3_column_text(statement_, column);
    return text ? std::string(reinterpret_cast<const char*>(text),
                              static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)))
                : std::string();
  }
  std::int64_t Int(int column) { return sqlite3_column_int64(statement_, column); }
  bool IsNull(int column) { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }

 private:
  sqlite3_stmt* statement_ = nullptr;
};

// Rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {
    ok_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~Transaction() {
    if (ok_ && !committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  bool ok() const { return ok_; }
  bool Commit() {
    committed_ = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
    return committed_;
  }

 private:
  sqlite3* db_;
  bool ok_ = false;
  bool committed_ = false;
};

}  // namespace

const char* ExportName(Kind kind) {
  switch (kind) {
    case Kind::kSoftware:
      return "Packages.json";
    case Kind::kDaemons:
      return "Services.json";
    case Kind::kFiles:
      return "File.json";
  }
  return "unknown.json";
}

std::error_code Snapshot::Open(const std::filesystem::path& folder, std::size_t max_pending,
                               std::unique_ptr<Snapshot>* snapshot, std::string* error) {
  std::string path = ":memory:";
  if (!folder.empty()) {
    if (std::error_code ec = base::CreateDirectories(folder, 0700)) {
      *error = fmt::format("cannot create the state folder {}: {}", folder.string(), ec.message());
      return ec;
    }
    path = (folder / "snapshot.db").string();
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    *error = fmt::format("cannot open {}: {}", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return std::make_error_code(std::errc::io_error);
  }
  snapshot->reset(new Snapshot(db, folder, max_pending));
  sqlite3_busy_timeout(db, 5000);
  if (std::error_code ec = (*snapshot)->Exec("PRAGMA journal_mode=WAL")) {
    *error = (*snapshot)->last_error();
    return ec;
  }
  if (std::error_code ec = (*snapshot)->Exec(kSchema)) {
    *error = fmt::format("{}: {}", path, (*snapshot)->last_error());
    return ec;
  }
  return {};
}

Snapshot::~Snapshot() { sqlite3_close(db_); }

std::error_code Snapshot::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    last_error_ = message ? message : "unknown SQLite error";
    sqlite3_free(message);
    return std::make_error_code(std::errc::io_error);
  }
  return {};
}

std::error_code Snapshot::Fail(const char* what) {
  last_error_ = fmt::format("{}: {}", what, sqlite3_errmsg(db_));
  return std::make_error_code(std::errc::io_error);
}

bool Snapshot::Has(Kind kind) {
  Statement select(db_, "SELECT 1 FROM collections WHERE kind = ?");
  if (!select.ok()) return false;
  select.Bind(1, KindName(kind));
  return select.Step() == SQLITE_ROW;
}

std::error_code Snapshot::Load(Kind kind, Items* items) {
  items->clear();
  Statement select(db_, "SELECT key, fields FROM items WHERE kind = ?");
  if (!select.ok()) return Fail("reading the snapshot");
  select.Bind(1, KindName(kind));
  int step;
  while ((step = select.Step()) == SQLITE_ROW) {
    Item item;
    item.key = select.Text(0);
    if (!ParseFieldsJson(select.Text(1), &item)) continue;  // a damaged row: collected anew
    std::string key = item.key;
    (*items)[key] = std::move(item);
  }
  return step == SQLITE_DONE ? std::error_code() : Fail("reading the snapshot");
}

std::optional<std::int64_t> Snapshot::LastInventory(Kind kind) {
  Statement select(db_, "SELECT inventory FROM collections WHERE kind = ?");
  if (!select.ok()) return std::nullopt;
  select.Bind(1, KindName(kind));
  if (select.Step() != SQLITE_ROW || select.IsNull(0)) return std::nullopt;
  return select.Int(0);
}

std::error_code Snapshot::Commit(Kind kind, const Items& items, const std::vector<Record>& records,
                                 std::int64_t now, std::optional<std::int64_t> inventory_time) {
  Transaction transaction(db_);
  if (!transaction.ok()) return Fail("starting a transaction");
  {
    Statement clear(db_, "DELETE FROM items WHERE kind = ?");
    clear.Bind(1, KindName(kind));
    if (clear.Step() != SQLITE_DONE) return Fail("replacing the snapshot");
    Statement insert(db_, "INSERT INTO items(kind, key, fields) VALUES (?, ?, ?)");
    for (const auto& [key, item] : items) {
      insert.Reset();
      insert.Bind(1, KindName(kind));
      insert.Bind(2, key);
      insert.Bind(3, FieldsJson(item));
      if (insert.Step() != SQLITE_DONE) return Fail("replacing the snapshot");
    }
    Statement collection(db_,
                         "INSERT INTO collections(kind, collected, inventory) VALUES (?, ?, ?) "
                         "ON CONFLICT(kind) DO UPDATE SET collected = excluded.collected, "
                         "inventory = COALESCE(excluded.inventory, inventory)");
    collection.Bind(1, KindName(kind));
    collection.Bind(2, now);
    if (inventory_time) collection.Bind(3, *inventory_time);
    if (collection.Step() != SQLITE_DONE) return Fail("noting the collection");
    Statement queue(db_, "INSERT INTO outbox(data_type, record) VALUES (?, ?)");
    for (const Record& record : records) {
      queue.Reset();
      queue.Bind(1, record.data_type);
      queue.Bind(2, record.json);
      if (queue.Step() != SQLITE_DONE) return Fail("queueing records");
    }
    // The bound: the oldest records past max_pending go, counted.
    Statement count(db_, "SELECT COUNT(*) FROM outbox");
    if (count.Step() != SQLITE_ROW) return Fail("counting the outbox");
    const std::int64_t excess = count.Int(0) - static_cast<std::int64_t>(max_pending_);
    if (excess > 0) {
      Statement drop(db_,
                     "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)");
      drop.Bind(1, excess);
      if (drop.Step() != SQLITE_DONE) return Fail("bounding the outbox");
      Statement counter(db_,
                        "INSERT INTO counters(name, value) VALUES ('dropped', ?) "
                        "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value");
      counter.Bind(1, static_cast<std::int64_t>(sqlite3_changes(db_)));
      if (counter.Step() != SQLITE_DONE) return Fail("counting dropped records");
    }
  }
  if (!transaction.Commit()) return Fail("committing the snapshot");
  return WriteExport(kind, items);
}

std::error_code Snapshot::WriteExport(Kind kind, const Items& items) {
  if (folder_.empty()) return {};
  std::string text = "[";
  for (const auto& [key, item] : items) {
    if (text.size() > 1) text += ",\n";
    text += FieldsJson(item);
  }
  text += "]\n";
  if (std::error_code ec = base::WriteFileAtomically(folder_ / ExportName(kind), text)) {
    last_error_ = fmt::format("writing {}: {}", ExportName(kind), ec.message());
    return ec;
  }
  return {};
}

std::error_code Snapshot::Pending(std::size_t limit, std::vector<PendingRecord>* records) {
  records->clear();
  Statement select(db_, "SELECT id, data_type, record FROM outbox ORDER BY id LIMIT ?");
  if (!select.ok()) return Fail("reading the outbox");
  select.Bind(1, static_cast<std::int64_t>(limit));
  int step;
  while ((step = select.Step()) == SQLITE_ROW) {
    records->push_back({select.Int(0), {select.Text(1), select.Text(2)}});
  }
  return step == SQLITE_DONE ? std::error_code() : Fail("reading the outbox");
}

std::error_code Snapshot::Forget(const std::vector<std::int64_t>& ids) {
  Transaction transaction(db_);
  if (!transaction.ok()) return Fail("starting a transaction");
  {
    Statement remove(db_, "DELETE FROM outbox WHERE id = ?");
    for (std::int64_t id : ids) {
      remove.Reset();
      remove.Bind(1, id);
      if (remove.Step() != SQLITE_DONE) return Fail("forgetting acknowledged records");
    }
  }
  return transaction.Commit() ? std::error_code() : Fail("forgetting acknowledged records");
}

std::int64_t Snapshot::PendingCount() {
  Statement count(db_, "SELECT COUNT(*) FROM outbox");
  return count.Step() == SQLITE_ROW ? count.Int(0) : 0;
}

std::int64_t Snapshot::dropped() {
  Statement select(db_, "SELECT value FROM counters WHERE name = 'dropped'");
  return select.Step() == SQLITE_ROW ? select.Int(0) : 0;
}

}  // namespace ctagent
