#include "codec/json_parse.h"

#include <fmt/format.h>

#include <algorithm>

#include "codec/json_text.h"
#include "rapidjson/encodedstream.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace codec {
namespace {

// Forwards SAX events to the document while counting nesting; returning false stops the reader.
class DepthLimiter {
 public:
  DepthLimiter(rapidjson::Document& document, int max_depth)
      : document_(document), max_depth_(max_depth) {}

  bool Null() { return document_.Null(); }
  bool Bool(bool b) { return document_.Bool(b); }
  bool Int(int i) { return document_.Int(i); }
  bool Uint(unsigned i) { return document_.Uint(i); }
  bool Int64(int64_t i) { return document_.Int64(i); }
  bool Uint64(uint64_t i) { return document_.Uint64(i); }
  bool Double(double d) { return document_.Double(d); }
  bool RawNumber(const char* text, rapidjson::SizeType length, bool copy) {
    return document_.RawNumber(text, length, copy);
  }
  // RapidJSON 1.1.0 validates raw bytes but turns a lone surrogate escape ("\udddd") into bytes
  // that are not UTF-8; every string is checked after unescaping.
  bool String(const char* text, rapidjson::SizeType length, bool copy) {
    return Utf8(text, length) && document_.String(text, length, copy);
  }
  bool Key(const char* text, rapidjson::SizeType length, bool copy) {
    return Utf8(text, length) && document_.Key(text, length, copy);
  }
  bool StartObject() { return Enter() && document_.StartObject(); }
  bool EndObject(rapidjson::SizeType count) {
    --depth_;
    return document_.EndObject(count);
  }
  bool StartArray() { return Enter() && document_.StartArray(); }
  bool EndArray(rapidjson::SizeType count) {
    --depth_;
    return document_.EndArray(count);
  }

  bool too_deep() const { return too_deep_; }
  bool bad_utf8() const { return bad_utf8_; }

 private:
  bool Utf8(const char* text, rapidjson::SizeType length) {
    if (IsValidUtf8(std::string_view(text, length))) return true;
    bad_utf8_ = true;
    return false;
  }
  bool Enter() {
    if (++depth_ > max_depth_) too_deep_ = true;
    return !too_deep_;
  }

  rapidjson::Document& document_;
  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  bool bad_utf8_ = false;
};

}  // namespace

bool ParseJson(std::string_view text, rapidjson::Document* document, std::string* error,
               const JsonParseLimits& limits, std::size_t* error_offset) {
  document->SetNull();
  if (error_offset) *error_offset = 0;
  if (text.size() > limits.max_bytes) {
    *error = fmt::format("document is larger than {} bytes", limits.max_bytes);
    return false;
  }
  // MemoryStream reports '\0' at its end, so a NUL byte would silently end the document; valid
  // JSON never holds one unescaped.
  if (std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    *error = fmt::format("invalid JSON at byte {}: NUL byte", nul);
    if (error_offset) *error_offset = nul;
    return false;
  }
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
  rapidjson::ParseResult result;
  bool too_deep = false;
  bool bad_utf8 = false;
  auto generator = [&](rapidjson::Document& handler) {
    DepthLimiter limited(handler, limits.max_depth);
    rapidjson::MemoryStream memory(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> input(memory);
    rapidjson::Reader reader;
    result = reader.Parse<kFlags>(input, limited);
    too_deep = limited.too_deep();
    bad_utf8 = limited.bad_utf8();
    return !result.IsError();
  };
  document->Populate(generator);
  if (!result.IsError()) return true;
  document->SetNull();
  if (error_offset) *error_offset = result.Offset();
  if (result.Code() == rapidjson::kParseErrorStringInvalidEncoding ||
      result.Code() == rapidjson::kParseErrorStringUnicodeSurrogateInvalid) {
    bad_utf8 = true;
  }
  if (bad_utf8) {
    *error = fmt::format(
        "invalid JSON at byte {}: a string is not valid UTF-8 (a lone surrogate "
        "escape?)",
        result.Offset());
  } else if (too_deep) {
    *error = fmt::format("JSON nested deeper than {} levels (at byte {})", limits.max_depth,
                         result.Offset());
  } else {
    *error = fmt::format("invalid JSON at byte {}: {}", result.Offset(),
                         rapidjson::GetParseError_En(result.Code()));
  }
  return false;
}

std::string TextPosition(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return fmt::format("line {}, column {}", line, offset - line_start + 1);
}

const char* JsonTypeName(const rapidjson::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "a value";
}

std::string CompactJson(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace codec
