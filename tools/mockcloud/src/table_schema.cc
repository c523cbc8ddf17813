#include "mockcloud/table_schema.h"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "base/files.h"
#include "codec/json_parse.h"
#include "codec/json_text.h"

namespace mockcloud {
namespace {

constexpr std::size_t kMaxNameLength = 256;
constexpr std::size_t kMaxColumns = 1000;
constexpr std::size_t kMaxSchemaFile = 1024 * 1024;

constexpr std::array<std::pair<std::string_view, ColumnType>, 8> kTypeNames = {{
    {"string", ColumnType::kString},
    {"datetime", ColumnType::kDatetime},
    {"long", ColumnType::kLong},
    {"int", ColumnType::kInt},
    {"bool", ColumnType::kBool},
    {"real", ColumnType::kReal},
    {"dynamic", ColumnType::kDynamic},
    {"guid", ColumnType::kGuid},
}};

bool IsWordName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

using Columns = std::vector<TableSchema::Column>;

// The columns records may set, from Azure Monitor's table reference
// (learn.microsoft.com/azure/azure-monitor/reference/tables/configurationchange and
// …/configurationdata), less those Azure fills itself (IsReservedColumn).
Columns ConfigurationChangeColumns() {
  constexpr ColumnType s = ColumnType::kString;
  constexpr ColumnType d = ColumnType::kDatetime;
  constexpr ColumnType l = ColumnType::kLong;
  return {
      {"Acls", s},
      {"Attributes", s},
      {"ChangeCategory", s},
      {"Computer", s},
      {"ConfigChangeType", s},
      {"Current", s},
      {"DateCreated", d},
      {"DateModified", d},
      {"FieldsChanged", s},
      {"FileContentChecksum", s},
      {"FileSystemPath", s},
      {"Hive", s},
      {"LastSnapshotAge", l},
      {"Location", s},
      {"ManagementGroupName", s},
      {"Name", s},
      {"Previous", s},
      {"PreviousAcls", s},
      {"PreviousAttributes", s},
      {"PreviousDateCreated", d},
      {"PreviousDateModified", d},
      {"PreviousFileContentChecksum", s},
      {"PreviousSize", l},
      {"PreviousValueData", s},
      {"PreviousValueType", s},
      {"Publisher", s},
      {"RegistryKey", s},
      {"Size", l},
      {"SoftwareDescription", s},
      {"SoftwareName", s},
      {"SoftwareType", s},
      {"SourceComputerId", s},
      {"SourceSystem", s},
      {"SvcAccount", s},
      {"SvcChangeType", s},
      {"SvcController", s},
      {"SvcDisplayName", s},
      {"SvcName", s},
      {"SvcPath", s},
      {"SvcPreviousAccount", s},
      {"SvcPreviousController", s},
      {"SvcPreviousPath", s},
      {"SvcPreviousRunlevels", s},
      {"SvcPreviousStartupType", s},
      {"SvcPreviousState", s},
      {"SvcRunlevels", s},
      {"SvcStartupType", s},
      {"SvcState", s},
      {"TimeGenerated", d},
      {"ValueData", s},
      {"ValueName", s},
      {"ValueType", s},
      {"VMUUID", s},
  };
}

Columns ConfigurationDataColumns() {
  constexpr ColumnType s = ColumnType::kString;
  constexpr ColumnType d = ColumnType::kDatetime;
  constexpr ColumnType l = ColumnType::kLong;
  return {
      {"Acls", s},
      {"Architecture", s},
      {"Attributes", s},
      {"Computer", s},
      {"ConfigDataType", s},
      {"CurrentVersion", s},
      {"DateCreated", d},
      {"DateModified", d},
      {"FileContentChecksum", s},
      {"FileSystemPath", s},
      {"Hive", s},
      {"Location", s},
      {"ManagementGroupName", s},
      {"Name", s},
      {"Publisher", s},
      {"RegistryKey", s},
      {"Size", l},
      {"SoftwareDescription", s},
      {"SoftwareName", s},
      {"SoftwareType", s},
      {"SourceComputerId", s},
      {"SourceSystem", s},
      {"SvcAccount", s},
      {"SvcController", s},
      {"SvcDescription", s},
      {"SvcDisplayName", s},
      {"SvcName", s},
      {"SvcPath", s},
      {"SvcRunlevels", s},
      {"SvcStartupType", s},
      {"SvcState", s},
      {"TimeGenerated", d},
      {"ValueData", s},
      {"ValueName", s},
      {"ValueType", s},
      {"VMUUID", s},
  };
}

}  // namespace

std::string_view ColumnTypeName(ColumnType type) {
  for (const auto& [name, value] : kTypeNames) {
    if (value == type) return name;
  }
  return "?";
}

std::optional<ColumnType> ParseColumnType(std::string_view name) {
  for (const auto& [known, value] : kTypeNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

bool IsReservedColumn(std::string_view name) {
  return name.starts_with('_') || name == "TenantId" || name == "Type";
}

TableSchema::TableSchema(std::string table, std::vector<Column> columns)
    : table_(std::move(table)), columns_(std::move(columns)) {
  bool has_time = false;
  for (const Column& column : columns_) has_time = has_time || column.name == "TimeGenerated";
  if (!has_time) columns_.push_back({"TimeGenerated", ColumnType::kDatetime});
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    index_.emplace(columns_[i].name, static_cast<int>(i));
  }
}

int TableSchema::Find(std::string_view name) const {
  auto found = index_.find(name);
  return found == index_.end() ? -1 : found->second;
}

bool ParseTableSchema(std::string_view text, std::optional<TableSchema>* out, std::string* error) {
  rapidjson::Document document;
  if (!codec::ParseJson(text, &document, error, {.max_bytes = kMaxSchemaFile, .max_depth = 4})) {
    return false;
  }
  if (!document.IsObject()) {
    *error = R"(expected an object: {"table":"MyTable_CL","columns":{"Name":"string",…}})";
    return false;
  }
  for (const auto& member : document.GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    if (key != "table" && key != "columns") {
      *error = fmt::format("unknown key {}; a schema has \"table\" and \"columns\" only",
                           codec::JsonString(key));
      return false;
    }
  }
  auto table = document.FindMember("table");
  if (table == document.MemberEnd() || !table->value.IsString() ||
      !IsWordName(std::string_view(table->value.GetString(), table->value.GetStringLength()))) {
    *error = "\"table\" must be a name of 1-256 letters, digits and '_'";
    return false;
  }
  auto columns = document.FindMember("columns");
  if (columns == document.MemberEnd() || !columns->value.IsObject() ||
      columns->value.MemberCount() == 0 || columns->value.MemberCount() > kMaxColumns) {
    *error = fmt::format("\"columns\" must be an object of 1-{} columns, {{\"Name\":\"string\",…}}",
                         kMaxColumns);
    return false;
  }
  std::vector<TableSchema::Column> list;
  std::map<std::string, int, std::less<>> seen;
  for (const auto& member : columns->value.GetObject()) {
    std::string name(member.name.GetString(), member.name.GetStringLength());
    if (!IsWordName(name)) {
      *error = fmt::format("column {}: a name must be 1-256 letters, digits and '_'",
                           codec::JsonString(name));
      return false;
    }
    if (IsReservedColumn(name)) {
      *error = fmt::format(
          "column {}: Azure fills it itself (TenantId, Type and names starting "
          "with '_' are reserved); leave it out",
          codec::JsonString(name));
      return false;
    }
    if (!seen.emplace(name, 0).second) {
      *error = fmt::format("column {} is listed twice", codec::JsonString(name));
      return false;
    }
    std::optional<ColumnType> type;
    if (member.value.IsString()) {
      type = ParseColumnType(
          std::string_view(member.value.GetString(), member.value.GetStringLength()));
    }
    if (!type) {
      *error = fmt::format(
          "column {}: the type must be one of string, datetime, long, int, bool, real, dynamic, "
          "guid",
          codec::JsonString(name));
      return false;
    }
    if (name == "TimeGenerated" && *type != ColumnType::kDatetime) {
      *error = "column \"TimeGenerated\" is a datetime in every table";
      return false;
    }
    list.push_back({std::move(name), *type});
  }
  out->emplace(std::string(table->value.GetString(), table->value.GetStringLength()),
               std::move(list));
  return true;
}

SchemaSet SchemaSet::Builtin() {
  SchemaSet set;
  set.Add("CONFIG_CHANGE_BLOB_V2",
          TableSchema("ConfigurationChange", ConfigurationChangeColumns()));
  set.Add("CONFIG_DATA_BLOB_V2", TableSchema("ConfigurationData", ConfigurationDataColumns()));
  return set;
}

bool SchemaSet::Load(std::string_view data_type, const std::filesystem::path& path,
                     std::string* error) {
  std::string text;
  if (std::error_code ec = base::ReadFile(path, kMaxSchemaFile, &text)) {
    *error = fmt::format("--schema {}={}: {}", data_type, path.string(),
                         ec == std::errc::file_too_large ? "larger than 1 MiB" : ec.message());
    return false;
  }
  std::optional<TableSchema> schema;
  std::string problem;
  if (!ParseTableSchema(text, &schema, &problem)) {
    *error = fmt::format("--schema {}={}: {}", data_type, path.string(), problem);
    return false;
  }
  Add(std::string(data_type), std::move(*schema));
  return true;
}

void SchemaSet::Add(std::string data_type, TableSchema schema) {
  schemas_.insert_or_assign(std::move(data_type), std::move(schema));
}

const TableSchema* SchemaSet::Find(std::string_view data_type) const {
  auto found = schemas_.find(data_type);
  return found == schemas_.end() ? nullptr : &found->second;
}

bool ParseSchemaOption(std::string_view text, std::string* data_type, std::filesystem::path* file,
                       std::string* error) {
  std::size_t equals = text.find('=');
  if (equals == std::string_view::npos) {
    *error = fmt::format("option --schema needs DATATYPE=FILE, not '{}'", text);
    return false;
  }
  std::string_view name = text.substr(0, equals);
  std::string_view path = text.substr(equals + 1);
  bool ok = !name.empty() && name.size() <= kMaxNameLength;
  for (char c : name) {
    ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.' || c == '-');
  }
  if (!ok) {
    *error = fmt::format(
        "option --schema: DATATYPE '{}' must be 1-256 letters, digits and \"_.-\" (a DataType "
        "or a Logs Ingestion stream)",
        name);
    return false;
  }
  if (path.empty()) {
    *error = fmt::format("option --schema {}=: no file", name);
    return false;
  }
  *data_type = std::string(name);
  *file = std::filesystem::path(std::string(path));
  return true;
}

}  // namespace mockcloud
