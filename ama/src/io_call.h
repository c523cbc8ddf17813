#ifndef AMAHOST_AMA_IO_CALL_H_
#define AMAHOST_AMA_IO_CALL_H_

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

namespace ama {

// Runs `fn` on a thread running `io` (the owner of the state it reads) and returns what it
// returned, waiting at most `deadline`; none when it did not run by then (`io` stopped, or is
// stuck). `fn` may still run later, alone: it must own or outlive what it uses. Never call it
// from a thread running `io`: it would wait for itself.
template <typename T, typename Fn>
std::optional<T> CallOnIo(asio::io_context& io, Fn fn, std::chrono::milliseconds deadline) {
  struct Slot {
    std::mutex mutex;
    std::condition_variable done;
    std::optional<T> value;
  };
  auto slot = std::make_shared<Slot>();
  asio::post(io, [slot, fn = std::move(fn)]() mutable {
    T value = fn();
    std::lock_guard lock(slot->mutex);
    slot->value = std::move(value);
    slot->done.notify_all();
  });
  std::unique_lock lock(slot->mutex);
  slot->done.wait_for(lock, deadline, [&] { return slot->value.has_value(); });
  return std::move(slot->value);
}

}  // namespace ama

#endif  // AMAHOST_AMA_IO_CALL_H_
