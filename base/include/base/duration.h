#ifndef AMAHOST_BASE_DURATION_H_
#define AMAHOST_BASE_DURATION_H_

#include <chrono>
#include <string>
#include <string_view>

namespace base {

// Durations as people write them on a command line: a number (decimals allowed) and a unit, one
// of ms, s, m, h or d ("90s", "30m", "1.5h", "7d"), or a bare number of seconds ("90" = "90s",
// "0.2" = 200 ms). Rounded to whole milliseconds. Returns false, leaving *value alone, for
// anything else: no digits, a sign, an unknown unit, spaces, NaN, or more than ~290 million
// years.
bool ParseDuration(std::string_view text, std::chrono::milliseconds* value);

// The largest unit that says `value` exactly: "7d", "12h", "30m", "90s", "1500ms"; "0s" for zero.
// ParseDuration reads it back to the same value.
std::string FormatDuration(std::chrono::milliseconds value);

}  // namespace base

#endif  // AMAHOST_BASE_DURATION_H_
