#include "detached_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

extern char** environ;

namespace amactl {
namespace {

// The one-letter state of /proc/<pid>/stat ('R', 'S', 'Z', …); 0 when the process is gone.
char ProcessState(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // "pid (comm) S …": comm may hold spaces and parentheses, so look after the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size()) return 0;
  return text[close + 2];
}

bool Exited(pid_t pid) {
  // Our own child (when `up` stops what it started after a failure) is reaped here; anyone
  // else's shows as gone or as a zombie.
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) == pid) return true;
  const char state = ProcessState(pid);
  return state == 0 || state == 'Z' || state == 'X';
}

bool WaitExited(pid_t pid, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!Exited(pid)) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

std::error_code StartDetached(const std::vector<std::string>& argv,
                              const std::filesystem::path& log_path, pid_t* pid) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // A new session: no controlling terminal, so neither a terminal's signals nor the end of the
  // caller's session reach it. The default signal mask and dispositions, whatever ours are.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> pointers;
  for (const std::string& arg : argv) pointers.push_back(const_cast<char*>(arg.c_str()));
  pointers.push_back(nullptr);
  const int error = posix_spawn(pid, pointers[0], &actions, &attributes, pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return std::error_code(error, std::generic_category());
}

bool RunsWith(pid_t pid, std::string_view marker) {
  if (pid <= 0 || marker.empty()) return false;
  // posix_spawn returns once the child's exec has begun; until the kernel has set up its new
  // arguments, its command line reads empty. Give it a second.
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  for (;;) {
    if (Exited(pid)) return false;
    std::ifstream file("/proc/" + std::to_string(pid) + "/cmdline");
    std::string command_line((std::istreambuf_iterator<char>(file)),
                             std::istreambuf_iterator<char>());
    if (!command_line.empty()) return command_line.find(marker) != std::string::npos;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool StopDetached(pid_t pid, std::string_view marker, std::chrono::milliseconds grace) {
  if (!RunsWith(pid, marker)) return true;
  kill(pid, SIGTERM);
  if (WaitExited(pid, grace)) return true;
  kill(pid, SIGKILL);
  return WaitExited(pid, std::chrono::seconds(5));
}

std::optional<std::filesystem::path> FindTool(std::string_view name, const char* variable) {
  namespace fs = std::filesystem;
  auto usable = [](const fs::path& path) {
    return !path.empty() && access(path.c_str(), X_OK) == 0 && !fs::is_directory(path);
  };
  if (const char* value = std::getenv(variable); value != nullptr && *value != '\0') {
    return usable(value) ? std::optional<fs::path>(value) : std::nullopt;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path here = self.parent_path();
    // Installed side by side, or amactl's place in the build tree (tools/amactl/).
    for (const fs::path& candidate :
         {here / name, here / ".." / ".." / "ama" / name, here / ".." / name / name}) {
      if (usable(candidate)) return candidate.lexically_normal();
    }
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::string_view rest = path;
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      const fs::path folder(std::string(rest.substr(0, colon)));
      if (usable(folder / name)) return folder / name;
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  return std::nullopt;
}

}  // namespace amactl
