#include "base/duration.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>

namespace base {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t ms;
};

// Largest first: FormatDuration takes the first that divides the value.
constexpr Unit kUnits[] = {
    {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1},
};

}  // namespace

bool ParseDuration(std::string_view text, std::chrono::milliseconds* value) {
  // from_chars would accept a leading '-', and "inf"/"nan": only digits and a point may start it.
  if (text.empty() || !((text[0] >= '0' && text[0] <= '9') || text[0] == '.')) return false;
  double number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || !std::isfinite(number)) return false;
  const std::string_view suffix(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::int64_t unit_ms = 1000;  // a bare number is seconds
  if (!suffix.empty()) {
    unit_ms = 0;
    for (const Unit& unit : kUnits) {
      if (suffix == unit.suffix) unit_ms = unit.ms;
    }
    if (unit_ms == 0) return false;
  }
  const double ms = number * static_cast<double>(unit_ms);
  // 2^63 ms is ~292 million years; anything near it is a typo, not a duration.
  if (ms > 9.0e18) return false;
  *value = std::chrono::milliseconds(std::llround(ms));
  return true;
}

std::string FormatDuration(std::chrono::milliseconds value) {
  const std::int64_t ms = value.count();
  if (ms == 0) return "0s";
  for (const Unit& unit : kUnits) {
    if (ms % unit.ms == 0) return fmt::format("{}{}", ms / unit.ms, unit.suffix);
  }
  return fmt::format("{}ms", ms);
}

}  // namespace base
