#ifndef AMAHOST_LOCALSTORE_HELD_BATCHES_H_
#define AMAHOST_LOCALSTORE_HELD_BATCHES_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "localstore/record_sink.h"
#include "row_encoding.h"

namespace localstore {

// A batch waiting for its commit, encoded as its row will store it, with the completion to call
// once it is done.
struct PendingBatch {
  std::string stream_id;
  EncodedRow row;
  RecordSink::Completion done;
  std::chrono::steady_clock::time_point appended{};  // when Append took it
  bool awaited = true;                               // RecordBatch::awaited
};

// The batches that a full disk keeps from committing, per stream and in append order, and when
// to try them again: kFirstDelay after the first stream is held, then doubling up to kMaxDelay
// while retries make no progress.
//
// Pure bookkeeping: no I/O, no clock of its own, no locks. Thread-compatible (the Store's commit
// thread owns it).
class HeldBatches {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kFirstDelay{100};
  static constexpr std::chrono::milliseconds kMaxDelay{5000};

  // A stream's disk-full episode: from its first held batch until it holds none again.
  struct Episode {
    Clock::time_point since;
    std::uint64_t batches = 0;  // every batch held during the episode
    std::uint64_t records = 0;
  };

  bool empty() const { return streams_.empty(); }
  bool IsHeld(const std::string& stream_id) const { return streams_.count(stream_id) > 0; }
  std::vector<std::string> StreamIds() const;
  // The episode of a held stream; null if the stream holds nothing.
  const Episode* EpisodeOf(const std::string& stream_id) const;

  // Appends `batch` behind the others of its stream. Starts the stream's episode at `now` when it
  // held nothing, and schedules the first retry when no stream held anything.
  void Hold(PendingBatch batch, Clock::time_point now);

  // The first batches of `stream_id` whose entries add up to at most `max_bytes` (always at
  // least one if the stream holds any), in order. Valid until the stream next changes.
  std::vector<const EncodedRow*> Front(const std::string& stream_id, std::size_t max_bytes) const;
  // Removes and returns the first `count` batches of `stream_id`. When that leaves the stream
  // with none, its episode ends and is stored in *ended.
  std::vector<PendingBatch> PopFront(const std::string& stream_id, std::size_t count,
                                     std::optional<Episode>* ended);

  // Whether a retry is due at `now` (never when nothing is held).
  bool RetryDue(Clock::time_point now) const { return !empty() && now >= next_retry_; }
  // When the next retry is due; meaningless when nothing is held.
  Clock::time_point next_retry() const { return next_retry_; }
  // Records a retry pass made at `now`. While batches are still held, the next retry is due
  // kFirstDelay later if the pass committed some (`progressed`), else after twice the last
  // delay, at most kMaxDelay.
  void Retried(bool progressed, Clock::time_point now);

  std::uint64_t batches() const { return batches_; }
  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t stream_count() const { return streams_.size(); }
  // Episodes started and retry passes made since construction.
  std::uint64_t episodes() const { return episodes_; }
  std::uint64_t retries() const { return retries_; }

 private:
  struct Stream {
    std::deque<PendingBatch> batches;
    Episode episode;
  };

  std::map<std::string, Stream> streams_;
  std::uint64_t batches_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t episodes_ = 0;
  std::uint64_t retries_ = 0;
  Clock::duration delay_ = kFirstDelay;
  Clock::time_point next_retry_;
};

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_HELD_BATCHES_H_
