#include "state_folder.h"

#include <algorithm>
#include <charconv>
#include <ctime>

#include "codec/fluent_entries.h"
#include "localstore/table_name.h"

namespace amactl {

bool ListTables(const std::filesystem::path& state_dir, std::vector<std::filesystem::path>* tables,
                std::string* error) {
  tables->clear();
  const std::filesystem::path folder = state_dir / "Tables";
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    *error = folder.string() + " is not a folder of tables (is " + state_dir.string() +
             " a host's state folder, its --state-dir?)";
    return false;
  }
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    std::error_code type_error;
    if (entry.path().extension() == ".tsf" && entry.is_regular_file(type_error)) {
      tables->push_back(entry.path());
    }
  }
  if (ec) {
    *error = "cannot list " + folder.string() + ": " + ec.message();
    return false;
  }
  std::sort(tables->begin(), tables->end());
  return true;
}

bool StreamMatches(std::string_view stream_id, std::string_view filter) {
  if (filter.empty() || stream_id == filter) return true;
  return stream_id.find(':') != std::string_view::npos &&
         localstore::DataTypeOf(stream_id) == filter;
}

std::string FullTime(std::int64_t unix_ns) {
  std::int64_t seconds = unix_ns / 1000000000;
  std::int64_t nanos = unix_ns % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    seconds -= 1;
  }
  return codec::FormatEventTime(codec::EventTime{seconds, static_cast<std::uint32_t>(nanos)});
}

std::string ShortTime(std::int64_t unix_ns) {
  std::string text = FullTime(unix_ns);
  const std::size_t dot = text.find('.');
  return dot == std::string::npos ? text : text.substr(0, dot) + "Z";
}

namespace {

// Reads exactly `digits` digits at text[*at].
bool Digits(std::string_view text, std::size_t* at, int digits, int* value) {
  if (*at + digits > text.size()) return false;
  int v = 0;
  for (int i = 0; i < digits; ++i) {
    const char c = text[*at + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *at += digits;
  *value = v;
  return true;
}

}  // namespace

bool ParseTimeBound(std::string_view text, std::chrono::system_clock::time_point now,
                    std::int64_t* unix_ns, std::string* error) {
  const std::int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  if (text.empty()) {
    *error = "empty";
    return false;
  }
  if (text[0] == '@') {
    std::int64_t seconds = 0;
    auto [end, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), seconds);
    if (ec != std::errc() || end != text.data() + text.size() || text.size() == 1 || seconds < 0 ||
        seconds > 9000000000) {
      *error = "not a Unix time in seconds (@1764583200)";
      return false;
    }
    *unix_ns = seconds * 1000000000;
    return true;
  }
  // An age: digits and one unit.
  const char unit = text.back();
  if (text.size() >= 2 && (unit == 's' || unit == 'm' || unit == 'h' || unit == 'd') &&
      text.find_first_not_of("0123456789") == text.size() - 1) {
    std::int64_t amount = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, amount);
    const std::int64_t scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400;
    if (ec != std::errc() || amount > 100LL * 365 * 86400 / scale) {
      *error = "an age of more than 100 years";
      return false;
    }
    *unix_ns = now_ns - amount * scale * 1000000000;
    return true;
  }
  std::size_t at = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const char* kForm =
      "not a time: give 2026-12-01T10:00:00Z, 2026-12-01, @<Unix seconds> or an age (30m, 12h, "
      "7d)";
  if (!Digits(text, &at, 4, &year) || at >= text.size() || text[at++] != '-' ||
      !Digits(text, &at, 2, &month) || at >= text.size() || text[at++] != '-' ||
      !Digits(text, &at, 2, &day)) {
    *error = kForm;
    return false;
  }
  std::int64_t nanos = 0;
  std::int64_t offset_seconds = 0;
  if (at < text.size()) {
    if (text[at] != 'T' && text[at] != 't' && text[at] != ' ') {
      *error = kForm;
      return false;
    }
    ++at;
    if (!Digits(text, &at, 2, &hour) || at >= text.size() || text[at++] != ':' ||
        !Digits(text, &at, 2, &minute) || at >= text.size() || text[at++] != ':' ||
        !Digits(text, &at, 2, &second)) {
      *error = kForm;
      return false;
    }
    if (at < text.size() && text[at] == '.') {
      ++at;
      int places = 0;
      while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
        if (places < 9) nanos = nanos * 10 + (text[at] - '0');
        ++places;
        ++at;
      }
      if (places == 0) {
        *error = kForm;
        return false;
      }
      for (int i = places; i < 9; ++i) nanos *= 10;
    }
    if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
      ++at;
    } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
      const int sign = text[at++] == '-' ? -1 : 1;
      int oh = 0, om = 0;
      if (!Digits(text, &at, 2, &oh) || at >= text.size() || text[at++] != ':' ||
          !Digits(text, &at, 2, &om) || oh > 23 || om > 59) {
        *error = kForm;
        return false;
      }
      offset_seconds = sign * (oh * 3600 + om * 60);
    } else if (at == text.size()) {
      // No offset: UTC, as everything amahost prints.
    } else {
      *error = kForm;
      return false;
    }
    if (at != text.size()) {
      *error = kForm;
      return false;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    *error = "a field is out of range";
    return false;
  }
  std::tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::int64_t seconds = static_cast<std::int64_t>(timegm(&tm)) - offset_seconds;
  if (tm.tm_mday != day) {
    *error = "no such day";
    return false;
  }
  *unix_ns = seconds * 1000000000 + nanos;
  return true;
}

}  // namespace amactl
