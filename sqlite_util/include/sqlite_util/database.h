#ifndef AMAHOST_SQLITE_UTIL_DATABASE_H_
#define AMAHOST_SQLITE_UTIL_DATABASE_H_

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

// RAII owners of SQLite's handles: a connection, prepared statements, one use of a statement
// (bind, step, read columns) and a transaction. Result codes are SQLite's (SQLITE_OK, …); each
// module maps them to its own errors and chooses its own pragmas. Every value goes into SQL
// through a parameter binding; Exec, QueryText and QueryInt are for fixed SQL text only.
// Not thread-safe: the owner of a Database serialises the use of it and of its statements.
namespace sqlite_util {

class StatementUse;

// Owns one sqlite3 connection.
class Database {
 public:
  Database() = default;
  ~Database() { Close(); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens `path` with sqlite3_open_v2 `flags`, then sets a busy timeout of `busy_timeout_ms`.
  // Returns a SQLite result code. After a failed open the handle SQLite made (if any) is kept
  // until Close(), so that ErrorMessage() can say why.
  int Open(const std::filesystem::path& path, int flags, int busy_timeout_ms);
  // Closes the connection; statements still alive keep it as a zombie until they are finalized.
  void Close();

  sqlite3* get() const { return db_; }
  // Runs statements without results (no parameters: only for fixed SQL text).
  int Exec(const char* sql);
  // Runs a statement that returns one value in one row (e.g. a PRAGMA) and reads it as text or
  // as an integer; SQLITE_NOTFOUND when it returns no row.
  int QueryText(const char* sql, std::string* value);
  int QueryInt(const char* sql, std::int64_t* value);
  // The last error of this connection (sqlite3_errmsg), "no connection" without one.
  std::string ErrorMessage() const;
  // The errno of the last failed system call (sqlite3_system_errno); 0 without a connection.
  int SystemErrno() const { return db_ == nullptr ? 0 : sqlite3_system_errno(db_); }
  // The row id of the last INSERT, and the rows the last statement changed.
  std::int64_t LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
  std::int64_t Changes() const { return sqlite3_changes64(db_); }

 private:
  // Runs `sql`, then `read` on its first row.
  int QueryOne(const char* sql, const std::function<void(StatementUse&)>& read);

  sqlite3* db_ = nullptr;
};

// A prepared statement; finalized on destruction. Use it through StatementUse.
//
// Either prepared at once (Prepare) or defined (Define) and prepared on its first use: a
// connection that keeps many statements, most of them rarely used, then pays only for those it
// uses, and Finalize() lets it close and reopen its connection without defining them again.
class Statement {
 public:
  Statement() = default;
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Prepares `sql` (one statement) on `db`, replacing what this held. Prepared with
  // SQLITE_PREPARE_PERSISTENT, a hint for statements kept and reused. Returns a SQLite result
  // code; on failure the statement is empty (ok() is false) and every use of it fails.
  int Prepare(Database& db, std::string_view sql);
  // Remembers `db` and `sql` and prepares on first use (StatementUse), on whatever connection
  // `db` holds then; a failure to prepare is the result of the use's Bind and Step calls. `sql`
  // is not copied: it must outlive the statement (a literal or a static string).
  void Define(Database& db, std::string_view sql);
  // Finalizes the prepared form; a defined statement prepares again on its next use. Call it
  // for every statement before the connection closes.
  void Finalize();
  bool ok() const { return stmt_ != nullptr; }
  sqlite3_stmt* get() const { return stmt_; }
  // The prepared statement, preparing a defined one first; null (and *rc set to why) when it
  // cannot be prepared or was never prepared nor defined.
  sqlite3_stmt* Ready(int* rc);

 private:
  sqlite3_stmt* stmt_ = nullptr;
  Database* db_ = nullptr;  // set by Define
  std::string_view sql_;
};

// One use of a prepared Statement: binds, steps and reads columns; resets the statement and
// clears its bindings on destruction. BindText and BindBlob bind without copying, so the value
// must outlive this object; BindTextCopy copies it.
//
// A statement that could not be prepared (see Statement::Define) makes every Bind and Step return
// the error that preparing it gave, so that the caller's usual check of Step reports it.
class StatementUse {
 public:
  explicit StatementUse(Statement& statement) : stmt_(statement.Ready(&prepare_rc_)) {}
  ~StatementUse() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

  // Indexes start at 1, as in SQLite. Return SQLite result codes. An empty text or blob is
  // bound as an empty value, never as NULL.
  int BindInt(int index, std::int64_t value) {
    return stmt_ == nullptr ? prepare_rc_ : sqlite3_bind_int64(stmt_, index, value);
  }
  int BindText(int index, std::string_view value);
  int BindTextCopy(int index, std::string_view value);
  int BindBlob(int index, std::string_view value);

  // SQLITE_ROW, SQLITE_DONE or an error.
  int Step() { return stmt_ == nullptr ? prepare_rc_ : sqlite3_step(stmt_); }
  // Ready to step again from the start, keeping the bindings (to rebind only some of them).
  void Reset() {
    if (stmt_ != nullptr) sqlite3_reset(stmt_);
  }

  // Columns of the current row; indexes start at 0. The views last until the next Step or
  // Reset.
  std::int64_t ColumnInt(int index) { return sqlite3_column_int64(stmt_, index); }
  double ColumnDouble(int index) { return sqlite3_column_double(stmt_, index); }
  std::string_view ColumnText(int index);
  std::string ColumnString(int index) { return std::string(ColumnText(index)); }
  std::string_view ColumnBlob(int index);
  bool ColumnIsNull(int index) { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

 private:
  int prepare_rc_ = SQLITE_OK;  // before stmt_: Ready() sets it
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE with Begin(); rolls back on destruction unless committed.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  int Begin();
  int Commit();

 private:
  Database& db_;
  bool open_ = false;
};

}  // namespace sqlite_util

#endif  // AMAHOST_SQLITE_UTIL_DATABASE_H_
