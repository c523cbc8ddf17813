#ifndef AMAHOST_TESTS_SUPPORT_PROCESS_H_
#define AMAHOST_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace testing {

// A child process for tests: the host, mockcloud or a tool, started with posix_spawn. Its stdout
// and stderr go to a log file so that a failing test can show them. The destructor kills
// (SIGKILL) and reaps a child that is still running.
class ChildProcess {
 public:
  // `environment` ("NAME=value") is added to the test's own, replacing a variable of the same
  // name. Given `stderr_path`, stderr goes there instead of into the log.
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv,
                                             const std::filesystem::path& log_path,
                                             const std::vector<std::string>& environment = {},
                                             const std::filesystem::path& stderr_path = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal_number);
  // Waits up to `deadline` for the child to exit; true if it has (then wait_status() is set).
  bool WaitExit(std::chrono::milliseconds deadline);
  bool Running();
  int wait_status() const { return wait_status_; }
  // What the child has written so far.
  std::string Log() const;

 private:
  ChildProcess(pid_t pid, std::filesystem::path log_path)
      : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_;
  std::filesystem::path log_path_;
  bool reaped_ = false;
  int wait_status_ = 0;
};

struct CommandResult {
  int exit_code = -1;  // -1 if killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs a command to completion, feeding it `input` on stdin and collecting its stdout and
// stderr. A command still running at `deadline` is killed and reported with exit_code -1.
CommandResult RunCommand(const std::vector<std::string>& argv, std::string_view input = {},
                         std::chrono::milliseconds deadline = std::chrono::seconds(60));

// Runs a command with its stdout and stderr on a new pseudo-terminal (stdin: /dev/null), as a
// person at a terminal would see it, until it exits; `out` holds everything it wrote, escape
// sequences included (`err` stays empty). Killed and exit_code -1 at `deadline`.
// `columns` > 0 sets the terminal's width (0 leaves it unknown, as a bare pseudo-terminal is).
CommandResult RunOnTerminal(const std::vector<std::string>& argv,
                            std::chrono::milliseconds deadline = std::chrono::seconds(60),
                            unsigned short columns = 0);

}  // namespace testing

#endif  // AMAHOST_TESTS_SUPPORT_PROCESS_H_
