#include "pipes/ack_queue.h"

#include <algorithm>

namespace pipes {

std::uint64_t AckQueue::Push(std::optional<std::string_view> chunk, std::uint32_t records,
                             std::size_t bytes) {
  const std::uint64_t sequence = next_sequence();
  Entry& entry = entries_.emplace_back();
  if (chunk) entry.chunk.emplace(*chunk);
  entry.records = records;
  entry.bytes = bytes;
  entry.awaiting = true;
  return sequence;
}

void AckQueue::PushCommitted(std::optional<std::string_view> chunk) {
  Entry& entry = entries_.emplace_back();
  if (chunk) entry.chunk.emplace(*chunk);
}

AckQueue::Totals AckQueue::Complete(std::uint64_t first, std::uint64_t last,
                                    std::error_code error) {
  Totals totals;
  // Sequence numbers before first_ were answered already; a range past the end names nothing.
  const std::uint64_t from = std::max(first, first_);
  for (std::uint64_t sequence = from; sequence <= last && sequence < next_sequence(); ++sequence) {
    Entry& entry = entries_[static_cast<std::size_t>(sequence - first_)];
    if (!entry.awaiting) continue;
    entry.awaiting = false;
    entry.error = error;
    totals.records += entry.records;
    totals.bytes += entry.bytes;
  }
  return totals;
}

bool AckQueue::PopAnswered(Answer* out) {
  if (entries_.empty() || entries_.front().awaiting) return false;
  Entry& front = entries_.front();
  out->chunk = std::move(front.chunk);
  out->records = front.records;
  out->error = front.error;
  entries_.pop_front();
  ++first_;
  return true;
}

}  // namespace pipes
