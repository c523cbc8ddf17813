#ifndef AMAHOST_TESTS_SUPPORT_HOST_PROCESS_H_
#define AMAHOST_TESTS_SUPPORT_HOST_PROCESS_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pipes/socket_address.h"
#include "support/process.h"

namespace testing {

// A real `amahost` process for tests, with its own state folder and socket instance so that
// tests can run in parallel. Killed (SIGKILL) when destroyed if still running.
class HostProcess {
 public:
  // `state_dir` must exist; `extra_args` are appended to --state-dir/--instance.
  HostProcess(std::filesystem::path state_dir, std::vector<std::string> extra_args,
              std::string instance = UniqueInstance());

  // Starts the process and waits until its config socket answers. False (with the log in
  // `Log()`) if it exits or does not answer within `deadline`.
  bool Start(std::chrono::milliseconds deadline = std::chrono::seconds(30));
  // SIGKILL, as a crash or power cut would (from the process's point of view).
  void Kill();
  // SIGTERM and wait for a clean exit; true if it exited with status 0.
  bool Terminate(std::chrono::milliseconds deadline = std::chrono::seconds(30));
  bool Running() { return process_ && process_->Running(); }
  // Variables ("NAME=value") added to the environment of the next Start().
  void SetEnvironment(std::vector<std::string> environment) {
    environment_ = std::move(environment);
  }
  // Sends the host's stderr to `path` from the next Start() on (Log() then has stdout only).
  void SetStderrFile(std::filesystem::path path) { stderr_path_ = std::move(path); }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  // The exit status of a process that has exited (see ChildProcess::wait_status).
  int wait_status() const { return process_ ? process_->wait_status() : -1; }
  // Sends `signal_number` (SIGHUP: reload).
  void Signal(int signal_number) {
    if (process_) process_->Signal(signal_number);
  }

  const std::string& instance() const { return instance_; }
  const std::filesystem::path& state_dir() const { return state_dir_; }
  std::filesystem::path tables_dir() const { return state_dir_ / "Tables"; }
  pipes::SocketNaming naming() const;
  // Arguments that point amactl at this host: {"--instance", instance}.
  std::vector<std::string> AmactlArgs() const { return {"--instance", instance_}; }
  std::string Log() const;

  // "t<pid>n<counter>": unique per test process and call.
  static std::string UniqueInstance();

 private:
  std::filesystem::path state_dir_;
  std::vector<std::string> extra_args_;
  std::vector<std::string> environment_;
  std::filesystem::path stderr_path_;
  std::string instance_;
  std::unique_ptr<ChildProcess> process_;
  int starts_ = 0;
};

// Runs amactl with `args` (and `input` on stdin).
CommandResult RunAmactl(const std::vector<std::string>& args, std::string_view input = {});

}  // namespace testing

#endif  // AMAHOST_TESTS_SUPPORT_HOST_PROCESS_H_
