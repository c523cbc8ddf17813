// The rate limit and aggregation of the quota warning lines (localstore/src/quota_log.h), with
// synthetic times.
#include "quota_log.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

using localstore::QuotaLog;
using Clock = QuotaLog::Clock;
using std::chrono::seconds;

namespace {

constexpr char kA[] = "dcr-1:ds:A";
constexpr char kB[] = "dcr-1:ds:B";

QuotaLog::Line Drop(const std::string& stream, std::uint64_t records, std::uint64_t rows,
                    std::uint64_t bytes, std::int64_t oldest, std::uint64_t quota = 1000) {
  return QuotaLog::Line{stream, records, rows, bytes, oldest, quota};
}

void CheckLine(const QuotaLog::Line& line, const QuotaLog::Line& expected) {
  CHECK(line.stream_id == expected.stream_id);
  CHECK(line.records == expected.records);
  CHECK(line.rows == expected.rows);
  CHECK(line.bytes == expected.bytes);
  CHECK(line.oldest_unix_ns == expected.oldest_unix_ns);
  CHECK(line.quota_bytes == expected.quota_bytes);
}

}  // namespace

TEST_CASE("QuotaLog: the first drop is reported at once, later ones add up until 10 s later",
          "[localstore][quota]") {
  QuotaLog log;
  const Clock::time_point t0 = Clock::now();
  CHECK_FALSE(log.next_due());

  std::optional<QuotaLog::Line> line = log.Add(Drop(kA, 5, 2, 100, 50), t0);
  REQUIRE(line);
  CheckLine(*line, Drop(kA, 5, 2, 100, 50));
  CHECK_FALSE(log.next_due());  // nothing pending

  CHECK_FALSE(log.Add(Drop(kA, 3, 1, 40, 70), t0 + seconds(1)));
  CHECK_FALSE(log.Add(Drop(kA, 4, 2, 60, 60, 900), t0 + seconds(9)));
  REQUIRE(log.next_due());
  CHECK(*log.next_due() == t0 + QuotaLog::kInterval);
  CHECK(log.TakeDue(t0 + seconds(9)).empty());

  std::vector<QuotaLog::Line> due = log.TakeDue(t0 + seconds(10));
  REQUIRE(due.size() == 1);
  // Everything since the first line: counts summed, the oldest time, the latest quota.
  CheckLine(due[0], Drop(kA, 7, 3, 100, 60, 900));
  CHECK_FALSE(log.next_due());

  // The line taken at 10 s starts a new interval: a drop at 12 s waits until 20 s.
  CHECK_FALSE(log.Add(Drop(kA, 1, 1, 10, 80), t0 + seconds(12)));
  CHECK(*log.next_due() == t0 + seconds(20));
  // A drop after the interval ended is reported at once, with the one pending.
  line = log.Add(Drop(kA, 2, 1, 20, 90), t0 + seconds(25));
  REQUIRE(line);
  CheckLine(*line, Drop(kA, 3, 2, 30, 80));
  CHECK_FALSE(log.next_due());
}

TEST_CASE("QuotaLog: streams are limited independently, and TakeAll empties everything",
          "[localstore][quota]") {
  QuotaLog log;
  const Clock::time_point t0 = Clock::now();
  REQUIRE(log.Add(Drop(kA, 1, 1, 10, 5), t0));
  REQUIRE(log.Add(Drop(kB, 2, 1, 20, 6), t0 + seconds(3)));  // B's first line: at once
  CHECK_FALSE(log.Add(Drop(kA, 4, 4, 40, 7), t0 + seconds(4)));
  CHECK_FALSE(log.Add(Drop(kB, 8, 8, 80, 8), t0 + seconds(5)));
  CHECK(*log.next_due() == t0 + seconds(10));  // A's, the earlier of the two

  std::vector<QuotaLog::Line> due = log.TakeDue(t0 + seconds(11));
  REQUIRE(due.size() == 1);
  CheckLine(due[0], Drop(kA, 4, 4, 40, 7));
  CHECK(*log.next_due() == t0 + seconds(13));  // B's

  CHECK_FALSE(log.Add(Drop(kA, 16, 1, 160, 9), t0 + seconds(12)));
  std::vector<QuotaLog::Line> all = log.TakeAll();
  REQUIRE(all.size() == 2);
  CheckLine(all[0], Drop(kA, 16, 1, 160, 9));
  CheckLine(all[1], Drop(kB, 8, 8, 80, 8));
  CHECK(log.TakeAll().empty());
  CHECK_FALSE(log.next_due());
  CHECK_FALSE(log.Add(Drop(kA, 0, 0, 0, 0), t0 + seconds(100)));  // nothing dropped: no line
  CHECK_FALSE(log.next_due());
}

TEST_CASE("QuotaLog: the line text", "[localstore][quota]") {
  CHECK(QuotaLog::Format(
            Drop("dcr-1:ds:CONFIG_CHANGE_BLOB_V2", 12, 3, 4567, 1763806542123456789, 4000)) ==
        "quota: dropped 12 records (4567 bytes) of stream dcr-1:ds:CONFIG_CHANGE_BLOB_V2, oldest "
        "from 2025-11-22T10:15:42.123456789Z, to stay within 4000 bytes");
}

TEST_CASE("FormatUnixNs gives RFC 3339 UTC with nanoseconds", "[localstore][quota]") {
  struct Case {
    std::int64_t ns;
    const char* text;
  };
  const Case cases[] = {
      {0, "1970-01-01T00:00:00.000000000Z"},
      {1, "1970-01-01T00:00:00.000000001Z"},
      {-1, "1969-12-31T23:59:59.999999999Z"},
      {-1'000'000'000, "1969-12-31T23:59:59.000000000Z"},
      {951782400000000005, "2000-02-29T00:00:00.000000005Z"},
      {1763806542123456789, "2025-11-22T10:15:42.123456789Z"},
  };
  for (const Case& c : cases) {
    INFO(c.ns);
    CHECK(localstore::FormatUnixNs(c.ns) == c.text);
  }
}
