#ifndef AMAHOST_TOOLS_AMACTL_DETACHED_PROCESS_H_
#define AMAHOST_TOOLS_AMACTL_DETACHED_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace amactl {

// Processes that outlive the amactl that starts them (amactl sandbox): started in a session of
// their own, so that a terminal's Ctrl-C or the end of a test's shell does not reach them, and
// stopped later by another amactl that knows only their pid.

// Starts `argv` (argv[0] a path) with stdin from /dev/null and stdout and stderr appended to
// `log_path`, in a new session. The caller does not wait for it.
std::error_code StartDetached(const std::vector<std::string>& argv,
                              const std::filesystem::path& log_path, pid_t* pid);

// True while `pid` exists and has not exited (a zombie counts as exited) and its command line
// contains `marker` (a folder only that process was given), so that a pid reused by an unrelated
// process after a reboot is never mistaken for ours.
bool RunsWith(pid_t pid, std::string_view marker);

// Asks `pid` to stop (SIGTERM), waits up to `grace`, then SIGKILLs it and waits up to 5 s more.
// Only when RunsWith(pid, marker). True when it is gone (or was never ours).
bool StopDetached(pid_t pid, std::string_view marker, std::chrono::milliseconds grace);

// The executable `name` ("amahost", "mockcloud"): the environment variable `variable` when set,
// else beside this amactl, else in this amactl's build tree (../../ama/amahost,
// ../mockcloud/mockcloud), else on $PATH. nullopt when none exists.
std::optional<std::filesystem::path> FindTool(std::string_view name, const char* variable);

}  // namespace amactl

#endif  // AMAHOST_TOOLS_AMACTL_DETACHED_PROCESS_H_
