#include "records.h"

#include <algorithm>
#include <span>

#include "base/json_text.h"
#include "codec/json_parse.h"
#include "rapidjson/document.h"

namespace ctagent {
namespace {

// An item with a file's kept contents (1 MiB at most, as JSON text up to six bytes a byte).
constexpr std::size_t kMaxFieldsJson = 8 * 1024 * 1024;

// How an item's field (a ConfigurationData column) appears in a change record: under
// `current` (empty: not at all, it is no ConfigurationChange column) and, when it changed or
// the item is gone, under `previous` (empty: the column has no Previous* twin).
struct ChangeColumn {
  const char* field;
  const char* current;
  const char* previous;
};

constexpr ChangeColumn kSoftwareColumns[] = {
    {"SoftwareName", "SoftwareName", ""},
    {"CurrentVersion", "Current", "Previous"},
    {"Architecture", "", ""},
    {"Publisher", "Publisher", ""},
    {"SoftwareDescription", "SoftwareDescription", ""},
    {"SoftwareType", "SoftwareType", ""},
    {"Size", "Size", "PreviousSize"},
};
constexpr ChangeColumn kDaemonColumns[] = {
    {"SvcName", "SvcName", ""},
    {"SvcDisplayName", "SvcDisplayName", ""},
    {"SvcDescription", "", ""},
    {"SvcState", "SvcState", "SvcPreviousState"},
    {"SvcStartupType", "SvcStartupType", "SvcPreviousStartupType"},
    {"SvcPath", "SvcPath", "SvcPreviousPath"},
};
constexpr ChangeColumn kFileColumns[] = {
    {"FileSystemPath", "FileSystemPath", ""},
    {"FileContentChecksum", "FileContentChecksum", "PreviousFileContentChecksum"},
    {"Size", "Size", "PreviousSize"},
    {"DateModified", "DateModified", "PreviousDateModified"},
    {"Attributes", "Attributes", "PreviousAttributes"},
    {"Acls", "Acls", "PreviousAcls"},
};

std::span<const ChangeColumn> Columns(Kind kind) {
  switch (kind) {
    case Kind::kSoftware:
      return kSoftwareColumns;
    case Kind::kDaemons:
      return kDaemonColumns;
    case Kind::kFiles:
      return kFileColumns;
  }
  return {};
}

bool IsNumberColumn(std::string_view name) { return name == "Size" || name == "PreviousSize"; }

// Writes a JSON object member by member; empty values are left out (an empty datetime is not
// one), numbers as numbers.
class ObjectWriter {
 public:
  ObjectWriter() { text_ = "{"; }
  void Add(std::string_view name, std::string_view value) {
    if (value.empty()) return;
    if (text_.size() > 1) text_ += ',';
    base::AppendJsonString(&text_, name);
    text_ += ':';
    const bool digits = value.size() < 19 && std::all_of(value.begin(), value.end(), [](char c) {
                          return c >= '0' && c <= '9';
                        });
    if (IsNumberColumn(name) && digits) {
      text_ += value;
    } else {
      base::AppendJsonString(&text_, value);
    }
  }
  std::string Finish() { return text_ + "}"; }

 private:
  std::string text_;
};

std::string Get(const Item& item, const char* field) {
  auto found = item.fields.find(field);
  return found == item.fields.end() ? std::string() : found->second;
}

void AddCommon(ObjectWriter& writer, const RecordContext& context) {
  writer.Add("TimeGenerated", context.time);
  writer.Add("Computer", context.computer);
}

Record Change(Kind kind, const char* category, const Item* previous, const Item* current,
              const RecordContext& context) {
  ObjectWriter writer;
  AddCommon(writer, context);
  writer.Add("ConfigChangeType", KindName(kind));
  writer.Add("ChangeCategory", category);
  std::string changed;
  if (previous && current) {
    for (const ChangeColumn& column : Columns(kind)) {
      if (Get(*previous, column.field) == Get(*current, column.field)) continue;
      if (!changed.empty()) changed += '|';
      changed += *column.current ? column.current : column.field;
    }
    writer.Add("FieldsChanged", changed);
  }
  for (const ChangeColumn& column : Columns(kind)) {
    const bool identity = !*column.previous;
    if (current && *column.current) writer.Add(column.current, Get(*current, column.field));
    if (!current && identity && *column.current) {
      writer.Add(column.current, Get(*previous, column.field));
    }
    if (previous && *column.previous &&
        (!current || Get(*previous, column.field) != Get(*current, column.field))) {
      writer.Add(column.previous, Get(*previous, column.field));
    }
  }
  return {kChangeDataType, writer.Finish()};
}

// Whether two items differ in a field that is sent.
bool SentFieldsDiffer(const Item& a, const Item& b) {
  auto sent = [](const Item& item) {
    std::map<std::string, std::string> fields;
    for (const auto& [name, value] : item.fields) {
      if (!IsLocalField(name)) fields.emplace(name, value);
    }
    return fields;
  };
  return a.fields != b.fields && sent(a) != sent(b);
}

}  // namespace

bool IsLocalField(std::string_view name) {
  return name == "FileContents" || name == "FileContentsEncoding" ||
         name == "FileContentsTruncated";
}

std::vector<Record> ChangeRecords(Kind kind, const Items& previous, const Items& current,
                                  const RecordContext& context) {
  std::vector<Record> records;
  for (const auto& [key, item] : current) {
    auto before = previous.find(key);
    if (before == previous.end()) {
      records.push_back(Change(kind, "Added", nullptr, &item, context));
    } else if (SentFieldsDiffer(before->second, item)) {
      records.push_back(Change(kind, "Modified", &before->second, &item, context));
    }
  }
  for (const auto& [key, item] : previous) {
    if (!current.count(key)) records.push_back(Change(kind, "Removed", &item, nullptr, context));
  }
  return records;
}

std::vector<Record> InventoryRecords(Kind kind, const Items& current,
                                     const RecordContext& context) {
  std::vector<Record> records;
  records.reserve(current.size());
  for (const auto& [key, item] : current) {
    ObjectWriter writer;
    AddCommon(writer, context);
    writer.Add("ConfigDataType", KindName(kind));
    for (const auto& [name, value] : item.fields) {
      if (!IsLocalField(name)) writer.Add(name, value);
    }
    records.push_back({kInventoryDataType, writer.Finish()});
  }
  return records;
}

std::string FieldsJson(const Item& item) {
  std::string text = "{";
  for (const auto& [name, value] : item.fields) {
    if (text.size() > 1) text += ',';
    base::AppendJsonString(&text, name);
    text += ':';
    base::AppendJsonString(&text, value);
  }
  return text + "}";
}

bool ParseFieldsJson(std::string_view text, Item* item) {
  rapidjson::Document document;
  std::string error;
  if (!codec::ParseJson(text, &document, &error, {.max_bytes = kMaxFieldsJson, .max_depth = 2}) ||
      !document.IsObject()) {
    return false;
  }
  item->fields.clear();
  for (const auto& member : document.GetObject()) {
    if (!member.value.IsString()) return false;
    item->fields.emplace(std::string(member.name.GetString(), member.name.GetStringLength()),
                         std::string(member.value.GetString(), member.value.GetStringLength()));
  }
  return true;
}

}  // namespace ctagent
