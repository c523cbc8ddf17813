#include "json_util.h"

#include "codec/json_parse.h"
#include "codec/json_text.h"
#include "dcr/parse.h"

namespace dcr::internal {
namespace {

bool IsIdentifier(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Diagnostics end up as single log lines and check-config output lines: a control byte taken from a
// document (an unknown op, a file name) must not be able to start a forged line.
std::string OneLine(std::string text) {
  if (!HasControlCharacter(text)) return text;
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

bool ParseJson(std::string_view text, rapidjson::Document* document, std::string* error) {
  // The depth limit matters beyond parsing: Value::Accept and operator== recurse.
  return codec::ParseJson(text, document, error,
                          {.max_bytes = kMaxDocumentBytes, .max_depth = kMaxJsonDepth});
}

std::string CompactJson(const rapidjson::Value& value) { return codec::CompactJson(value); }

std::optional<std::string> NormalizeJson(std::string_view text) {
  rapidjson::Document document;
  std::string error;
  if (!ParseJson(text, &document, &error)) return std::nullopt;
  return CompactJson(document);
}

std::string MemberPath(std::string_view path, std::string_view key) {
  std::string out(path);
  if (IsIdentifier(key)) {
    out += '.';
    out += key;
  } else {
    out += '[';
    codec::AppendJsonString(&out, key);
    out += ']';
  }
  return out;
}

std::string IndexPath(std::string_view path, std::size_t index) {
  std::string out(path);
  out += '[';
  out += std::to_string(index);
  out += ']';
  return out;
}

void Reporter::Error(std::string path, std::string message) {
  ++error_count_;
  if (diagnostics_ == nullptr) return;
  diagnostics_->push_back(Diagnostic{.severity = Diagnostic::Severity::kError,
                                     .source = OneLine(source_),
                                     .json_path = OneLine(std::move(path)),
                                     .message = OneLine(std::move(message))});
}

void Reporter::Warning(std::string path, std::string message) {
  if (diagnostics_ == nullptr) return;
  diagnostics_->push_back(Diagnostic{.severity = Diagnostic::Severity::kWarning,
                                     .source = OneLine(source_),
                                     .json_path = OneLine(std::move(path)),
                                     .message = OneLine(std::move(message))});
}

const rapidjson::Value* FindMember(const rapidjson::Value& object, std::string_view key) {
  if (!object.IsObject()) return nullptr;
  for (const auto& member : object.GetObject()) {
    if (std::string_view(member.name.GetString(), member.name.GetStringLength()) == key) {
      return &member.value;
    }
  }
  return nullptr;
}

void WarnUnknownMembers(const rapidjson::Value& object, const std::string& path,
                        std::initializer_list<std::string_view> known, Reporter* reporter) {
  if (!object.IsObject()) return;
  for (const auto& member : object.GetObject()) {
    std::string_view name(member.name.GetString(), member.name.GetStringLength());
    bool is_known = false;
    for (std::string_view k : known) is_known = is_known || k == name;
    if (!is_known) reporter->Warning(MemberPath(path, name), "unknown key, ignored");
  }
}

bool RequireString(const rapidjson::Value& object, std::string_view key, const std::string& path,
                   Reporter* reporter, std::string* out) {
  const rapidjson::Value* value = FindMember(object, key);
  std::string member_path = MemberPath(path, key);
  if (value == nullptr) {
    reporter->Error(member_path, "missing (a non-empty string is required)");
    return false;
  }
  if (!value->IsString()) {
    reporter->Error(member_path, std::string("expected a string, found ") + TypeName(*value));
    return false;
  }
  if (value->GetStringLength() == 0) {
    reporter->Error(member_path, "must not be empty");
    return false;
  }
  out->assign(value->GetString(), value->GetStringLength());
  return true;
}

bool OptionalString(const rapidjson::Value& object, std::string_view key, const std::string& path,
                    Reporter* reporter, std::string* out) {
  const rapidjson::Value* value = FindMember(object, key);
  if (value == nullptr || value->IsNull()) return true;
  if (!value->IsString()) {
    reporter->Error(MemberPath(path, key),
                    std::string("expected a string, found ") + TypeName(*value));
    return false;
  }
  out->assign(value->GetString(), value->GetStringLength());
  return true;
}

bool OptionalStringArray(const rapidjson::Value& object, std::string_view key,
                         const std::string& path, Reporter* reporter,
                         std::vector<std::string>* out) {
  out->clear();
  const rapidjson::Value* value = FindMember(object, key);
  if (value == nullptr || value->IsNull()) return true;
  std::string member_path = MemberPath(path, key);
  if (!value->IsArray()) {
    reporter->Error(member_path, std::string("expected an array, found ") + TypeName(*value));
    return false;
  }
  bool ok = true;
  for (rapidjson::SizeType i = 0; i < value->Size(); ++i) {
    const rapidjson::Value& element = (*value)[i];
    if (!element.IsString()) {
      reporter->Error(IndexPath(member_path, i),
                      std::string("expected a string, found ") + TypeName(element));
      ok = false;
      continue;
    }
    out->emplace_back(element.GetString(), element.GetStringLength());
  }
  return ok;
}

bool IsSafeName(std::string_view text, std::size_t max_length) {
  if (text.empty() || text.size() > max_length) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool HasControlCharacter(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

void JsonOut::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_members_.empty()) {
    if (has_members_.back()) out_ += ',';
    has_members_.back() = true;
  }
}

JsonOut& JsonOut::BeginObject() {
  BeforeValue();
  out_ += '{';
  has_members_.push_back(false);
  return *this;
}

JsonOut& JsonOut::EndObject() {
  out_ += '}';
  has_members_.pop_back();
  return *this;
}

JsonOut& JsonOut::BeginArray() {
  BeforeValue();
  out_ += '[';
  has_members_.push_back(false);
  return *this;
}

JsonOut& JsonOut::EndArray() {
  out_ += ']';
  has_members_.pop_back();
  return *this;
}

JsonOut& JsonOut::Key(std::string_view key) {
  BeforeValue();
  codec::AppendJsonString(&out_, key);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonOut& JsonOut::String(std::string_view text) {
  BeforeValue();
  codec::AppendJsonString(&out_, text);
  return *this;
}

JsonOut& JsonOut::Int(long long value) {
  BeforeValue();
  out_ += std::to_string(value);
  return *this;
}

JsonOut& JsonOut::Json(std::string_view json) {
  std::optional<std::string> normalized = NormalizeJson(json);
  return TrustedJson(normalized ? std::string_view(*normalized) : std::string_view("{}"));
}

JsonOut& JsonOut::TrustedJson(std::string_view json) {
  BeforeValue();
  out_ += json;
  return *this;
}

}  // namespace dcr::internal
