#include "snapshot.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include "base/files.h"
#include "sqlite_util/database.h"

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

using sqlite_util::Statement;
using sqlite_util::StatementUse;
using sqlite_util::Transaction;

constexpr int kBusyTimeoutMs = 5000;

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
  auto db = std::make_unique<sqlite_util::Database>();
  if (db->Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, kBusyTimeoutMs) != SQLITE_OK) {
    *error = fmt::format("cannot open {}: {}", path,
                         db->get() ? db->ErrorMessage() : std::string("out of memory"));
    return std::make_error_code(std::errc::io_error);
  }
  snapshot->reset(new Snapshot(std::move(db), folder, max_pending));
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

Snapshot::Snapshot(std::unique_ptr<sqlite_util::Database> db, std::filesystem::path folder,
                   std::size_t max_pending)
    : db_(std::move(db)), folder_(std::move(folder)), max_pending_(max_pending) {}

Snapshot::~Snapshot() = default;

std::error_code Snapshot::Exec(const char* sql) {
  if (db_->Exec(sql) != SQLITE_OK) {
    last_error_ = db_->ErrorMessage();
    return std::make_error_code(std::errc::io_error);
  }
  return {};
}

std::error_code Snapshot::Fail(const char* what) {
  last_error_ = fmt::format("{}: {}", what, db_->ErrorMessage());
  return std::make_error_code(std::errc::io_error);
}

bool Snapshot::Has(Kind kind) {
  Statement select;
  if (select.Prepare(*db_, "SELECT 1 FROM collections WHERE kind = ?") != SQLITE_OK) return false;
  StatementUse use(select);
  use.BindText(1, KindName(kind));
  return use.Step() == SQLITE_ROW;
}

std::error_code Snapshot::Load(Kind kind, Items* items) {
  items->clear();
  Statement select;
  if (select.Prepare(*db_, "SELECT key, fields FROM items WHERE kind = ?") != SQLITE_OK) {
    return Fail("reading the snapshot");
  }
  StatementUse use(select);
  use.BindText(1, KindName(kind));
  int step;
  while ((step = use.Step()) == SQLITE_ROW) {
    Item item;
    item.key = use.ColumnString(0);
    if (!ParseFieldsJson(use.ColumnString(1), &item)) continue;  // a damaged row: collected anew
    std::string key = item.key;
    (*items)[key] = std::move(item);
  }
  return step == SQLITE_DONE ? std::error_code() : Fail("reading the snapshot");
}

std::optional<std::int64_t> Snapshot::LastInventory(Kind kind) {
  Statement select;
  if (select.Prepare(*db_, "SELECT inventory FROM collections WHERE kind = ?") != SQLITE_OK) {
    return std::nullopt;
  }
  StatementUse use(select);
  use.BindText(1, KindName(kind));
  if (use.Step() != SQLITE_ROW || use.ColumnIsNull(0)) return std::nullopt;
  return use.ColumnInt(0);
}

std::error_code Snapshot::Commit(Kind kind, const Items& items, const std::vector<Record>& records,
                                 std::int64_t now, std::optional<std::int64_t> inventory_time) {
  Transaction transaction(*db_);
  if (transaction.Begin() != SQLITE_OK) return Fail("starting a transaction");
  {
    Statement clear;
    clear.Prepare(*db_, "DELETE FROM items WHERE kind = ?");
    StatementUse clear_use(clear);
    clear_use.BindText(1, KindName(kind));
    if (clear_use.Step() != SQLITE_DONE) return Fail("replacing the snapshot");
    Statement insert;
    insert.Prepare(*db_, "INSERT INTO items(kind, key, fields) VALUES (?, ?, ?)");
    for (const auto& [key, item] : items) {
      StatementUse use(insert);
      use.BindText(1, KindName(kind));
      use.BindText(2, key);
      use.BindTextCopy(3, FieldsJson(item));
      if (use.Step() != SQLITE_DONE) return Fail("replacing the snapshot");
    }
    Statement collection;
    collection.Prepare(*db_,
                       "INSERT INTO collections(kind, collected, inventory) VALUES (?, ?, ?) "
                       "ON CONFLICT(kind) DO UPDATE SET collected = excluded.collected, "
                       "inventory = COALESCE(excluded.inventory, inventory)");
    StatementUse collection_use(collection);
    collection_use.BindText(1, KindName(kind));
    collection_use.BindInt(2, now);
    if (inventory_time) collection_use.BindInt(3, *inventory_time);
    if (collection_use.Step() != SQLITE_DONE) return Fail("noting the collection");
    Statement queue;
    queue.Prepare(*db_, "INSERT INTO outbox(data_type, record) VALUES (?, ?)");
    for (const Record& record : records) {
      StatementUse use(queue);
      use.BindText(1, record.data_type);
      use.BindText(2, record.json);
      if (use.Step() != SQLITE_DONE) return Fail("queueing records");
    }
    // The bound: the oldest records past max_pending go, counted.
    std::int64_t pending = 0;
    if (db_->QueryInt("SELECT COUNT(*) FROM outbox", &pending) != SQLITE_OK) {
      return Fail("counting the outbox");
    }
    const std::int64_t excess = pending - static_cast<std::int64_t>(max_pending_);
    if (excess > 0) {
      Statement drop;
      drop.Prepare(*db_,
                   "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)");
      StatementUse drop_use(drop);
      drop_use.BindInt(1, excess);
      if (drop_use.Step() != SQLITE_DONE) return Fail("bounding the outbox");
      Statement counter;
      counter.Prepare(*db_,
                      "INSERT INTO counters(name, value) VALUES ('dropped', ?) "
                      "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value");
      StatementUse counter_use(counter);
      counter_use.BindInt(1, db_->Changes());
      if (counter_use.Step() != SQLITE_DONE) return Fail("counting dropped records");
    }
  }
  if (transaction.Commit() != SQLITE_OK) return Fail("committing the snapshot");
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
  Statement select;
  if (select.Prepare(*db_, "SELECT id, data_type, record FROM outbox ORDER BY id LIMIT ?") !=
      SQLITE_OK) {
    return Fail("reading the outbox");
  }
  StatementUse use(select);
  use.BindInt(1, static_cast<std::int64_t>(limit));
  int step;
  while ((step = use.Step()) == SQLITE_ROW) {
    records->push_back({use.ColumnInt(0), {use.ColumnString(1), use.ColumnString(2)}});
  }
  return step == SQLITE_DONE ? std::error_code() : Fail("reading the outbox");
}

std::error_code Snapshot::Forget(const std::vector<std::int64_t>& ids) {
  Transaction transaction(*db_);
  if (transaction.Begin() != SQLITE_OK) return Fail("starting a transaction");
  {
    Statement remove;
    remove.Prepare(*db_, "DELETE FROM outbox WHERE id = ?");
    for (std::int64_t id : ids) {
      StatementUse use(remove);
      use.BindInt(1, id);
      if (use.Step() != SQLITE_DONE) return Fail("forgetting acknowledged records");
    }
  }
  return transaction.Commit() == SQLITE_OK ? std::error_code()
                                           : Fail("forgetting acknowledged records");
}

std::int64_t Snapshot::PendingCount() {
  std::int64_t count = 0;
  return db_->QueryInt("SELECT COUNT(*) FROM outbox", &count) == SQLITE_OK ? count : 0;
}

std::int64_t Snapshot::dropped() {
  std::int64_t value = 0;
  return db_->QueryInt("SELECT value FROM counters WHERE name = 'dropped'", &value) == SQLITE_OK
             ? value
             : 0;
}

}  // namespace ctagent
