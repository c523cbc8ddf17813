#ifndef AMAHOST_LOCALSTORE_SCHEMA_H_
#define AMAHOST_LOCALSTORE_SCHEMA_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "database.h"
#include "localstore/batch_source.h"

namespace localstore {

// The schema of a stream table, version 4 (PRAGMA user_version):
//   meta(key TEXT PRIMARY KEY, value TEXT NOT NULL): stream_id, data_type, created_unix_ns, format
//   records(id INTEGER PRIMARY KEY AUTOINCREMENT, received_unix_ns, count, entries BLOB,
//           encoding INTEGER NOT NULL DEFAULT 0, raw_bytes INTEGER,
//           min_event_unix_ns INTEGER, max_event_unix_ns INTEGER)
//   uploads(id INTEGER PRIMARY KEY, first_row, last_row, request_id TEXT, channel TEXT,
//           created_unix_ns): the upload journal, one row per batch recorded before it was
//           first sent and deleted with the batch's rows (BatchSource::RecordUpload)
//   dead_letters(id INTEGER PRIMARY KEY AUTOINCREMENT, created_unix_ns, received_unix_ns, count,
//           entries BLOB, encoding, raw_bytes, status, response TEXT, request_id TEXT,
//           endpoint TEXT, min_event_unix_ns INTEGER, max_event_unix_ns INTEGER): records a
//           receiver refused for good, kept apart (BatchSource)
//   indexes records_by_max_event ON records(max_event_unix_ns) and dead_letters_by_max_event
//           ON dead_letters(max_event_unix_ns), so that a retention sweep that finds nothing to
//           remove reads a few index pages, not every row (Store, "Retention")
//   index records_by_size ON records(raw_bytes, count), outside the versioned schema (see
//           EnsureSizeIndex): opening a table counts its backlog from it alone, since a column
//           after `entries` lives at the end of the row's overflow pages, so reading raw_bytes
//           from the rows reads every page of the table
// AUTOINCREMENT so that a row id is never reused after deletes: readers resume "after row id".
// `encoding` says how `entries` holds the row's Fluent entries (RowEncoding: 0 as they are,
// 1 zstd) and `raw_bytes` their size before that; NULL in rows written under version 1, whose
// entries are plain (so their size is length(entries)). `min_event_unix_ns`/`max_event_unix_ns`
// are the earliest and latest event time of the row's records (nanoseconds since the Unix
// epoch); NULL until known: in rows written before version 4 and rows whose sender did not give
// them, until a retention sweep reads them from the entries (or, for entries it cannot read,
// sets both to received_unix_ns).
//
// Version 1 had no encoding or raw_bytes, version 2 no uploads or dead_letters, version 3 no
// event times: what an older table gets when it is opened read-write (MigrateSchema), so every
// kind of table ends up alike.
inline constexpr int kSchemaVersion = 4;
inline constexpr int kOldestSchemaVersion = 1;
inline constexpr std::string_view kFormat = "fluent-entries-msgpack-v1";
// The uncompressed size of a row's entries, in SQL.
inline constexpr std::string_view kRawBytesSql = "coalesce(raw_bytes, length(entries))";

// The columns of a dead letter but its entries, in the order ReadDeadLetterColumns takes them
// (then `entries, encoding` when a query wants them too, as columns 9 and 10).
inline constexpr char kDeadLetterColumnsSql[] =
    "id, created_unix_ns, received_unix_ns, count, raw_bytes, status, response, request_id, "
    "endpoint";
// Reads those columns of the current row into *letter, entries cleared.
void ReadDeadLetterColumns(StatementUse& use, DeadLetter* letter);

// Creates the schema and meta rows in the empty database `db`, in one transaction, so that a
// crash leaves either no schema or all of it. Returns a SQLite result code.
int CreateSchema(Database& db, std::string_view stream_id, std::int64_t created_unix_ns);

// Checks the version, the tables' columns and the meta rows; on success sets *stream_id and
// *version (kOldestSchemaVersion..kSchemaVersion). On failure returns kUnsupportedVersion,
// kNotATable or a SQLite error, and *why says what is wrong.
std::error_code CheckSchema(Database& db, std::string* stream_id, int* version, std::string* why);

// Creates records_by_size if it is missing: in every new table, and in a table written by an
// earlier release on its first open (one pass over the rows, once). Not part of the versioned
// schema: readers and older releases neither need nor mind it. Returns a SQLite result code.
int EnsureSizeIndex(Database& db);

// Brings a table CheckSchema accepted at `version` to kSchemaVersion in one transaction: adds
// the columns and tables, leaves every row as it is (old rows read as plain). Returns a SQLite
// result code.
int MigrateSchema(Database& db, int version);

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_SCHEMA_H_
