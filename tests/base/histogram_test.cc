#include "base/histogram.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

namespace base {
namespace {

TEST_CASE("Histogram counts each value in the first bucket whose bound is not below it",
          "[histogram]") {
  Histogram histogram({0.1, 1, 10});
  for (double value : {0.0, 0.1, 0.2, 1.0, 5.0, 10.0, 10.5, 1e9, -1.0}) histogram.Observe(value);
  histogram.Observe(std::numeric_limits<double>::quiet_NaN());  // ignored
  HistogramSnapshot snapshot = histogram.Snapshot();
  CHECK(snapshot.upper_bounds == std::vector<double>{0.1, 1, 10});
  // <=0.1: 0, 0.1, -1; <=1: +0.2, 1; <=10: +5, 10; +Inf: +10.5, 1e9.
  CHECK(snapshot.cumulative == std::vector<std::uint64_t>{3, 5, 7, 9});
  CHECK(snapshot.count() == 9);
  CHECK(snapshot.sum == Approx(0.1 + 0.2 + 1 + 5 + 10 + 10.5 + 1e9 - 1));
}

TEST_CASE("Histogram takes durations in seconds", "[histogram]") {
  Histogram histogram(Histogram::LatencyBounds());
  histogram.Observe(std::chrono::milliseconds(3));
  histogram.Observe(std::chrono::seconds(2));
  HistogramSnapshot snapshot = histogram.Snapshot();
  CHECK(snapshot.count() == 2);
  CHECK(snapshot.sum == Approx(2.003));
  // 3 ms is in the 5 ms bucket (index 2), not below.
  CHECK(snapshot.cumulative[1] == 0);
  CHECK(snapshot.cumulative[2] == 1);
}

TEST_CASE("Histogram may be observed from several threads while snapshots are taken",
          "[histogram]") {
  Histogram histogram({1, 2});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&histogram, t] {
      for (int i = 0; i < 10000; ++i) histogram.Observe(static_cast<double>((i + t) % 3));
    });
  }
  for (int i = 0; i < 100; ++i) {
    HistogramSnapshot snapshot = histogram.Snapshot();
    CHECK(snapshot.cumulative[0] <= snapshot.cumulative[1]);
    CHECK(snapshot.cumulative[1] <= snapshot.cumulative[2]);
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(histogram.Snapshot().count() == 40000);
}

}  // namespace
}  // namespace base
