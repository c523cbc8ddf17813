#include "mockcloud/schema_check.h"

#include <fmt/format.h>

#include <cstdint>
#include <limits>

#include "codec/json_text.h"
#include "rapidjson/reader.h"

namespace mockcloud {
namespace {

// At most this many positions are remembered from one item to the next.
constexpr std::size_t kMaxPositions = 1024;

// `text` cut to SchemaReport::kMaxText bytes at a UTF-8 character boundary.
std::string_view Cut(std::string_view text) {
  if (text.size() <= SchemaReport::kMaxText) return text;
  std::size_t size = SchemaReport::kMaxText;
  while (size > 0 && (static_cast<unsigned char>(text[size]) & 0xC0) == 0x80) --size;
  return text.substr(0, size);
}

std::string Shown(std::string_view text) {
  std::string shown(Cut(text));
  if (shown.size() < text.size()) shown += "…";
  return shown;
}

std::string_view KindName(JsonKind kind) {
  switch (kind) {
    case JsonKind::kNull:
      return "null";
    case JsonKind::kBool:
      return "bool";
    case JsonKind::kInt:
    case JsonKind::kLong:
      return "long";
    case JsonKind::kBigInteger:
    case JsonKind::kReal:
      return "real";
    case JsonKind::kString:
      return "string";
    case JsonKind::kObject:
      return "object";
    case JsonKind::kArray:
      return "array";
  }
  return "?";
}

bool Fits(ColumnType type, JsonKind kind, std::string_view text) {
  switch (type) {
    case ColumnType::kString:
      return kind == JsonKind::kString;
    case ColumnType::kDynamic:
      return true;
    case ColumnType::kLong:
      return kind == JsonKind::kInt || kind == JsonKind::kLong;
    case ColumnType::kInt:
      return kind == JsonKind::kInt;
    case ColumnType::kReal:
      return kind == JsonKind::kInt || kind == JsonKind::kLong || kind == JsonKind::kBigInteger ||
             kind == JsonKind::kReal;
    case ColumnType::kBool:
      return kind == JsonKind::kBool;
    case ColumnType::kDatetime:
      return kind == JsonKind::kString && IsIso8601(text);
    case ColumnType::kGuid:
      return kind == JsonKind::kString && IsGuid(text);
  }
  return false;
}

bool Digits(std::string_view text, std::size_t at, std::size_t count, int* value) {
  if (at + count > text.size()) return false;
  int result = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    result = result * 10 + (text[i] - '0');
  }
  *value = result;
  return true;
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Reads one item's text again for CheckItemTexts: the top-level members only.
class ItemReader {
 public:
  explicit ItemReader(SchemaChecker* checker) : checker_(checker) {}

  bool Null() { return Scalar(JsonKind::kNull); }
  bool Bool(bool) { return Scalar(JsonKind::kBool); }
  bool Int(int) { return Scalar(JsonKind::kInt); }
  bool Uint(unsigned u) {
    return Scalar(u <= static_cast<unsigned>(std::numeric_limits<int>::max()) ? JsonKind::kInt
                                                                              : JsonKind::kLong);
  }
  bool Int64(std::int64_t) { return Scalar(JsonKind::kLong); }
  bool Uint64(std::uint64_t u) {
    return Scalar(u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                      ? JsonKind::kLong
                      : JsonKind::kBigInteger);
  }
  bool Double(double) { return Scalar(JsonKind::kReal); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    if (depth_ == 1) checker_->Value(JsonKind::kString, std::string_view(text, length));
    return true;
  }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    if (depth_ == 1) checker_->Field(std::string_view(text, length));
    return true;
  }
  bool StartObject() {
    if (depth_ == 0) checker_->BeginItem();
    if (depth_ == 1) checker_->Value(JsonKind::kObject);
    ++depth_;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    if (--depth_ == 0) checker_->EndItem();
    return true;
  }
  bool StartArray() {
    if (depth_ == 1) checker_->Value(JsonKind::kArray);
    ++depth_;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }

 private:
  bool Scalar(JsonKind kind) {
    if (depth_ == 1) checker_->Value(kind);
    return true;
  }
  SchemaChecker* checker_;
  int depth_ = 0;
};

}  // namespace

SchemaChecker::SchemaChecker(const TableSchema& schema) : schema_(schema) {
  report_.table = schema.table();
}

void SchemaChecker::Field(std::string_view name) {
  int code = kUntracked;
  bool same = false;
  if (position_ < previous_.size()) {
    code = previous_[position_];
    if (code >= kExtra) {
      same = extras_[static_cast<std::size_t>(code - kExtra)].name == Cut(name);
    } else if (code >= 0) {
      same = schema_.columns()[static_cast<std::size_t>(code)].name == name;
    }
  }
  if (!same) {
    code = Lookup(name);
    if (position_ < previous_.size()) {
      previous_[position_] = code;
    } else if (previous_.size() < kMaxPositions) {
      previous_.push_back(code);
    }
  }
  ++position_;
  if (code >= 0 && code < kExtra) {
    current_ = code;
    return;
  }
  current_ = -1;
  item_has_problem_ = true;
  bool reserved = code >= kExtra ? extras_[static_cast<std::size_t>(code - kExtra)].reserved
                                 : IsReservedColumn(name);
  ++(reserved ? report_.reserved_field_count : report_.unknown_field_count);
}

