#ifndef AMAHOST_LOCALSTORE_DATABASE_H_
#define AMAHOST_LOCALSTORE_DATABASE_H_

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

#include "sqlite_util/database.h"

namespace localstore {

// Maps a SQLite result code to a localstore::Errc (kDiskFull, kNotATable or kSqlite).
// kDiskFull = SQLITE_FULL (no space, or the max_page_count cap), or an I/O error whose
// `system_errno` (sqlite3_system_errno) is ENOSPC or EDQUOT: SQLite reports a full disk as
// SQLITE_FULL from write(2) but as SQLITE_IOERR_* from fsync, ftruncate or the -shm file.
std::error_code SqliteError(int rc, int system_errno = 0);

// A connection as localstore opens it (extended result codes, a busy timeout) that names its
// errors as localstore::Errc. The statements, their uses and transactions are sqlite_util's.
// Not thread-safe: the owner serialises its use.
class Database : public sqlite_util::Database {
 public:
  // Opens `path` with sqlite3_open_v2 `flags`. Returns a SQLite result code.
  int Open(const std::filesystem::path& path, int flags);
  // SqliteError(rc) with this connection's system errno; call it before the next use of the
  // connection (a ROLLBACK would overwrite the errno).
  std::error_code Error(int rc) const { return SqliteError(rc, SystemErrno()); }
};

using sqlite_util::Statement;
using sqlite_util::StatementUse;
using sqlite_util::Transaction;

// Sets `synchronous = NORMAL` on a connection whose setting is FULL for as long as it lives, and
// FULL again after: for writes that must survive a process crash but need not survive a power
// loss. Declare it before the Transaction it covers, so that the transaction ends first.
class RelaxedSync {
 public:
  RelaxedSync(sqlite_util::Database& db, bool synchronous_full) : db_(db), full_(synchronous_full) {
    if (full_) db_.Exec("PRAGMA synchronous = NORMAL");
  }
  ~RelaxedSync() {
    if (full_) db_.Exec("PRAGMA synchronous = FULL");
  }
  RelaxedSync(const RelaxedSync&) = delete;
  RelaxedSync& operator=(const RelaxedSync&) = delete;

 private:
  sqlite_util::Database& db_;
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

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_DATABASE_H_
