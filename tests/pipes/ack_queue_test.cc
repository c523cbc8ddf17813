#include "pipes/ack_queue.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

// The chunks PopAnswered gives now, in order ("-" for a message without one, "!" for an error).
std::vector<std::string> Answered(pipes::AckQueue& queue) {
  std::vector<std::string> out;
  pipes::AckQueue::Answer answer;
  while (queue.PopAnswered(&answer)) {
    out.push_back(answer.error ? "!" : answer.chunk.value_or("-"));
  }
  return out;
}

}  // namespace

TEST_CASE("Acks leave in message order whatever order the commits come back in", "[pipes][acks]") {
  pipes::AckQueue queue;
  CHECK(queue.Push("a", 2, 20) == 0);
  CHECK(queue.Push("b", 1, 10) == 1);
  CHECK(queue.Push(std::nullopt, 1, 10) == 2);
  CHECK(queue.Push("d", 3, 30) == 3);
  // The later batch first: nothing may be answered while the first message awaits its commit.
  pipes::AckQueue::Totals totals = queue.Complete(2, 3, {});
  CHECK(totals.records == 4);
  CHECK(totals.bytes == 40);
  CHECK(Answered(queue).empty());
  totals = queue.Complete(0, 1, {});
  CHECK(totals.records == 3);
  CHECK(Answered(queue) == std::vector<std::string>{"a", "b", "-", "d"});
  CHECK(queue.empty());
  CHECK(queue.next_sequence() == 4);
}

TEST_CASE("A message with no records is answered in its turn, and a failed commit is reported",
          "[pipes][acks]") {
  pipes::AckQueue queue;
  queue.Push("a", 1, 10);
  queue.PushCommitted("empty");
  queue.Push("c", 1, 10);
  // A range that spans the message needing no commit leaves it answered as it was.
  pipes::AckQueue::Totals totals =
      queue.Complete(0, 2, std::make_error_code(std::errc::no_space_on_device));
  CHECK(totals.records == 2);
  CHECK(totals.bytes == 20);
  CHECK(Answered(queue) == std::vector<std::string>{"!", "empty", "!"});
  // Ranges already answered, or past the end, name nothing.
  CHECK(queue.Complete(0, 10, {}).records == 0);
}
