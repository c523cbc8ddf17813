// The pure parts of the full-disk path: which SQLite failures count as a full disk, and the
// bookkeeping of held batches and their retry schedule. Both are private to localstore.
#include "held_batches.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <optional>

#include "database.h"
#include "localstore/errc.h"

using localstore::Errc;
using localstore::HeldBatches;
using localstore::PendingBatch;
using std::chrono::milliseconds;

namespace {

PendingBatch Batch(const std::string& stream, std::size_t bytes, std::uint32_t count) {
  return PendingBatch{
      stream, {localstore::RowEncoding::kPlain, std::string(bytes, 'x'), bytes, count}, nullptr};
}

}  // namespace

TEST_CASE("SqliteError: SQLITE_FULL and I/O errors with ENOSPC or EDQUOT are a full disk",
          "[localstore][diskfull]") {
  struct Case {
    int rc;
    int system_errno;
    Errc expected;
  };
  const Case cases[] = {
      {SQLITE_FULL, 0, Errc::kDiskFull},  // write(2) ENOSPC, or max_page_count reached
      {SQLITE_FULL, ENOSPC, Errc::kDiskFull},
      {SQLITE_IOERR_WRITE, ENOSPC, Errc::kDiskFull},
      {SQLITE_IOERR_FSYNC, ENOSPC, Errc::kDiskFull},
      {SQLITE_IOERR_TRUNCATE, ENOSPC, Errc::kDiskFull},
      {SQLITE_IOERR_SHMSIZE, ENOSPC, Errc::kDiskFull},
      {SQLITE_IOERR_WRITE, EDQUOT, Errc::kDiskFull},
      {SQLITE_IOERR, ENOSPC, Errc::kDiskFull},
      {SQLITE_IOERR_WRITE, EIO, Errc::kSqlite},
      {SQLITE_IOERR_FSYNC, 0, Errc::kSqlite},
      {SQLITE_IOERR_NOMEM, ENOSPC, Errc::kSqlite},  // SQLite keeps no errno for it
      {SQLITE_BUSY, ENOSPC, Errc::kSqlite},
      {SQLITE_CANTOPEN, ENOSPC, Errc::kSqlite},
      {SQLITE_CORRUPT, 0, Errc::kNotATable},
      {SQLITE_NOTADB, ENOSPC, Errc::kNotATable},
  };
  for (const Case& c : cases) {
    INFO("rc " << c.rc << " errno " << c.system_errno);
    CHECK(localstore::SqliteError(c.rc, c.system_errno) == c.expected);
  }
  CHECK(localstore::SqliteError(SQLITE_FULL) == Errc::kDiskFull);
}

