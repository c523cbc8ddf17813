#ifndef AMAHOST_BASE_THREAD_ANNOTATIONS_H_
#define AMAHOST_BASE_THREAD_ANNOTATIONS_H_

#include <mutex>
#include <shared_mutex>

// Clang's thread-safety annotations, as leveldb's port/thread_annotations.h has them: with clang
// and -Wthread-safety a member marked GUARDED_BY(mutex_) that is touched without the lock is a
// compile-time warning. Other compilers see nothing, so the marks are then documentation only.
#if defined(__clang__)
#define AMAHOST_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define AMAHOST_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) AMAHOST_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY AMAHOST_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) AMAHOST_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) AMAHOST_THREAD_ANNOTATION(pt_guarded_by(x))
#define ACQUIRED_AFTER(...) AMAHOST_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define ACQUIRED_BEFORE(...) AMAHOST_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define EXCLUSIVE_LOCKS_REQUIRED(...) \
  AMAHOST_THREAD_ANNOTATION(exclusive_locks_required(__VA_ARGS__))
#define LOCKS_EXCLUDED(...) AMAHOST_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define SHARED_LOCKS_REQUIRED(...) \
  AMAHOST_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define EXCLUSIVE_LOCK_FUNCTION(...) AMAHOST_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define SHARED_LOCK_FUNCTION(...) AMAHOST_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define SHARED_UNLOCK_FUNCTION(...) \
  AMAHOST_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define UNLOCK_FUNCTION(...) AMAHOST_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS AMAHOST_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace base {

// A std::mutex the analysis knows about (libstdc++'s own carries no annotations).
class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void Unlock() UNLOCK_FUNCTION() { mutex_.unlock(); }
  // Tells the analysis that the caller holds the mutex (where it cannot see so itself).
  void AssertHeld() const AMAHOST_THREAD_ANNOTATION(assert_capability(this)) {}

 private:
  std::mutex mutex_;
};

// Holds `mutex` for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mutex) EXCLUSIVE_LOCK_FUNCTION(mutex) : mutex_(mutex) {
    mutex_->Lock();
  }
  ~MutexLock() UNLOCK_FUNCTION() { mutex_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mutex_;
};

// A std::shared_mutex the analysis knows about: readers share it, a writer holds it alone.
class CAPABILITY("shared mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() EXCLUSIVE_LOCK_FUNCTION() { mutex_.lock(); }
  void Unlock() UNLOCK_FUNCTION() { mutex_.unlock(); }
  void LockShared() SHARED_LOCK_FUNCTION() { mutex_.lock_shared(); }
  void UnlockShared() SHARED_UNLOCK_FUNCTION() { mutex_.unlock_shared(); }

 private:
  std::shared_mutex mutex_;
};

// Holds `mutex` alone for its scope.
class SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex* mutex) EXCLUSIVE_LOCK_FUNCTION(mutex) : mutex_(mutex) {
    mutex_->Lock();
  }
  ~WriterLock() UNLOCK_FUNCTION() { mutex_->Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex* const mutex_;
};

// Shares `mutex` with other readers for its scope.
class SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex* mutex) SHARED_LOCK_FUNCTION(mutex) : mutex_(mutex) {
    mutex_->LockShared();
  }
  ~ReaderLock() UNLOCK_FUNCTION() { mutex_->UnlockShared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex* const mutex_;
};

// Holds `mutex` for its scope, and can let it go and take it again within it, like
// std::unique_lock; and is itself lockable, so that std::condition_variable_any can wait on it
// (`cv.wait(lock, …)` releases and retakes the mutex). A predicate that reads guarded state says
// so: `[this]() EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return … }`.
class SCOPED_CAPABILITY UniqueLock {
 public:
  explicit UniqueLock(Mutex* mutex) EXCLUSIVE_LOCK_FUNCTION(mutex) : mutex_(mutex) {
    mutex_->Lock();
  }
  ~UniqueLock() UNLOCK_FUNCTION() {
    if (locked_) mutex_->Unlock();
  }
  UniqueLock(const UniqueLock&) = delete;
  UniqueLock& operator=(const UniqueLock&) = delete;

  void lock() EXCLUSIVE_LOCK_FUNCTION() {
    mutex_->Lock();
    locked_ = true;
  }
  void unlock() UNLOCK_FUNCTION() {
    locked_ = false;
    mutex_->Unlock();
  }

 private:
  Mutex* const mutex_;
  bool locked_ = true;
};

}  // namespace base

#endif  // AMAHOST_BASE_THREAD_ANNOTATIONS_H_
