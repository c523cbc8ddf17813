#include "held_batches.h"

#include <algorithm>
#include <utility>

namespace localstore {

std::vector<std::string> HeldBatches::StreamIds() const {
  std::vector<std::string> ids;
  ids.reserve(streams_.size());
  for (const auto& [id, stream] : streams_) ids.push_back(id);
  return ids;
}

const HeldBatches::Episode* HeldBatches::EpisodeOf(const std::string& stream_id) const {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : &it->second.episode;
}

void HeldBatches::Hold(PendingBatch batch, Clock::time_point now) {
  if (streams_.empty()) {
    delay_ = kFirstDelay;
    next_retry_ = now + delay_;
  }
  auto [it, inserted] = streams_.try_emplace(batch.stream_id);
  Stream& stream = it->second;
  if (inserted) {
    stream.episode.since = now;
    ++episodes_;
  }
  stream.episode.batches += 1;
  stream.episode.records += batch.row.count;
  batches_ += 1;
  bytes_ += batch.row.raw_bytes;
  stream.batches.push_back(std::move(batch));
}

std::vector<const EncodedRow*> HeldBatches::Front(const std::string& stream_id,
                                                  std::size_t max_bytes) const {
  std::vector<const EncodedRow*> front;
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return front;
  std::size_t bytes = 0;
  for (const PendingBatch& pending : it->second.batches) {
    const std::size_t size = pending.row.raw_bytes;
    if (!front.empty() && bytes + size > max_bytes) break;
    bytes += size;
    front.push_back(&pending.row);
  }
  return front;
}

std::vector<PendingBatch> HeldBatches::PopFront(const std::string& stream_id, std::size_t count,
                                                std::optional<Episode>* ended) {
  std::vector<PendingBatch> popped;
  ended->reset();
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return popped;
  std::deque<PendingBatch>& batches = it->second.batches;
  count = std::min(count, batches.size());
  popped.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    batches_ -= 1;
    bytes_ -= batches.front().row.raw_bytes;
    popped.push_back(std::move(batches.front()));
    batches.pop_front();
  }
  if (batches.empty()) {
    *ended = it->second.episode;
    streams_.erase(it);
  }
  return popped;
}

void HeldBatches::Retried(bool progressed, Clock::time_point now) {
  ++retries_;
  if (progressed) {
    delay_ = kFirstDelay;
  } else {
    delay_ = std::min<Clock::duration>(delay_ * 2, kMaxDelay);
  }
  next_retry_ = now + delay_;
}

}  // namespace localstore
