#ifndef AMAHOST_MOCKCLOUD_TABLE_SCHEMA_H_
#define AMAHOST_MOCKCLOUD_TABLE_SCHEMA_H_

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mockcloud {

// The column types of a Log Analytics table, as Azure's table reference names them.
enum class ColumnType { kString, kDatetime, kLong, kInt, kBool, kReal, kDynamic, kGuid };

// "string", "datetime", …; ParseColumnType reads the same names (lower case only).
std::string_view ColumnTypeName(ColumnType type);
std::optional<ColumnType> ParseColumnType(std::string_view name);

// Columns Azure fills itself, which a record cannot set: TenantId, Type and every name that
// starts with '_' (_ResourceId, _SubscriptionId, _BilledSize, _IsBillable, _ItemId, …). The
// schema check reports them apart from unknown fields (docs/mockcloud.md, "Schema check").
bool IsReservedColumn(std::string_view name);

// One Log Analytics table: its name and its columns with their types. TimeGenerated (datetime)
// is a column of every table: added when the list lacks it. Immutable once built; thread-safe.
class TableSchema {
 public:
  struct Column {
    std::string name;
    ColumnType type;
  };

  TableSchema(std::string table, std::vector<Column> columns);

  const std::string& table() const { return table_; }
  const std::vector<Column>& columns() const { return columns_; }
  // The index of column `name` in columns() (names are case-sensitive, as in Kusto); -1 if none.
  int Find(std::string_view name) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  std::string table_;
  std::vector<Column> columns_;
  std::unordered_map<std::string, int, Hash, std::equal_to<>> index_;
};

// Reads a schema file: {"table":"MyTable_CL","columns":{"Name":"string","Count":"long",…}}.
// `table` is 1-256 letters, digits and '_'; `columns` an object of 1-1000 columns, each name 1-256
// letters, digits and '_' and not reserved (IsReservedColumn), each type a ColumnTypeName;
// TimeGenerated, if listed, must be datetime. Nothing else may be in the file. False with the
// problem in `error` (without the file's name). Pure.
bool ParseTableSchema(std::string_view text, std::optional<TableSchema>* out, std::string* error);

// The tables mockcloud checks DataItems against, by DataType (ODS) or stream (Logs Ingestion).
// Built in: CONFIG_CHANGE_BLOB_V2 → ConfigurationChange, CONFIG_DATA_BLOB_V2 →
// ConfigurationData, with the columns of Azure's table reference. Filled at start, read-only
// after: thread-safe to read.
class SchemaSet {
 public:
  // The built-in schemas.
  static SchemaSet Builtin();
  // No schema at all.
  SchemaSet() = default;

  // Reads `path` (at most 1 MiB) as ParseTableSchema does and uses it for `data_type`, in place
  // of a built-in one. False with `error` naming the file and the problem.
  bool Load(std::string_view data_type, const std::filesystem::path& path, std::string* error);
  void Add(std::string data_type, TableSchema schema);

  // The schema for `data_type`; null if there is none.
  const TableSchema* Find(std::string_view data_type) const;
  bool empty() const { return schemas_.empty(); }

 private:
  std::map<std::string, TableSchema, std::less<>> schemas_;
};

// Parses "DATATYPE=FILE" (--schema): DATATYPE 1-256 characters of letters, digits and "_.-",
// FILE not empty. False with a one-line `error`.
bool ParseSchemaOption(std::string_view text, std::string* data_type, std::filesystem::path* file,
                       std::string* error);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_TABLE_SCHEMA_H_
