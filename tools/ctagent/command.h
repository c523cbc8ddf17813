#ifndef AMAHOST_TOOLS_CTAGENT_COMMAND_H_
#define AMAHOST_TOOLS_CTAGENT_COMMAND_H_

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace ctagent {

// Bounds on a command ctagent runs to read the machine (rpm, systemctl).
struct CommandLimits {
  std::size_t max_output = 64 * 1024 * 1024;  // bytes of stdout kept
  std::chrono::milliseconds timeout{60000};   // from the start to the exit
};

// Runs `argv` (argv[0] an absolute path) with posix_spawn, no shell: stdin and stderr
// /dev/null, signals unblocked and at their default actions, environment only `LC_ALL=C` and a
// fixed PATH (so that the output's format does not follow the caller's locale). Its stdout goes
// to `out`. Errors: the spawn's errno; ETIMEDOUT when it runs past the timeout, EFBIG when it
// writes more than max_output (either way it is killed and reaped); ECHILD when it exits other
// than with 0 (`out` holds what it wrote). Blocks the calling thread; thread-safe.
std::error_code RunCommand(const std::vector<std::string>& argv, const CommandLimits& limits,
                           std::string* out);

// The first executable `name` in /usr/bin, /bin, /usr/sbin, /sbin (a fixed list, not $PATH:
// ctagent often runs as root).
std::optional<std::filesystem::path> FindProgram(std::string_view name);

}  // namespace ctagent

#endif  // AMAHOST_TOOLS_CTAGENT_COMMAND_H_
