#include "support/host_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include "pipes/client.h"
#include "support/wait.h"

namespace testing {

HostProcess::HostProcess(std::filesystem::path state_dir, std::vector<std::string> extra_args,
                         std::string instance)
    : state_dir_(std::move(state_dir)),
      extra_args_(std::move(extra_args)),
      instance_(std::move(instance)) {}

std::string HostProcess::UniqueInstance() {
  static std::atomic<int> counter{0};
  return "t" + std::to_string(::getpid()) + "n" + std::to_string(++counter);
}

pipes::SocketNaming HostProcess::naming() const {
  pipes::SocketNaming naming;
  naming.instance = instance_;
  return naming;
}

bool HostProcess::Start(std::chrono::milliseconds deadline) {
  std::vector<std::string> argv = {AMAHOST_BINARY, "--state-dir", state_dir_.string(), "--instance",
                                   instance_};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  ++starts_;
  process_ = ChildProcess::Start(argv, state_dir_ / ("amahost." + std::to_string(starts_) + ".log"),
                                 environment_, stderr_path_);
  pipes::SocketAddress config = pipes::ConfigSocketAddress(naming());
  return WaitUntil(
             [&] {
               if (!process_->Running()) return true;
               std::unique_ptr<pipes::Client> client;
               return !pipes::Client::Connect(config, &client);
             },
             deadline) &&
         process_->Running();
}

void HostProcess::Kill() {
  if (!process_) return;
  process_->Signal(SIGKILL);
  process_->WaitExit(std::chrono::seconds(30));
}

bool HostProcess::Terminate(std::chrono::milliseconds deadline) {
  if (!process_) return false;
  process_->Signal(SIGTERM);
  if (!process_->WaitExit(deadline)) return false;
  int status = process_->wait_status();
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string HostProcess::Log() const { return process_ ? process_->Log() : std::string(); }

CommandResult RunAmactl(const std::vector<std::string>& args, std::string_view input) {
  std::vector<std::string> argv = {AMACTL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, input);
}

}  // namespace testing
