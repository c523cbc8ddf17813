#include "base/backoff.h"

#include <algorithm>
#include <array>

namespace base {

namespace {

std::uint64_t NonNegative(std::chrono::milliseconds value) {
  return value.count() < 0 ? 0 : static_cast<std::uint64_t>(value.count());
}

}  // namespace

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, RandomSource random)
    : base_ms_(NonNegative(base)), cap_ms_(NonNegative(cap)), random_(std::move(random)) {
  if (!random_) {
    engine_.seed(std::random_device{}());
    random_ = [this](std::uint64_t upper) {
      return std::uniform_int_distribution<std::uint64_t>(0, upper)(engine_);
    };
  }
}

std::chrono::milliseconds Backoff::Ceiling(std::uint32_t attempt) const {
  // base·2^attempt ≤ cap exactly when base ≤ cap / 2^attempt, which cannot overflow.
  std::uint64_t ceiling = cap_ms_;
  if (attempt < 64 && base_ms_ <= (cap_ms_ >> attempt)) ceiling = base_ms_ << attempt;
  if (base_ms_ == 0) ceiling = 0;
  return std::chrono::milliseconds(static_cast<std::int64_t>(
      std::min<std::uint64_t>(ceiling, static_cast<std::uint64_t>(INT64_MAX))));
}

std::chrono::milliseconds Backoff::Delay(std::uint32_t attempt) {
  auto upper = static_cast<std::uint64_t>(Ceiling(attempt).count());
  std::uint64_t value = std::min(random_(upper), upper);
  return std::chrono::milliseconds(static_cast<std::int64_t>(value));
}

namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Exactly `text.size()` digits (at least one).
bool Digits(std::string_view text, int* value) {
  if (text.empty() || text.size() > 4) return false;
  int result = 0;
  for (char c : text) {
    if (!IsDigit(c)) return false;
    result = result * 10 + (c - '0');
  }
  *value = result;
  return true;
}

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDays = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

// HTTP-date names are case-sensitive (RFC 9110 §5.6.7).
int Month(std::string_view name) {
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == name) return static_cast<int>(i) + 1;
  }
  return 0;
}

template <std::size_t N>
bool OneOf(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

struct Civil {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

// "HH:MM:SS".
bool TimeOfDay(std::string_view text, Civil* civil) {
  return text.size() == 8 && text[2] == ':' && text[5] == ':' &&
         Digits(text.substr(0, 2), &civil->hour) && Digits(text.substr(3, 2), &civil->minute) &&
         Digits(text.substr(6, 2), &civil->second) && civil->hour <= 23 && civil->minute <= 59 &&
         civil->second <= 60;
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
bool ImfFixdate(std::string_view text, Civil* civil) {
  return text.size() == 29 && OneOf(kDays, text.substr(0, 3)) && text.substr(3, 2) == ", " &&
         Digits(text.substr(5, 2), &civil->day) && text[7] == ' ' &&
         (civil->month = Month(text.substr(8, 3))) != 0 && text[11] == ' ' &&
         Digits(text.substr(12, 4), &civil->year) && text[16] == ' ' &&
         TimeOfDay(text.substr(17, 8), civil) && text.substr(25) == " GMT";
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
bool Rfc850Date(std::string_view text, int current_year, Civil* civil) {
  std::size_t comma = text.find(", ");
  if (comma == std::string_view::npos || !OneOf(kLongDays, text.substr(0, comma))) return false;
  std::string_view rest = text.substr(comma + 2);
  int two_digit_year = 0;
  if (!(rest.size() == 22 && Digits(rest.substr(0, 2), &civil->day) && rest[2] == '-' &&
        (civil->month = Month(rest.substr(3, 3))) != 0 && rest[6] == '-' &&
        Digits(rest.substr(7, 2), &two_digit_year) && rest[9] == ' ' &&
        TimeOfDay(rest.substr(10, 8), civil) && rest.substr(18) == " GMT")) {
    return false;
  }
  // RFC 9110: a year more than 50 years ahead is the most recent past one with those digits.
  int year = current_year / 100 * 100 + two_digit_year;
  if (year > current_year + 50) {
    year -= 100;
  } else if (year <= current_year - 50) {
    year += 100;
  }
  civil->year = year;
  return true;
}

// "Sun Nov  6 08:49:37 1994"
bool AsctimeDate(std::string_view text, Civil* civil) {
  if (text.size() != 24 || !OneOf(kDays, text.substr(0, 3)) || text[3] != ' ' ||
      (civil->month = Month(text.substr(4, 3))) == 0 || text[7] != ' ') {
    return false;
  }
  std::string_view day = text.substr(8, 2);
  if (day[0] == ' ') day.remove_prefix(1);
  return Digits(day, &civil->day) && text[10] == ' ' && TimeOfDay(text.substr(11, 8), civil) &&
         text[19] == ' ' && Digits(text.substr(20, 4), &civil->year);
}

std::chrono::milliseconds Clamp(std::chrono::milliseconds wait) {
  return std::clamp(wait, std::chrono::milliseconds(0), kMaxRetryAfter);
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), IsDigit)) {
    std::int64_t seconds = 0;
    const std::int64_t limit = duration_cast<std::chrono::seconds>(kMaxRetryAfter).count();
    // Stop accumulating past the cap, so that any number of digits is safe.
    for (char c : value) seconds = std::min(limit + 1, seconds * 10 + (c - '0'));
    return Clamp(duration_cast<milliseconds>(std::chrono::seconds(seconds)));
  }
  int current_year = static_cast<int>(year_month_day(floor<days>(now)).year());
  Civil civil;
  if (!ImfFixdate(value, &civil) && !Rfc850Date(value, current_year, &civil) &&
      !AsctimeDate(value, &civil)) {
    return std::nullopt;
  }
  year_month_day date{year(civil.year), month(static_cast<unsigned>(civil.month)),
                      day(static_cast<unsigned>(civil.day))};
  if (!date.ok()) return std::nullopt;
  sys_seconds when = sys_days(date) + hours(civil.hour) + minutes(civil.minute) +
                     std::chrono::seconds(civil.second);
  return Clamp(ceil<milliseconds>(when - now));
}

}  // namespace base
