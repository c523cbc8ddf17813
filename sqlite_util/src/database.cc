#include "sqlite_util/database.h"

namespace sqlite_util {
namespace {

// SQLite treats a null pointer as NULL, but an empty text or blob is still a value.
const char kEmpty[1] = {0};

}  // namespace

int Database::Open(const std::filesystem::path& path, int flags, int busy_timeout_ms) {
  Close();
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) return rc;
  return sqlite3_busy_timeout(db_, busy_timeout_ms);
}

void Database::Close() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
}

int Database::Exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }

int Database::QueryText(const char* sql, std::string* value) {
  return QueryOne(sql, [&](StatementUse& use) { value->assign(use.ColumnText(0)); });
}

int Database::QueryInt(const char* sql, std::int64_t* value) {
  return QueryOne(sql, [&](StatementUse& use) { *value = use.ColumnInt(0); });
}

int Database::QueryOne(const char* sql, const std::function<void(StatementUse&)>& read) {
  Statement statement;
  int rc = statement.Prepare(*this, sql);
  if (rc != SQLITE_OK) return rc;
  StatementUse use(statement);
  rc = use.Step();
  if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? SQLITE_NOTFOUND : rc;
  read(use);
  return SQLITE_OK;
}

std::string Database::ErrorMessage() const {
  return db_ == nullptr ? std::string("no connection") : std::string(sqlite3_errmsg(db_));
}

int Statement::Prepare(Database& db, std::string_view sql) {
  Finalize();
  db_ = nullptr;  // prepared now or never: not again on use
  return sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()),
                            SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
}

void Statement::Define(Database& db, std::string_view sql) {
  Finalize();
  db_ = &db;
  sql_ = sql;
}

void Statement::Finalize() {
  sqlite3_finalize(stmt_);
  stmt_ = nullptr;
}

sqlite3_stmt* Statement::Ready(int* rc) {
  *rc = SQLITE_OK;
  if (stmt_ != nullptr) return stmt_;
  if (db_ == nullptr) {
    *rc = SQLITE_MISUSE;
    return nullptr;
  }
  if (db_->get() == nullptr) {
    *rc = SQLITE_CANTOPEN;  // the connection is closed
    return nullptr;
  }
  *rc = sqlite3_prepare_v3(db_->get(), sql_.data(), static_cast<int>(sql_.size()),
                           SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (*rc != SQLITE_OK) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }
  return stmt_;
}

int StatementUse::BindText(int index, std::string_view value) {
  if (stmt_ == nullptr) return prepare_rc_;
  return sqlite3_bind_text64(stmt_, index, value.empty() ? kEmpty : value.data(), value.size(),
                             SQLITE_STATIC, SQLITE_UTF8);
}

int StatementUse::BindTextCopy(int index, std::string_view value) {
  if (stmt_ == nullptr) return prepare_rc_;
  return sqlite3_bind_text64(stmt_, index, value.empty() ? kEmpty : value.data(), value.size(),
                             SQLITE_TRANSIENT, SQLITE_UTF8);
}

int StatementUse::BindBlob(int index, std::string_view value) {
  if (stmt_ == nullptr) return prepare_rc_;
  return sqlite3_bind_blob64(stmt_, index, value.empty() ? kEmpty : value.data(), value.size(),
                             SQLITE_STATIC);
}

std::string_view StatementUse::ColumnText(int index) {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  int size = sqlite3_column_bytes(stmt_, index);
  if (text == nullptr || size <= 0) return {};
  return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

std::string_view StatementUse::ColumnBlob(int index) {
  const void* blob = sqlite3_column_blob(stmt_, index);
  int size = sqlite3_column_bytes(stmt_, index);
  if (blob == nullptr || size <= 0) return {};
  return {static_cast<const char*>(blob), static_cast<std::size_t>(size)};
}

Transaction::~Transaction() {
  // SQLite rolls back by itself after some errors (e.g. SQLITE_FULL); only roll back what is
  // still open.
  if (open_ && sqlite3_get_autocommit(db_.get()) == 0) db_.Exec("ROLLBACK");
}

int Transaction::Begin() {
  int rc = db_.Exec("BEGIN IMMEDIATE");
  open_ = rc == SQLITE_OK;
  return rc;
}

int Transaction::Commit() {
  int rc = db_.Exec("COMMIT");
  // A failed COMMIT may leave the transaction open (e.g. SQLITE_BUSY); the destructor then
  // rolls it back.
  if (rc == SQLITE_OK) open_ = false;
  return rc;
}

}  // namespace sqlite_util
