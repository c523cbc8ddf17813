#ifndef AMAHOST_LOCALSTORE_ERRC_H_
#define AMAHOST_LOCALSTORE_ERRC_H_

#include <system_error>
#include <type_traits>

namespace localstore {

// Errors of the local store. Values are stable (they may appear in logs and metrics).
enum class Errc {
  kClosed = 1,              // the Store is closed
  kTableConflict = 2,       // the stream's file name belongs to a table of another stream id
  kSqlite = 3,              // SQLite failed; the details are logged
  kDiskFull = 4,            // no space left (or a table at its page cap); see Store::Close()
  kNotATable = 5,           // not a SQLite database, or not the schema of a stream table
  kUnsupportedVersion = 6,  // a table schema version (PRAGMA user_version) this build does not know
  kNoSuchStream = 7,        // no table holds that stream
  kNoSuchDeadLetter = 8,    // the stream has no dead letter with that id
  kTooManyTables = 9,       // a new table would pass StoreOptions::max_tables
};

const std::error_category& ErrorCategory();

inline std::error_code make_error_code(Errc e) { return {static_cast<int>(e), ErrorCategory()}; }

}  // namespace localstore

template <>
struct std::is_error_code_enum<localstore::Errc> : std::true_type {};

#endif  // AMAHOST_LOCALSTORE_ERRC_H_
