#ifndef AMAHOST_TESTS_SUPPORT_WAIT_H_
#define AMAHOST_TESTS_SUPPORT_WAIT_H_

#include <chrono>
#include <thread>

namespace testing {

// Waits until `condition()` is true or `deadline` has passed; returns the last result. This is
// waiting on a condition with a deadline, not sleeping to synchronise: the poll interval only
// bounds how late we notice, never what we assert.
template <typename Condition>
bool WaitUntil(Condition&& condition, std::chrono::milliseconds deadline = std::chrono::seconds(20),
               std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= end) return condition();
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace testing

#endif  // AMAHOST_TESTS_SUPPORT_WAIT_H_
