#ifndef AMAHOST_LOCALSTORE_SCHEMA_H_
#define AMAHOST_LOCALSTORE_SCHEMA_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "database.h"

namespace localstore {

// The schema of a stream table, version 1 (PRAGMA user_version):
//   meta(key TEXT PRIMARY KEY, value TEXT NOT NULL): stream_id, data_type, created_unix_ns, format
//   records(id INTEGER PRIMARY KEY AUTOINCREMENT, received_unix_ns, count, entries BLOB)
// AUTOINCREMENT so that a row id is never reused after deletes: readers resume "after row id".
inline constexpr int kSchemaVersion = 1;
inline constexpr std::string_view kFormat = "fluent-entries-msgpack-v1";

// Creates the schema and meta rows in the empty database `db`, in one transaction, so that a
// crash leaves either no schema or all of it. Returns a SQLite result code.
int CreateSchema(Database& db, std::string_view stream_id, std::int64_t created_unix_ns);

// Checks the version, the tables' columns and the meta rows; on success sets *stream_id. On
// failure returns kUnsupportedVersion, kNotATable or a SQLite error, and *why says what is wrong.
std::error_code CheckSchema(Database& db, std::string* stream_id, std::string* why);

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_SCHEMA_H_