int SchemaChecker::Lookup(std::string_view name) {
  int column = schema_.Find(name);
  if (column >= 0) return column;
  std::string key(Cut(name));
  auto found = extra_index_.find(key);
  if (found != extra_index_.end()) return found->second;
  bool reserved = IsReservedColumn(name);
  std::vector<std::string>& list = reserved ? report_.reserved_fields : report_.unknown_fields;
  if (list.size() >= SchemaReport::kMaxListed) {
    report_.truncated = true;
    return kUntracked;
  }
  list.push_back(Shown(name));
  int code = kExtra + static_cast<int>(extras_.size());
  extras_.push_back({key, reserved});
  extra_index_.emplace(std::move(key), code);
  return code;
}

void SchemaChecker::Check(JsonKind kind, std::string_view text) {
  const TableSchema::Column& column = schema_.columns()[static_cast<std::size_t>(current_)];
  if (Fits(column.type, kind, text)) return;
  item_has_problem_ = true;
  ++report_.mismatch_count;
  std::string_view got = KindName(kind);
  for (SchemaReport::Mismatch& mismatch : report_.type_mismatches) {
    if (mismatch.field == column.name && mismatch.got == got) {
      ++mismatch.count;
      return;
    }
  }
  if (report_.type_mismatches.size() >= SchemaReport::kMaxListed) {
    report_.truncated = true;
    return;
  }
  report_.type_mismatches.push_back({.field = column.name,
                                     .expected = column.type,
                                     .got = std::string(got),
                                     .count = 1,
                                     .example = kind == JsonKind::kString ? Shown(text) : ""});
}

std::string SchemaReportJson(const SchemaReport& report) {
  auto names = [](const std::vector<std::string>& list) {
    std::string json = "[";
    for (const std::string& name : list) {
      if (json.size() > 1) json += ',';
      codec::AppendJsonString(&json, name);
    }
    return json + "]";
  };
  std::string json = "{\"checked\":true,\"table\":";
  codec::AppendJsonString(&json, report.table);
  json += fmt::format(",\"items\":{},\"itemsWithProblems\":{},\"unknownFields\":", report.items,
                      report.items_with_problems);
  json += names(report.unknown_fields);
  json += ",\"reservedFields\":";
  json += names(report.reserved_fields);
  json += ",\"typeMismatches\":[";
  for (std::size_t i = 0; i < report.type_mismatches.size(); ++i) {
    const SchemaReport::Mismatch& mismatch = report.type_mismatches[i];
    if (i > 0) json += ',';
    json += "{\"field\":";
    codec::AppendJsonString(&json, mismatch.field);
    json += fmt::format(R"(,"expected":"{}","got":"{}","count":{})",
                        ColumnTypeName(mismatch.expected), mismatch.got, mismatch.count);
    if (!mismatch.example.empty() || mismatch.got == "string") {
      json += ",\"example\":";
      codec::AppendJsonString(&json, mismatch.example);
    }
    json += '}';
  }
  json += fmt::format("],\"truncated\":{}}}", report.truncated ? "true" : "false");
  return json;
}

std::string SchemaResultJson(const SchemaResult& result) {
  if (result.checked) return SchemaReportJson(result.report);
  std::string json = "{\"checked\":false,\"reason\":";
  codec::AppendJsonString(&json, result.reason);
  return json + "}";
}

bool CheckItemTexts(const DataItems& items, SchemaChecker* checker) {
  rapidjson::Reader reader;
  for (std::size_t i = 0; i < items.count; ++i) {
    std::string_view text = items.Text(i);
    rapidjson::MemoryStream stream(text.data(), text.size());
    ItemReader handler(checker);
    if (reader.Parse(stream, handler).IsError()) return false;
  }
  return true;
}

bool IsIso8601(std::string_view text) {
  int year = 0, month = 0, day = 0;
  if (!Digits(text, 0, 4, &year) || text.size() < 10 || text[4] != '-' ||
      !Digits(text, 5, 2, &month) || text[7] != '-' || !Digits(text, 8, 2, &day)) {
    return false;
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) return false;
  if (text.size() == 10) return true;
  if (text[10] != 'T' && text[10] != 't') return false;
  int hour = 0, minute = 0, second = 0;
  if (!Digits(text, 11, 2, &hour) || text.size() < 16 || text[13] != ':' ||
      !Digits(text, 14, 2, &minute) || hour > 23 || minute > 59) {
    return false;
  }
  std::size_t at = 16;
  if (at < text.size() && text[at] == ':') {
    if (!Digits(text, at + 1, 2, &second) || second > 60) return false;
    at += 3;
    if (at < text.size() && (text[at] == '.' || text[at] == ',')) {
      std::size_t digits = 0;
      while (at + 1 + digits < text.size() && text[at + 1 + digits] >= '0' &&
             text[at + 1 + digits] <= '9') {
        ++digits;
      }
      if (digits == 0 || digits > 9) return false;
      at += 1 + digits;
    }
  }
  if (at == text.size()) return true;
  if ((text[at] == 'Z' || text[at] == 'z') && at + 1 == text.size()) return true;
  if (text[at] != '+' && text[at] != '-') return false;
  int zone_hours = 0, zone_minutes = 0;
  if (!Digits(text, at + 1, 2, &zone_hours) || zone_hours > 23) return false;
  std::size_t rest = text.size() - (at + 3);
  if (rest == 0) return true;
  std::size_t minutes_at = text[at + 3] == ':' ? at + 4 : at + 3;
  return minutes_at + 2 == text.size() && Digits(text, minutes_at, 2, &zone_minutes) &&
         zone_minutes <= 59;
}

bool IsGuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !IsHex(text[i])) return false;
  }
  return true;
}

}  // namespace mockcloud
