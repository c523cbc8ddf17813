#ifndef AMAHOST_PIPES_READ_PACER_H_
#define AMAHOST_PIPES_READ_PACER_H_

#include <chrono>
#include <cstddef>

namespace pipes {

// Read pacing, the io thread's interrupt moderation (docs/design.md, "Message mode").
//
// A client that writes one small message per system call, as fast as it can, hands the kernel
// one socket buffer per message. An io thread that reads as soon as data arrives then reads a
// few messages at a time, and pays a wake-up, a read, a batch for the store and a wake-up of
// the store's encoder for each few: per message, more than the message's own work. Pausing a
// moment after such a read lets the next one take a hundred messages. The pause is only for a
// connection that is streaming small reads (a read under kSmallRead bytes that completed within
// kStreamingWithin of its previous read), and at most once per pause's length of work, so the
// thread never sleeps more than half its time and many connections do not add up their pauses.
// A connection that sends a message now and then is read at once, as before, and so is one
// whose messages ask for acks (the caller does not ask then): such a client is paced by its
// own window of unacknowledged messages, and a pause would only add to its wait.
//
// Pure: the caller measures time and sleeps. Thread-compatible (the io thread owns it).
class ReadPacer {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kSmallRead = 16 * 1024;
  static constexpr Clock::duration kStreamingWithin = std::chrono::milliseconds(1);

  // `pause` 0 disables pacing.
  explicit ReadPacer(Clock::duration pause) : pause_(pause) {}

  // After a read of `bytes` completed at `now` on a connection whose previous read completed at
  // `previous`: whether the thread should pause for pause() before reading again. Once it has,
  // Paused() says when the pause ended.
  bool ShouldPause(std::size_t bytes, Clock::time_point previous, Clock::time_point now) const {
    return pause_ > Clock::duration::zero() && bytes < kSmallRead &&
           now - previous < kStreamingWithin && now >= last_pause_end_ + pause_;
  }
  void Paused(Clock::time_point ended) { last_pause_end_ = ended; }
  Clock::duration pause() const { return pause_; }

 private:
  const Clock::duration pause_;
  Clock::time_point last_pause_end_{};
};

}  // namespace pipes

#endif  // AMAHOST_PIPES_READ_PACER_H_
