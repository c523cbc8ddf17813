#ifndef AMAHOST_PIPES_ACK_QUEUE_H_
#define AMAHOST_PIPES_ACK_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace pipes {

// The Forward messages of one connection in the order they arrived, until each may be answered
// (docs/protocol.md §3): a message is acknowledged only once it and every message before it
// have been committed, so acks leave in message order even when commits come back in another
// (several messages may share one commit). Pure; thread-compatible.
class AckQueue {
 public:
  // What some completed messages held, for the connection's budgets and counters.
  struct Totals {
    std::uint64_t records = 0;
    std::size_t bytes = 0;
  };
  // The front message, answered: `error` set means it was not stored (the connection must close
  // without acking it); otherwise its `chunk`, if it asked for an ack.
  struct Answer {
    std::optional<std::string> chunk;
    std::uint32_t records = 0;
    std::error_code error;
  };

  // A message handed on for commit: returns its sequence number (consecutive from 0).
  std::uint64_t Push(std::optional<std::string_view> chunk, std::uint32_t records,
                     std::size_t bytes);
  // A message that needs no commit (it holds no records): answerable at once.
  void PushCommitted(std::optional<std::string_view> chunk);
  // The commit of the messages numbered [first, last] came back with `error` (none: stored).
  // Messages in that range that were not awaiting a commit are left as they are.
  Totals Complete(std::uint64_t first, std::uint64_t last, std::error_code error);
  // Takes the front message if it has been answered; false while it awaits its commit.
  bool PopAnswered(Answer* out);

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  // The sequence number the next Push() returns.
  std::uint64_t next_sequence() const { return first_ + entries_.size(); }

 private:
  struct Entry {
    std::optional<std::string> chunk;
    std::size_t bytes = 0;
    std::uint32_t records = 0;
    bool awaiting = false;
    std::error_code error;
  };

  std::deque<Entry> entries_;
  std::uint64_t first_ = 0;  // sequence number of entries_.front()
};

}  // namespace pipes

#endif  // AMAHOST_PIPES_ACK_QUEUE_H_
