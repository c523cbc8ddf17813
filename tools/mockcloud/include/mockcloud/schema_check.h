#ifndef AMAHOST_MOCKCLOUD_SCHEMA_CHECK_H_
#define AMAHOST_MOCKCLOUD_SCHEMA_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mockcloud/data_items.h"
#include "mockcloud/table_schema.h"

namespace mockcloud {

// What Azure would make of one upload's DataItems in their table: the fields that match no
// column, the fields Azure fills itself, and the values whose JSON type is not the column's.
// Plain data; thread-compatible. Each list holds at most kMaxListed distinct entries (then
// `truncated`), in the order first met.
struct SchemaReport {
  static constexpr std::size_t kMaxListed = 64;
  // A name or example longer than this is cut to it (and "…" added).
  static constexpr std::size_t kMaxText = 128;

  struct Mismatch {
    std::string field;
    ColumnType expected = ColumnType::kString;
    std::string got;          // "string", "long", "real", "bool", "object" or "array"
    std::uint64_t count = 0;  // values of this field and kind in the upload
    std::string example;      // the first such value when it is a string (cut to kMaxText)
  };

  std::string table;
  std::uint64_t items = 0;                // checked
  std::uint64_t items_with_problems = 0;  // with an unknown or reserved field or a mismatch
  std::vector<std::string> unknown_fields;
  std::vector<std::string> reserved_fields;
  std::vector<Mismatch> type_mismatches;
  std::uint64_t unknown_field_count = 0;   // occurrences, all items together
  std::uint64_t reserved_field_count = 0;  // occurrences
  std::uint64_t mismatch_count = 0;        // occurrences
  bool truncated = false;                  // a list stopped at kMaxListed

  bool clean() const { return items_with_problems == 0; }
};

// {"checked":true,"table":…,"items":N,"itemsWithProblems":N,"unknownFields":[…],
//  "reservedFields":[…],"typeMismatches":[{"field","expected","got","count","example"?}],
//  "truncated":bool}
std::string SchemaReportJson(const SchemaReport& report);

// The kind of a JSON value, as the checker sees it. Integers are told apart by range: kInt fits
// 32 bits, kLong 64 bits (signed), kBigInteger only unsigned 64.
enum class JsonKind { kNull, kBool, kInt, kLong, kBigInteger, kReal, kString, kObject, kArray };

// Checks DataItems against one table, fed by a reader of the items (ScanUpload, or
// CheckItemTexts): for each item BeginItem, then for each of its top-level members Field(name)
// and one Value, then EndItem. Nested values are not looked into: a dynamic column takes
// anything. Pure; one per upload; thread-compatible.
//
// Rules (docs/mockcloud.md, "Schema check"): null fits every column; string takes a string;
// long an integer of 64 bits; int one of 32 bits; real any number; bool true or false; datetime
// a string in ISO 8601 (IsIso8601); guid a string of 8-4-4-4-12 hex digits; dynamic anything.
//
// Cheap on the hot path: the records of one stream tend to have the same fields in the same
// order, so each field is first compared with the one at its position in the previous item, and
// looked up by hash only when that differs.
class SchemaChecker {
 public:
  explicit SchemaChecker(const TableSchema& schema);

  void BeginItem() {
    position_ = 0;
    item_has_problem_ = false;
  }
  void Field(std::string_view name);
  // The value of the last Field; `text` is the string when kind is kString.
  void Value(JsonKind kind, std::string_view text = {}) {
    if (current_ >= 0 && kind != JsonKind::kNull) Check(kind, text);
  }
  void EndItem() {
    ++report_.items;
    if (item_has_problem_) ++report_.items_with_problems;
  }

  const SchemaReport& report() const { return report_; }
  SchemaReport TakeReport() { return std::move(report_); }

 private:
  // Where a field name was found: a column (>= 0), an entry of extras_ (kExtra + index), or one
  // not kept because the lists are full (kUntracked).
  static constexpr int kUntracked = -1;
  static constexpr int kExtra = 1 << 20;
  struct Extra {
    std::string name;
    bool reserved;
  };

  int Lookup(std::string_view name);
  void Check(JsonKind kind, std::string_view text);
  void Mismatched(std::string_view got, std::string_view text);

  const TableSchema& schema_;
  SchemaReport report_;
  std::vector<int> previous_;  // the code of each position's field in the items so far
  std::size_t position_ = 0;
  int current_ = -1;  // the column of the value that comes next; -1 if none
  bool item_has_problem_ = false;
  std::vector<Extra> extras_;
  std::unordered_map<std::string, int> extra_index_;
};

// What the schema check made of one upload: a report, or why there is none.
struct SchemaResult {
  bool checked = false;
  SchemaReport report;  // when checked
  std::string reason;   // when not
};

// SchemaReportJson when checked, else {"checked":false,"reason":"…"}.
std::string SchemaResultJson(const SchemaResult& result);

// Feeds every item of `items` (which must have texts) to `checker`, reading each text again.
// For an ODS body whose DataType came after its DataItems, when the scan could not yet know the
// table. False if a text is not JSON (it always is when ScanUpload wrote it).
bool CheckItemTexts(const DataItems& items, SchemaChecker* checker);

// Whether `text` is an ISO 8601 date or date and time in the extended format, as Kusto reads a
// datetime: YYYY-MM-DD, optionally followed by T (or t) and hh:mm, :ss, a fraction of up to 9
// digits and a zone (Z, ±hh, ±hh:mm or ±hhmm).
bool IsIso8601(std::string_view text);
// Whether `text` is a GUID: 8-4-4-4-12 hex digits.
bool IsGuid(std::string_view text);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_SCHEMA_CHECK_H_
