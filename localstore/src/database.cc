#include "database.h"

#include <cerrno>

#include "localstore/errc.h"

namespace localstore {
namespace {

// Long enough to ride out a reader tool's checkpoint, short enough that a stuck lock surfaces
// as an error instead of a hung commit thread.
constexpr int kBusyTimeoutMs = 5000;

}  // namespace

std::error_code SqliteError(int rc, int system_errno) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Errc::kDiskFull;
    case SQLITE_IOERR:
      // SQLite records no errno for SQLITE_IOERR_NOMEM: the one it holds is stale.
      if (rc == SQLITE_IOERR_NOMEM) return Errc::kSqlite;
      return system_errno == ENOSPC || system_errno == EDQUOT ? Errc::kDiskFull : Errc::kSqlite;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return Errc::kNotATable;
    default:
      return Errc::kSqlite;
  }
}

int Database::Open(const std::filesystem::path& path, int flags) {
  int rc = sqlite_util::Database::Open(path, flags | SQLITE_OPEN_EXRESCODE, kBusyTimeoutMs);
  if (rc != SQLITE_OK) return rc;
  sqlite3_extended_result_codes(get(), 1);
  return SQLITE_OK;
}

}  // namespace localstore
