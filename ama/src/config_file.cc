#include "config_file.h"

#include <fmt/format.h>

#include <set>

#include "codec/json_parse.h"

namespace ama {
namespace {

// A string or number as the argument text a command line would hold; false for other kinds.
bool ArgumentText(const rapidjson::Value& value, std::string* text) {
  if (value.IsString()) {
    text->assign(value.GetString(), value.GetStringLength());
  } else if (value.IsInt64()) {
    *text = std::to_string(value.GetInt64());
  } else if (value.IsUint64()) {
    *text = std::to_string(value.GetUint64());
  } else if (value.IsNumber()) {
    // The shortest text that reads back as the same double: 0.5, 1e+300.
    *text = fmt::format("{}", value.GetDouble());
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool ConfigFileArguments(std::string_view text, std::vector<ConfigArgument>* arguments,
                         std::string* error) {
  arguments->clear();
  rapidjson::Document document;
  std::string reason;
  std::size_t offset = 0;
  // A config file is flat: an object of values and arrays of values.
  if (!codec::ParseJson(text, &document, &reason, {.max_bytes = 1024 * 1024, .max_depth = 8},
                        &offset)) {
    *error = codec::TextPosition(text, offset) + ": " + reason;
    return false;
  }
  if (!document.IsObject()) {
    *error = fmt::format(
        "a config file holds one JSON object ({{\"state-dir\": \"/var/lib/amahost\", …}}), not {}",
        codec::JsonTypeName(document));
    return false;
  }
  std::set<std::string> seen;
  for (const auto& member : document.GetObject()) {
    ConfigArgument argument;
    argument.key.assign(member.name.GetString(), member.name.GetStringLength());
    if (!seen.insert(argument.key).second) {
      *error = fmt::format("\"{}\" is given twice", argument.key);
      return false;
    }
    const std::string flag = "--" + argument.key;
    const rapidjson::Value& value = member.value;
    std::string item;
    if (value.IsBool()) {
      if (value.GetBool()) argument.args.push_back(flag);
      argument.is_false = !value.GetBool();
    } else if (ArgumentText(value, &item)) {
      argument.args = {flag, item};
    } else if (value.IsArray()) {
      for (const auto& element : value.GetArray()) {
        if (!ArgumentText(element, &item)) {
          *error = fmt::format("\"{}\": an array holds strings or numbers, not {}", argument.key,
                               codec::JsonTypeName(element));
          return false;
        }
        argument.args.push_back(flag);
        argument.args.push_back(item);
      }
    } else {
      *error = fmt::format(
          "\"{}\": takes a string, a number, true or false, or an array of strings or numbers, "
          "not {}{}",
          argument.key, codec::JsonTypeName(value),
          value.IsNull() ? " (leave the key out instead)" : "");
      return false;
    }
    arguments->push_back(std::move(argument));
  }
  return true;
}

}  // namespace ama
