#ifndef AMAHOST_MOCKCLOUD_UPLOAD_SCANNER_H_
#define AMAHOST_MOCKCLOUD_UPLOAD_SCANNER_H_

// The one-pass reader of upload bodies behind ParseOdsUpload and ParseLogsUpload; private to
// upload_parser.cc, which turns what it finds into verdicts. Pure; thread-safe.

#include <cstddef>
#include <optional>
#include <string>

#include "mockcloud/data_items.h"
#include "mockcloud/schema_check.h"
#include "mockcloud/table_schema.h"
#include "mockcloud/upload_parser.h"

namespace mockcloud {

enum class UploadKind {
  kOds,   // {"DataType":…,"IPName":…,"DataItems":[{…},…],…}
  kLogs,  // [{…},…]
};

// What one pass over an upload's JSON found, for the checks to judge in their own order.
struct UploadShape {
  // One of the ODS names (DataType, IPName): its first value (a key given twice counts once, as a
  // DOM's FindMember would find it).
  struct Name {
    enum class State { kMissing, kString, kNotString } state = State::kMissing;
    std::string value;
  };
  enum class Root { kNone, kObject, kArray, kOther } root = Root::kNone;
  Name data_type;                                                            // ODS only
  Name ip_name;                                                              // ODS only
  enum class Items { kMissing, kArray, kNotArray } items = Items::kMissing;  // ODS: DataItems
  // The first element of the items array (DataItems, or the Logs Ingestion body) that is not an
  // object.
  std::optional<std::size_t> first_non_object;
};

// The schema check done during the scan, so that it costs no second pass over the items.
struct SchemaScan {
  const SchemaSet* schemas = nullptr;  // ODS: the table is looked up by the body's DataType
  const TableSchema* table = nullptr;  // Logs Ingestion: the stream's table, if any
  // Set when the items array began with a table known: then every item was fed to it. An ODS
  // body whose DataType comes after its DataItems leaves it empty.
  std::optional<SchemaChecker> checker;
};

// Reads the JSON in `body` once, in place (it is modified), noting its shape in `shape` and
// counting into `items` the objects of its items array, with their compact JSON text when
// `capture` is kTexts (the text a DOM parse and re-serialisation would give). False when the text
// is not JSON by codec::ParseJson's rules (UTF-8 strings after unescaping, no NUL, nothing after
// the value, nesting at most `max_depth`), with `error` worded as codec::ParseJson words it.
// With `schema` (may be null), the items are also fed to a SchemaChecker as they are read.
bool ScanUpload(UploadKind kind, std::string* body, int max_depth, ItemCapture capture,
                DataItems* items, UploadShape* shape, std::string* error,
                SchemaScan* schema = nullptr);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_UPLOAD_SCANNER_H_
