#include "base/periodic_thread.h"

namespace base {

void PeriodicThread::Start() {
  MutexLock lock(&mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void PeriodicThread::Run() {
  UniqueLock lock(&mutex_);
  while (!cv_.wait_for(lock, interval_,
                       [this]() EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return stopping_; })) {
    lock.unlock();
    fn_();
    lock.lock();
  }
}

void PeriodicThread::Stop() {
  {
    MutexLock lock(&mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace base
