#ifndef AMAHOST_BASE_HISTOGRAM_H_
#define AMAHOST_BASE_HISTOGRAM_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace base {

// What a Histogram has counted, Prometheus-style: cumulative counts per upper bound. Plain data.
struct HistogramSnapshot {
  std::vector<double> upper_bounds;  // ascending and finite; +Inf is implied after the last
  // cumulative[i]: observations <= upper_bounds[i]; one more entry at the end for +Inf, which is
  // every observation. Never decreasing.
  std::vector<std::uint64_t> cumulative;
  double sum = 0;

  std::uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
};

// Counts observations (latencies in seconds, say) into fixed buckets.
//
// Thread-safe and lock-free: Observe is a search over the bounds and two relaxed atomic adds,
// cheap enough for the commit thread and the HTTP callbacks; Snapshot may run at the same time
// from any thread (it may miss observations made meanwhile, but its buckets are always
// cumulative and its count always the +Inf bucket's).
class Histogram {
 public:
  // `upper_bounds` must be ascending and finite (a programming error otherwise: they are
  // constants); +Inf is added.
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Counts `value` in the first bucket whose bound is >= value. NaN is ignored.
  void Observe(double value);
  void Observe(std::chrono::steady_clock::duration duration) {
    Observe(std::chrono::duration<double>(duration).count());
  }

  HistogramSnapshot Snapshot() const;

  // Bounds for latencies in seconds, from 1 ms (a commit without fsync) to 60 s (an upload at
  // its timeout): 1, 2.5, 5, 10, 25, 50, 100, 250, 500 ms, 1, 2.5, 5, 10, 30, 60 s.
  static std::vector<double> LatencyBounds();

 private:
  const std::vector<double> bounds_;
  // Per bucket (not cumulative); bounds_.size() + 1 of them, the last for +Inf.
  const std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

}  // namespace base

#endif  // AMAHOST_BASE_HISTOGRAM_H_
