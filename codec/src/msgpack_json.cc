#include "codec/msgpack_json.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "base/base64.h"
#include "codec/fluent_entries.h"
#include "codec/json_parse.h"
#include "codec/json_text.h"

namespace codec {
namespace {

constexpr int kMaxJsonDepth = 64;

// `depth`: the nesting an array or map read here has, the outermost being 1, as ParseJson counts
// it: what this writes, ParseJson reads back.
bool AppendValue(MsgpackCursor& cursor, std::string* out, int depth);

// std::to_chars: no format string to parse, no iterator per character.
template <typename Integer>
void AppendInteger(std::string* out, Integer value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  out->append(digits, static_cast<std::size_t>(end - digits));
}

bool AppendScalarOrPayload(MsgpackCursor& cursor, const MsgpackHead& head, std::string* out) {
  switch (head.type) {
    case MsgpackType::kNil:
      out->append("null");
      return true;
    case MsgpackType::kBool:
      out->append(head.boolean ? "true" : "false");
      return true;
    case MsgpackType::kUint:
      AppendInteger(out, head.uint_value);
      return true;
    case MsgpackType::kInt:
      AppendInteger(out, head.int_value);
      return true;
    case MsgpackType::kFloat:
      if (!std::isfinite(head.float_value)) {
        out->append("null");
      } else {
        fmt::format_to(std::back_inserter(*out), "{}", head.float_value);
      }
      return true;
    case MsgpackType::kStr: {
      std::string_view text;
      if (!cursor.Payload(head, &text)) return false;
      AppendJsonString(out, text);
      return true;
    }
    case MsgpackType::kBin: {
      std::string_view bytes;
      if (!cursor.Payload(head, &bytes)) return false;
      AppendJsonString(out, base::Base64Encode(bytes));
      return true;
    }
    case MsgpackType::kExt: {
      std::string_view payload;
      if (!cursor.Payload(head, &payload)) return false;
      if (head.ext_type == kEventTimeExtType && head.length == 8) {
        std::string encoded;
        MsgpackWriter writer(&encoded);
        writer.Ext(head.ext_type, payload);
        MsgpackCursor time_cursor(encoded);
        EventTime time;
        if (ReadEventTime(time_cursor, &time)) {
          AppendJsonString(out, FormatEventTime(time));
          return true;
        }
      }
      AppendJsonString(out, base::Base64Encode(payload));
      return true;
    }
    default:
      return false;
  }
}

bool AppendValue(MsgpackCursor& cursor, std::string* out, int depth) {
  MsgpackHead head;
  if (!cursor.Next(&head)) return false;
  const bool container = head.type == MsgpackType::kArray || head.type == MsgpackType::kMap;
  if (container && depth > kMaxJsonDepth) return false;
  if (head.type == MsgpackType::kArray) {
    out->push_back('[');
    for (std::uint32_t i = 0; i < head.length; ++i) {
      if (i > 0) out->push_back(',');
      if (!AppendValue(cursor, out, depth + 1)) return false;
    }
    out->push_back(']');
    return true;
  }
  if (head.type == MsgpackType::kMap) {
    out->push_back('{');
    for (std::uint32_t i = 0; i < head.length; ++i) {
      if (i > 0) out->push_back(',');
      MsgpackCursor key_peek = cursor;
      MsgpackHead key_head;
      if (!key_peek.Next(&key_head)) return false;
      if (key_head.type == MsgpackType::kStr) {
        std::string_view key;
        if (!cursor.ReadStr(&key)) return false;
        AppendJsonString(out, key);
      } else if (key_head.type == MsgpackType::kArray || key_head.type == MsgpackType::kMap) {
        // Escaping a container key's JSON inside a string, level after level, doubles the text
        // each time: refused (ingest refuses such records too).
        return false;
      } else {
        std::string key_json;
        MsgpackHead head_again;
        if (!cursor.Next(&head_again)) return false;
        if (!AppendScalarOrPayload(cursor, head_again, &key_json)) return false;
        // bin and ext keys already come out as JSON strings; numbers, booleans and null are
        // quoted.
        if (key_json.front() == '"') {
          out->append(key_json);
        } else {
          AppendJsonString(out, key_json);
        }
      }
      out->push_back(':');
      if (!AppendValue(cursor, out, depth + 1)) return false;
    }
    out->push_back('}');
    return true;
  }
  return AppendScalarOrPayload(cursor, head, out);
}

}  // namespace

bool AppendMsgpackAsJson(MsgpackCursor& cursor, std::string* out) {
  return AppendValue(cursor, out, 1);
}

bool AppendJsonAsMsgpack(const rapidjson::Value& value, MsgpackWriter& writer, int max_depth) {
  if (max_depth < 0) return false;
  switch (value.GetType()) {
    case rapidjson::kNullType:
      writer.Nil();
      return true;
    case rapidjson::kFalseType:
      writer.Bool(false);
      return true;
    case rapidjson::kTrueType:
      writer.Bool(true);
      return true;
    case rapidjson::kStringType:
      writer.Str(std::string_view(value.GetString(), value.GetStringLength()));
      return true;
    case rapidjson::kNumberType:
      if (value.IsUint64()) {
        writer.Uint(value.GetUint64());
      } else if (value.IsInt64()) {
        writer.Int(value.GetInt64());
      } else {
        writer.Double(value.GetDouble());
      }
      return true;
    case rapidjson::kArrayType:
      writer.Array(value.Size());
      for (const auto& element : value.GetArray()) {
        if (!AppendJsonAsMsgpack(element, writer, max_depth - 1)) return false;
      }
      return true;
    case rapidjson::kObjectType:
      writer.Map(value.MemberCount());
      for (const auto& member : value.GetObject()) {
        writer.Str(std::string_view(member.name.GetString(), member.name.GetStringLength()));
        if (!AppendJsonAsMsgpack(member.value, writer, max_depth - 1)) return false;
      }
      return true;
  }
  return false;
}

}  // namespace codec
