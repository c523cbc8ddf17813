#ifndef AMAHOST_TOOLS_AMACTL_STATE_FOLDER_H_
#define AMAHOST_TOOLS_AMACTL_STATE_FOLDER_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace amactl {

// What the commands that read a host's state folder offline (tables, replay, deadletter)
// share.

// The table files of <state_dir>/Tables (every "*.tsf" regular file), sorted by name. False with
// *error when that is not a folder.
bool ListTables(const std::filesystem::path& state_dir, std::vector<std::filesystem::path>* tables,
                std::string* error);

// True when `filter` is empty, the stream id itself, or its DATATYPE (the text after its last
// ':').
bool StreamMatches(std::string_view stream_id, std::string_view filter);

// "2026-12-02T10:15:42.123456789Z": a Unix time in ns, as event times are printed.
std::string FullTime(std::int64_t unix_ns);
// "2026-12-02T10:15:42Z": the same to the second, for listings.
std::string ShortTime(std::int64_t unix_ns);

// A point in time given on a command line, as Unix ns: RFC 3339 ("2026-12-01T10:00:00Z",
// "2026-12-01T10:00:00.5+01:00", a space for the 'T'), a date ("2026-12-01", midnight UTC),
// "@<Unix seconds>", or an age before `now` ("90s", "30m", "12h", "7d"). False with a reason in
// *error.
bool ParseTimeBound(std::string_view text, std::chrono::system_clock::time_point now,
                    std::int64_t* unix_ns, std::string* error);

}  // namespace amactl

#endif  // AMAHOST_TOOLS_AMACTL_STATE_FOLDER_H_
