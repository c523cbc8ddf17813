#include "base/args.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "base/duration.h"

namespace base {

bool ArgReader::TakeOption(std::string_view name, std::string* value) {
  if (Done()) return false;
  std::string_view arg = args_[index_];
  if (arg == name) {
    taken_.emplace_back(name);
    if (index_ + 1 >= args_.size()) {
      Fail(Problem::kMissingValue, fmt::format("option {} needs a value", name));
      return true;
    }
    *value = args_[index_ + 1];
    index_ += 2;
    return true;
  }
  if (arg.size() > name.size() && arg.starts_with(name) && arg[name.size()] == '=') {
    taken_.emplace_back(name);
    *value = std::string(arg.substr(name.size() + 1));
    ++index_;
    return true;
  }
  return false;
}

bool ArgReader::TakeNumber(std::string_view name, std::int64_t min, std::int64_t max,
                           std::int64_t* value) {
  std::string text;
  if (!TakeOption(name, &text)) return false;
  if (!error_.empty()) return true;
  std::int64_t parsed = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (ec != std::errc() || end != text.data() + text.size() || parsed < min || parsed > max) {
    Fail(Problem::kBadValue, fmt::format("option {} needs a whole number from {} to {}, not '{}'",
                                         name, min, max, text));
    return true;
  }
  *value = parsed;
  return true;
}

bool ArgReader::TakeSeconds(std::string_view name, double min, double max,
                            std::chrono::milliseconds* value) {
  std::string text;
  if (!TakeOption(name, &text)) return false;
  if (!error_.empty()) return true;
  // One parser for every duration: a bare number is seconds, and a unit is welcome too.
  std::chrono::milliseconds parsed{};
  if (!ParseDuration(text, &parsed) || parsed.count() < std::llround(min * 1000) ||
      parsed.count() > std::llround(max * 1000)) {
    Fail(Problem::kBadValue,
         fmt::format("option {} needs a number of seconds from {} to {}, not '{}'", name, min, max,
                     text));
    return true;
  }
  *value = parsed;
  return true;
}

bool ArgReader::TakeDuration(std::string_view name, std::chrono::milliseconds min,
                             std::chrono::milliseconds max, std::chrono::milliseconds* value) {
  std::string text;
  if (!TakeOption(name, &text)) return false;
  if (!error_.empty()) return true;
  std::chrono::milliseconds parsed{};
  if (!ParseDuration(text, &parsed) || parsed < min || parsed > max) {
    Fail(Problem::kBadValue,
         fmt::format(
             "option {} needs a duration such as 90s, 30m, 12h or 7d, from {} to {}, not '{}'",
             name, FormatDuration(min), FormatDuration(max), text));
    return true;
  }
  *value = parsed;
  return true;
}

bool ArgReader::TakeFlag(std::string_view name) {
  if (Done() || args_[index_] != name) return false;
  taken_.emplace_back(name);
  ++index_;
  return true;
}

bool ArgReader::TakePositional(std::string* value) {
  if (Done()) return false;
  const std::string& arg = args_[index_];
  if (arg.starts_with("--") && arg != "--") return false;
  *value = arg;
  ++index_;
  return true;
}

void ArgReader::RejectCurrent() {
  if (Done()) return;
  const std::string& arg = args_[index_];
  if (arg.starts_with("-")) {
    Fail(Problem::kUnknownOption, fmt::format("unknown option '{}'", arg));
  } else {
    Fail(Problem::kUnexpectedArgument, fmt::format("unexpected argument '{}'", arg));
  }
}

void ArgReader::Fail(Problem problem, std::string error) {
  problem_ = problem;
  error_ = std::move(error);
}

}  // namespace base
