#ifndef AMAHOST_BENCH_PROCESSES_H_
#define AMAHOST_BENCH_PROCESSES_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace bench {

// A child process of the benchmark (amahost, mockcloud), stopped with SIGTERM when destroyed.
struct Child {
  pid_t pid = -1;
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { Stop(); }
  void Stop();
  bool Running();
};

// Starts `argv` with stdout and stderr going to `log`.
bool Spawn(const std::vector<std::string>& argv, const std::filesystem::path& log, Child* child);

// Polls `condition` every 2 ms until it holds or `deadline` passes (the benchmark's own waits,
// not a test's synchronisation).
template <typename Condition>
bool WaitFor(Condition condition, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > end) return false;
    struct timespec pause = {0, 2000000};
    nanosleep(&pause, nullptr);
  }
  return true;
}

// Peak resident set size of a process in KiB (VmHWM), or -1.
long PeakRssKiB(pid_t pid);
// CPU time (user + system) a process has used so far, in seconds, or -1.
double CpuSeconds(pid_t pid);

}  // namespace bench

#endif  // AMAHOST_BENCH_PROCESSES_H_
