#ifndef AMAHOST_FUZZ_CHUNK_SIZES_H_
#define AMAHOST_FUZZ_CHUNK_SIZES_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace fuzz {

// Every fuzz target reads its input as one control byte followed by the bytes under test; the
// control byte decides how those bytes are split into the pieces a socket read could deliver, so
// the fuzzer mutates the splitting independently of the content and every resumable scanner
// path is reached. Control 0 delivers everything at once; control n > 0 delivers pieces of 1 to
// n bytes, their sizes drawn from a small generator seeded with n (deterministic, so every crash
// replays). Thread-compatible.
class ChunkSizes {
 public:
  explicit ChunkSizes(std::uint8_t control) : max_(control), state_(control) {}

  // The size of the next piece, at most `remaining` (and at least 1 when remaining > 0).
  std::size_t Next(std::size_t remaining) {
    if (max_ == 0) return remaining;
    state_ = state_ * 1103515245u + 12345u;
    return std::min<std::size_t>(remaining, 1 + (state_ >> 16) % max_);
  }

 private:
  std::uint32_t max_;
  std::uint32_t state_;
};

}  // namespace fuzz

#endif  // AMAHOST_FUZZ_CHUNK_SIZES_H_
