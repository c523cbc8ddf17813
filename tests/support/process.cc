#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace testing {
namespace {

// A child whose stdin we feed may exit before reading it all (amactl refusing its arguments);
// the write must then fail with EPIPE, not kill the test with SIGPIPE. Children get the default
// disposition back (SpawnAttributes).
[[maybe_unused]] const bool kSigpipeIgnored = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

// Owns spawn attributes that restore SIGPIPE's default action in the child.
struct SpawnAttributes {
  posix_spawnattr_t attributes;
  SpawnAttributes() {
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attributes); }
};

std::vector<char*> MakeArgv(const std::vector<std::string>& argv) {
  std::vector<char*> pointers;
  for (const std::string& arg : argv) pointers.push_back(const_cast<char*>(arg.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

std::unique_ptr<ChildProcess> ChildProcess::Start(const std::vector<std::string>& argv,
                                                  const std::filesystem::path& log_path,
                                                  const std::vector<std::string>& environment,
                                                  const std::filesystem::path& stderr_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (stderr_path.empty()) {
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  pid_t pid = 0;
  std::vector<char*> args = MakeArgv(argv);
  SpawnAttributes attributes;
  std::vector<std::string> variables = environment;
  for (char** variable = environ; *variable; ++variable) {
    std::string_view text(*variable);
    std::string_view name = text.substr(0, text.find('='));
    bool replaced = false;
    for (const std::string& added : environment) {
      replaced = replaced || (added.size() > name.size() && added.starts_with(name) &&
                              added[name.size()] == '=');
    }
    if (!replaced) variables.emplace_back(text);
  }
  std::vector<char*> envp = MakeArgv(variables);
  int rc = posix_spawn(&pid, args[0], &actions, &attributes.attributes, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::system_error(rc, std::system_category(), "posix_spawn " + argv[0]);
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, log_path));
}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &wait_status_, 0);
  }
}

void ChildProcess::Signal(int signal_number) {
  if (!reaped_) ::kill(pid_, signal_number);
}

bool ChildProcess::Running() {
  if (reaped_) return false;
  pid_t r = ::waitpid(pid_, &wait_status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return !reaped_;
}

bool ChildProcess::WaitExit(std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string ChildProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

CommandResult RunCommand(const std::vector<std::string>& argv, std::string_view input,
                         std::chrono::milliseconds deadline) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::system_category(), "pipe2");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  pid_t pid = 0;
  std::vector<char*> args = MakeArgv(argv);
  SpawnAttributes attributes;
  int rc = posix_spawn(&pid, args[0], &actions, &attributes.attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw std::system_error(rc, std::system_category(), "posix_spawn " + argv[0]);
  }
  ::fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
  int stdin_fd = in_pipe[1];
  if (input.empty()) {
    ::close(stdin_fd);
    stdin_fd = -1;
  }
  CommandResult result;
  auto end = std::chrono::steady_clock::now() + deadline;
  bool out_open = true, err_open = true, timed_out = false;
  while (out_open || err_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd fds[3] = {{out_pipe[0], static_cast<short>(out_open ? POLLIN : 0), 0},
                     {err_pipe[0], static_cast<short>(err_open ? POLLIN : 0), 0},
                     {stdin_fd, POLLOUT, 0}};
    int n = ::poll(fds, stdin_fd >= 0 ? 3 : 2, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) break;
    char buffer[65536];
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t got = ::read(fds[i].fd, buffer, sizeof(buffer));
        if (got > 0) {
          (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(got));
        } else if (got == 0 || errno != EINTR) {
          (i == 0 ? out_open : err_open) = false;
        }
      }
    }
    if (stdin_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t wrote = ::write(stdin_fd, input.data(), input.size());
      if (wrote > 0) input.remove_prefix(static_cast<std::size_t>(wrote));
      if (input.empty() || (wrote < 0 && errno != EAGAIN && errno != EINTR)) {
        ::close(stdin_fd);
        stdin_fd = -1;
      }
    }
  }
  if (stdin_fd >= 0) ::close(stdin_fd);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = (!timed_out && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  return result;
}

CommandResult RunOnTerminal(const std::vector<std::string>& argv,
                            std::chrono::milliseconds deadline, unsigned short columns) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
    throw std::system_error(errno, std::system_category(), "posix_openpt");
  }
  if (columns > 0) {
    winsize size = {};
    size.ws_row = 24;
    size.ws_col = columns;
    ::ioctl(master, TIOCSWINSZ, &size);
  }
  const char* name = ::ptsname(master);
  const int terminal = name == nullptr ? -1 : ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  const int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (terminal < 0 || null_in < 0) {
    throw std::system_error(errno, std::system_category(), "open the terminal");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, null_in, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, terminal, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, terminal, STDERR_FILENO);
  pid_t pid = 0;
  std::vector<char*> args = MakeArgv(argv);
  SpawnAttributes attributes;
  int rc = posix_spawn(&pid, args[0], &actions, &attributes.attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(terminal);
  ::close(null_in);
  if (rc != 0) {
    ::close(master);
    throw std::system_error(rc, std::system_category(), "posix_spawn " + argv[0]);
  }
  CommandResult result;
  const auto end = std::chrono::steady_clock::now() + deadline;
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd fd = {master, POLLIN, 0};
    int n = ::poll(&fd, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    char buffer[65536];
    ssize_t got = ::read(master, buffer, sizeof(buffer));
    if (got > 0) {
      result.out.append(buffer, static_cast<std::size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      break;  // EIO: every copy of the terminal's other end is closed (the command exited)
    }
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = (!timed_out && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace testing
