#ifndef AMAHOST_BASE_PERIODIC_THREAD_H_
#define AMAHOST_BASE_PERIODIC_THREAD_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <thread>

#include "base/thread_annotations.h"

namespace base {

// A thread that calls a function every `interval` (first one interval after Start) until Stop().
// Stop wakes the thread at once, waits for a call in progress, and is idempotent; after Stop,
// Start does nothing. The destructor stops it.
//
// Thread-safety: Start and Stop may be called from any thread, not from the function itself.
class PeriodicThread {
 public:
  PeriodicThread(std::chrono::milliseconds interval, std::function<void()> fn)
      : interval_(interval), fn_(std::move(fn)) {}
  ~PeriodicThread() { Stop(); }
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  void Start();
  void Stop();

 private:
  void Run();

  const std::chrono::milliseconds interval_;
  const std::function<void()> fn_;
  Mutex mutex_;
  std::condition_variable_any cv_;
  bool stopping_ GUARDED_BY(mutex_) = false;
  // Set by Start() under mutex_ (not once stopping_ is), joined by Stop() without it: the
  // thread needs the lock to finish.
  std::thread thread_;
};

}  // namespace base

#endif  // AMAHOST_BASE_PERIODIC_THREAD_H_
