#ifndef AMAHOST_LOCALSTORE_DATABASE_H_
#define AMAHOST_LOCALSTORE_DATABASE_H_

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

namespace localstore {

// Maps a SQLite result code to a localstore::Errc (kDiskFull, kNotATable or kSqlite).
// kDiskFull = SQLITE_FULL (no space, or the max_page_count cap), or an I/O error whose
// `system_errno` (sqlite3_system_errno) is ENOSPC or EDQUOT: SQLite reports a full disk as
// SQLITE_FULL from write(2) but as SQLITE_IOERR_* from fsync, ftruncate or the -shm file.
std::error_code SqliteError(int rc, int system_errno = 0);

// Owns one sqlite3 connection. Not thread-safe: the owner serialises its use.
class Database {
 public:
  Database() = default;
  ~Database() { Close(); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens `path` with sqlite3_open_v2 `flags` and a busy timeout. Returns a SQLite result code.
  int Open(const std::filesystem::path& path, int flags);
  // Closes the connection; statements still alive keep it as a zombie until they are finalized.
  void Close();

  sqlite3* get() const { return db_; }
  // Runs statements without results (no parameters: only for fixed SQL text).
  int Exec(const char* sql);
  // Runs a statement that returns one value in one row (e.g. a PRAGMA) and reads it as text.
  int QueryText(const char* sql, std::string* value);
  int QueryInt(const char* sql, std::int64_t* value);
  // The last error of this connection, for logs.
  std::string ErrorMessage() const;
  // SqliteError(rc) with this connection's system errno; call it before the next use of the
  // connection (a ROLLBACK would overwrite the errno).
  std::error_code Error(int rc) const;

 private:
  sqlite3* db_ = nullptr;
};

// A statement prepared once and reused; finalized on destruction. Use it through StatementUse.
class Statement {
 public:
  Statement() = default;
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Returns a SQLite result code.
  int Prepare(Database& db, std::string_view sql);
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// One use of a prepared Statement: binds, steps and reads columns; resets the statement and
// clears its bindings on destruction. Text and blobs are bound without copying, so they must
// outlive this object.
class StatementUse {
 public:
  explicit StatementUse(Statement& statement) : stmt_(statement.get()) {}
  ~StatementUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

  // Indexes start at 1, as in SQLite. Return SQLite result codes.
  int BindInt(int index, std::int64_t value) { return sqlite3_bind_int64(stmt_, index, value); }
  int BindText(int index, std::string_view value);
  int BindBlob(int index, std::string_view value);

  // SQLITE_ROW, SQLITE_DONE or an error.
  int Step() { return sqlite3_step(stmt_); }

  // Columns of the current row; indexes start at 0.
  std::int64_t ColumnInt(int index) { return sqlite3_column_int64(stmt_, index); }
  std::string_view ColumnText(int index);
  std::string_view ColumnBlob(int index);
  bool ColumnIsNull(int index) { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_;
};

// Sets `synchronous = NORMAL` on a connection whose setting is FULL for as long as it lives, and
// FULL again after: for writes that must survive a process crash but need not survive a power
// loss. Declare it before the Transaction it covers, so that the transaction ends first.
class RelaxedSync {
 public:
  RelaxedSync(Database& db, bool synchronous_full) : db_(db), full_(synchronous_full) {
    if (full_) db_.Exec("PRAGMA synchronous = NORMAL");
  }
  ~RelaxedSync() {
    if (full_) db_.Exec("PRAGMA synchronous = FULL");
  }
  RelaxedSync(const RelaxedSync&) = delete;
  RelaxedSync& operator=(const RelaxedSync&) = delete;

 private:
  Database& db_;
  bool full_;
};

// Column values as the counters keep them: negative → 0; counts saturate at UINT32_MAX.
inline std::uint64_t ToU64(std::int64_t value) {
  return value < 0 ? 0 : static_cast<std::uint64_t>(value);
}
inline std::uint32_t ToCount(std::int64_t value) {
  if (value < 0) return 0;
  if (value > std::numeric_limits<std::uint32_t>::max()) {
    return std::numeric_limits<std::uint32_t>::max();
  }
  return static_cast<std::uint32_t>(value);
}
inline std::uint64_t SaturatingSub(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }

// BEGIN IMMEDIATE on construction via Begin(); rolls back on destruction unless committed.
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

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_DATABASE_H_
