#ifndef AMAHOST_TOOLS_CTAGENT_RECORDS_H_
#define AMAHOST_TOOLS_CTAGENT_RECORDS_H_

#include <string>
#include <string_view>
#include <vector>

#include "collector.h"

namespace ctagent {

inline constexpr char kChangeDataType[] = "CONFIG_CHANGE_BLOB_V2";
inline constexpr char kInventoryDataType[] = "CONFIG_DATA_BLOB_V2";

// A record to send: its DATATYPE and its JSON object text.
struct Record {
  std::string data_type;
  std::string json;
};

// What every record carries besides an item's fields.
struct RecordContext {
  std::string computer;
  std::string time;  // TimeGenerated, FormatTime's form
};

// Fields an item keeps in the snapshot and its export but never sends, as they have no
// ConfigurationChange or ConfigurationData column: a file's contents (FileContents,
// FileContentsEncoding, FileContentsTruncated; docs/ctagent.md, "File contents"). Pure.
bool IsLocalField(std::string_view name);

// The CONFIG_CHANGE_BLOB_V2 records that take `previous` to `current`: Added, Removed and
// Modified (with FieldsChanged and the Previous* columns), in key order, shaped as
// docs/ctagent.md says. Local fields are not compared. Pure.
std::vector<Record> ChangeRecords(Kind kind, const Items& previous, const Items& current,
                                  const RecordContext& context);

// One CONFIG_DATA_BLOB_V2 record per item of `current`, its local fields left out. Pure.
std::vector<Record> InventoryRecords(Kind kind, const Items& current, const RecordContext& context);

// An item's fields as one JSON object and back (the snapshot's storage and the exports). False
// for text that is not an object of strings. Pure.
std::string FieldsJson(const Item& item);
bool ParseFieldsJson(std::string_view text, Item* item);

}  // namespace ctagent

#endif  // AMAHOST_TOOLS_CTAGENT_RECORDS_H_
