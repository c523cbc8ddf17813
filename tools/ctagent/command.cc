#include "command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>

namespace ctagent {
namespace {

using Clock = std::chrono::steady_clock;

struct Fd {
  int fd = -1;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

std::error_code Errno(int error) { return {error, std::generic_category()}; }

// Waits for `pid` until `deadline`, then kills it and waits for it: it is reaped either way.
// True when it exited by itself with status 0.
bool Reap(pid_t pid, Clock::time_point deadline) {
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (done < 0 && errno != EINTR) return false;
    if (Clock::now() >= deadline) break;
    // It closed its stdout but has not exited yet: a short pause, bounded by the deadline.
    ::poll(nullptr, 0, 5);
  }
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return false;
}

}  // namespace

std::error_code RunCommand(const std::vector<std::string>& argv, const CommandLimits& limits,
                           std::string* out) {
  out->clear();
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') return Errno(EINVAL);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Errno(errno);
  Fd read_end{pipe_fds[0]}, write_end{pipe_fds[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.fd, STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  // ctagent blocks SIGINT and SIGTERM to take them synchronously; the child must not inherit
  // that.
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  char lc_all[] = "LC_ALL=C";
  char path[] = "PATH=/usr/bin:/bin:/usr/sbin:/sbin";
  char* environment[] = {lc_all, path, nullptr};
  pid_t pid = -1;
  const int spawn_error =
      ::posix_spawn(&pid, args[0], &actions, &attributes, args.data(), environment);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawn_error != 0) return Errno(spawn_error);
  write_end.Close();

  const Clock::time_point deadline = Clock::now() + limits.timeout;
  std::array<char, 65536> buffer;
  std::error_code result;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      result = Errno(ETIMEDOUT);
      break;
    }
    pollfd readable{read_end.fd, POLLIN, 0};
    const int ready = ::poll(&readable, 1, static_cast<int>(std::min<long long>(left, 60000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      result = Errno(errno);
      break;
    }
    if (ready == 0) continue;
    const ssize_t n = ::read(read_end.fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result = Errno(errno);
      break;
    }
    if (n == 0) break;
    if (out->size() + static_cast<std::size_t>(n) > limits.max_output) {
      result = Errno(EFBIG);
      break;
    }
    out->append(buffer.data(), static_cast<std::size_t>(n));
  }
  read_end.Close();
  const bool exited_well = Reap(pid, result ? Clock::now() : deadline);
  if (!result && !exited_well) result = Errno(ECHILD);
  return result;
}

std::optional<std::filesystem::path> FindProgram(std::string_view name) {
  for (const char* folder : {"/usr/bin", "/bin", "/usr/sbin", "/sbin"}) {
    const std::filesystem::path path = std::filesystem::path(folder) / name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return std::nullopt;
}

}  // namespace ctagent