TEST_CASE("HeldBatches keeps each stream's batches in order with exact figures",
          "[localstore][diskfull]") {
  HeldBatches held;
  const auto t0 = HeldBatches::Clock::time_point() + std::chrono::hours(1);
  CHECK(held.empty());
  CHECK_FALSE(held.RetryDue(t0 + std::chrono::hours(1)));  // nothing held, nothing due

  held.Hold(Batch("a", 10, 1), t0);
  held.Hold(Batch("b", 20, 2), t0 + milliseconds(5));
  held.Hold(Batch("a", 30, 3), t0 + milliseconds(7));
  held.Hold(Batch("a", 40, 4), t0 + milliseconds(9));
  CHECK(held.IsHeld("a"));
  CHECK(held.IsHeld("b"));
  CHECK_FALSE(held.IsHeld("c"));
  CHECK(held.StreamIds() == std::vector<std::string>{"a", "b"});
  CHECK(held.batches() == 4);
  CHECK(held.bytes() == 100);
  CHECK(held.stream_count() == 2);
  CHECK(held.episodes() == 2);
  REQUIRE(held.EpisodeOf("a") != nullptr);
  CHECK(held.EpisodeOf("a")->since == t0);
  CHECK(held.EpisodeOf("a")->batches == 3);
  CHECK(held.EpisodeOf("a")->records == 8);
  CHECK(held.EpisodeOf("c") == nullptr);

  struct FrontCase {
    std::size_t max_bytes;
    std::vector<std::size_t> sizes;
  };
  const FrontCase fronts[] = {
      {0, {10}},  // always at least one
      {39, {10}}, {40, {10, 30}}, {79, {10, 30}}, {80, {10, 30, 40}}, {1000, {10, 30, 40}},
  };
  for (const FrontCase& c : fronts) {
    INFO("max_bytes " << c.max_bytes);
    std::vector<std::size_t> sizes;
    for (const localstore::EncodedRow* row : held.Front("a", c.max_bytes)) {
      sizes.push_back(row->raw_bytes);
    }
    CHECK(sizes == c.sizes);
  }
  CHECK(held.Front("c", 1000).empty());

  std::optional<HeldBatches::Episode> ended;
  std::vector<PendingBatch> popped = held.PopFront("a", 2, &ended);
  REQUIRE(popped.size() == 2);
  CHECK(popped[0].row.count == 1);
  CHECK(popped[1].row.count == 3);
  CHECK_FALSE(ended);
  CHECK(held.batches() == 2);
  CHECK(held.bytes() == 60);
  // A batch held later joins the same episode, behind the others.
  held.Hold(Batch("a", 50, 5), t0 + milliseconds(20));
  CHECK(held.episodes() == 2);
  popped = held.PopFront("a", 100, &ended);
  REQUIRE(popped.size() == 2);
  CHECK(popped[0].row.count == 4);
  CHECK(popped[1].row.count == 5);
  REQUIRE(ended);
  CHECK(ended->since == t0);
  CHECK(ended->batches == 4);
  CHECK(ended->records == 13);
  CHECK_FALSE(held.IsHeld("a"));
  CHECK(held.stream_count() == 1);
  CHECK(held.batches() == 1);
  CHECK(held.bytes() == 20);
  // A new episode of the same stream starts afresh.
  held.Hold(Batch("a", 1, 1), t0 + milliseconds(30));
  CHECK(held.episodes() == 3);
  CHECK(held.EpisodeOf("a")->since == t0 + milliseconds(30));
  CHECK(held.EpisodeOf("a")->batches == 1);
}

TEST_CASE("HeldBatches retries after 100 ms, doubling to 5 s, and sooner after progress",
          "[localstore][diskfull]") {
  HeldBatches held;
  const auto t0 = HeldBatches::Clock::time_point() + std::chrono::hours(1);
  held.Hold(Batch("a", 1, 1), t0);
  CHECK(held.next_retry() == t0 + milliseconds(100));
  CHECK_FALSE(held.RetryDue(t0 + milliseconds(99)));
  CHECK(held.RetryDue(t0 + milliseconds(100)));
  // Holding another stream does not move the schedule.
  held.Hold(Batch("b", 1, 1), t0 + milliseconds(50));
  CHECK(held.next_retry() == t0 + milliseconds(100));

  struct Step {
    bool progressed;
    int expected_delay_ms;
  };
  const Step steps[] = {
      {false, 200},  {false, 400},  {false, 800}, {false, 1600}, {false, 3200},
      {false, 5000}, {false, 5000}, {true, 100},  {false, 200},  {true, 100},
  };
  auto now = t0;
  for (const Step& step : steps) {
    now += milliseconds(1000);
    held.Retried(step.progressed, now);
    INFO("after a retry " << (step.progressed ? "with" : "without") << " progress");
    CHECK(held.next_retry() - now == milliseconds(step.expected_delay_ms));
  }
  CHECK(held.retries() == std::size(steps));

  // Once nothing is held, the next episode starts from the first delay again.
  std::optional<HeldBatches::Episode> ended;
  held.PopFront("a", 1, &ended);
  held.PopFront("b", 1, &ended);
  REQUIRE(held.empty());
  held.Retried(false, now);  // doubles the delay, but nothing is due while nothing is held
  CHECK_FALSE(held.RetryDue(now + std::chrono::hours(1)));
  const auto t1 = now + milliseconds(10);
  held.Hold(Batch("a", 1, 1), t1);
  CHECK(held.next_retry() == t1 + milliseconds(100));
}
