// The pieces of `amactl replay` on their own: the time bounds people type, the filters, the
// read-only source over real tables, and the progress text.

#include "replay_source.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <limits>

#include "codec/fluent_entries.h"
#include "localstore/table_name.h"
#include "progress.h"
#include "state_folder.h"
#include "state_folder_fixture.h"
#include "support/temp_dir.h"

using amactl::ParseTimeBound;
using amactl::ReplayFilter;
using amactl::ReplaySource;
using amactl_test::TestRecord;

namespace {

constexpr char kStream[] = "dcr-1:ds:CONFIG_CHANGE_BLOB_V2";
constexpr char kOther[] = "dcr-1:ds:CONFIG_DATA_BLOB_V2";

std::int64_t Parsed(const std::string& text, std::chrono::system_clock::time_point now = {}) {
  std::int64_t ns = 0;
  std::string error;
  INFO(text << ": " << error);
  REQUIRE(ParseTimeBound(text, now, &ns, &error));
  return ns;
}

std::string Refusal(const std::string& text) {
  std::int64_t ns = 0;
  std::string error;
  CHECK_FALSE(ParseTimeBound(text, {}, &ns, &error));
  return error;
}

// Reads a stream through the source the way the uploader does: batch after batch from the
// last row read, each removed once read. Returns the Sequence numbers in order.
std::vector<std::uint64_t> Drain(ReplaySource& source, const std::string& stream,
                                 localstore::ReadLimits limits, std::size_t* batches = nullptr) {
  std::vector<std::uint64_t> sequences;
  std::int64_t after = std::numeric_limits<std::int64_t>::min();
  std::vector<localstore::StoredRow> rows;
  for (;;) {
    REQUIRE_FALSE(source.ReadOldest(stream, after, limits, &rows));
    if (rows.empty()) break;
    if (batches != nullptr) ++*batches;
    for (const localstore::StoredRow& row : rows) {
      std::uint32_t count = 0;
      REQUIRE(
          codec::ForEachEntry(row.entries, [&](const codec::EventTime&, std::string_view record) {
            // {"Sequence": n, …}: the value follows the 9-byte key and the map head.
            codec::MsgpackCursor cursor(record);
            std::uint32_t pairs = 0;
            REQUIRE(cursor.ReadMapHead(&pairs));
            std::string_view key;
            REQUIRE(cursor.ReadStr(&key));
            codec::MsgpackHead head;
            REQUIRE(cursor.Next(&head));
            sequences.push_back(head.uint_value);
            ++count;
            return true;
          }));
      CHECK(count == row.count);
    }
    after = rows.back().row_id;
    REQUIRE_FALSE(source.Remove(stream, rows.front().row_id, rows.back().row_id));
  }
  return sequences;
}

std::vector<std::vector<TestRecord>> Rows(std::uint64_t rows, std::uint64_t per_row,
                                          std::int64_t first_second = 1000) {
  std::vector<std::vector<TestRecord>> all;
  std::uint64_t sequence = 1;
  for (std::uint64_t r = 0; r < rows; ++r) {
    std::vector<TestRecord> row;
    for (std::uint64_t i = 0; i < per_row; ++i, ++sequence) {
      row.push_back({sequence, first_second + static_cast<std::int64_t>(sequence)});
    }
    all.push_back(std::move(row));
  }
  return all;
}

std::vector<std::uint64_t> Range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> all;
  for (std::uint64_t i = first; i <= last; ++i) all.push_back(i);
  return all;
}

std::unique_ptr<ReplaySource> OpenSource(const std::filesystem::path& state_dir,
                                         ReplayFilter filter = {}) {
  std::vector<std::filesystem::path> tables;
  std::string error;
  REQUIRE(amactl::ListTables(state_dir, &tables, &error));
  std::unique_ptr<ReplaySource> source;
  INFO(error);
  REQUIRE_FALSE(ReplaySource::Open(tables, filter, {}, &source, &error));
  return source;
}

}  // namespace

TEST_CASE("Time bounds are read as RFC 3339, dates, Unix seconds and ages", "[replay]") {
  CHECK(Parsed("1970-01-01T00:00:00Z") == 0);
  CHECK(Parsed("2026-12-01T10:00:00Z") == 1796119200LL * 1000000000);
  CHECK(Parsed("2026-12-01 10:00:00") == 1796119200LL * 1000000000);
  CHECK(Parsed("2026-12-01T11:30:00+01:30") == 1796119200LL * 1000000000);
  CHECK(Parsed("2026-12-01T08:00:00-02:00") == 1796119200LL * 1000000000);
  CHECK(Parsed("2026-12-01T10:00:00.25Z") == 1796119200LL * 1000000000 + 250000000);
  CHECK(Parsed("2026-12-01") == 1796083200LL * 1000000000);
  CHECK(Parsed("@1764583200") == 1764583200LL * 1000000000);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1764583200));
  CHECK(Parsed("90s", now) == (1764583200LL - 90) * 1000000000);
  CHECK(Parsed("2h", now) == (1764583200LL - 7200) * 1000000000);
  CHECK(Parsed("7d", now) == (1764583200LL - 7 * 86400) * 1000000000);

  CHECK_THAT(Refusal("yesterday"), Catch::Contains("not a time"));
  CHECK_THAT(Refusal("2026-13-01"), Catch::Contains("out of range"));
  CHECK_THAT(Refusal("2026-02-30"), Catch::Contains("no such day"));
  CHECK_THAT(Refusal("2026-12-01T10:00"), Catch::Contains("not a time"));
  CHECK_THAT(Refusal("2026-12-01T10:00:00Zjunk"), Catch::Contains("not a time"));
  CHECK_THAT(Refusal("@12x"), Catch::Contains("Unix time"));
  CHECK_THAT(Refusal("999999999999d"), Catch::Contains("100 years"));
  CHECK_FALSE(Refusal("").empty());
}

TEST_CASE("Filters keep records by event time and name themselves for request ids", "[replay]") {
  ReplayFilter filter;
  CHECK(filter.Fingerprint() == "all");
  CHECK(filter.Matches({5, 0}));
  filter.since_unix_ns = 10'000'000'000;
  filter.until_unix_ns = 20'000'000'000;
  CHECK_FALSE(filter.Matches({9, 999999999}));
  CHECK(filter.Matches({10, 0}));
  CHECK(filter.Matches({19, 999999999}));
  CHECK_FALSE(filter.Matches({20, 0}));
  CHECK_FALSE(filter.Matches({std::numeric_limits<std::int64_t>::max(), 0}));
  ReplayFilter other = filter;
  other.limit = 5;
  CHECK(filter.Fingerprint() != other.Fingerprint());
  CHECK(filter.Fingerprint() != ReplayFilter{}.Fingerprint());
}

TEST_CASE("A replay source hands on every row of a table in order, within the limits", "[replay]") {
  testing::TempDir dir;
  amactl_test::WriteRows(dir.path(), kStream, Rows(10, 100));
  amactl_test::WriteRows(dir.path(), kOther, Rows(3, 7));
  auto source = OpenSource(dir.path());
  CHECK(source->StreamIds() == std::vector<std::string>{kStream, kOther});
  CHECK(source->StreamsWithData().size() == 2);
  CHECK(source->GetBacklog(kStream).rows == 10);
  CHECK(source->GetBacklog(kStream).records == 1000);

  std::size_t batches = 0;
  localstore::ReadLimits limits{.max_rows = 1000, .max_records = 250, .max_bytes = 1 << 20};
  CHECK(Drain(*source, kStream, limits, &batches) == Range(1, 1000));
  CHECK(batches == 5);  // two rows (200 records) each: a third would pass 250
  CHECK(source->GetBacklog(kStream).rows == 0);
  CHECK_FALSE(source->Finished());
  CHECK(Drain(*source, kOther, limits) == Range(1, 21));
  CHECK(source->Finished());
  CHECK(source->StreamsWithData().empty());

  // Nothing was written: the tables still hold everything.
  auto again = OpenSource(dir.path());
  CHECK(again->GetBacklog(kStream).records == 1000);
}

TEST_CASE("A replay source leaves out records by time and stops at the limit", "[replay]") {
  testing::TempDir dir;
  // Event times 1001..1500 for sequences 1..500, 50 to a row.
  amactl_test::WriteRows(dir.path(), kStream, Rows(10, 50));
  localstore::ReadLimits limits{.max_rows = 3, .max_records = 10000, .max_bytes = 1 << 20};

  SECTION("since and until") {
    ReplayFilter filter;
    filter.since_unix_ns = 1120LL * 1000000000;  // sequence 120 on
    filter.until_unix_ns = 1381LL * 1000000000;  // up to 380
    auto source = OpenSource(dir.path(), filter);
    CHECK(Drain(*source, kStream, limits) == Range(120, 380));
    CHECK(source->Finished());
    auto progress = source->Progress();
    REQUIRE(progress.size() == 1);
    CHECK(progress[0].records_taken == 261);
    CHECK(progress[0].records_read == 500);
  }
  SECTION("a range no record is in") {
    ReplayFilter filter;
    filter.since_unix_ns = 5000LL * 1000000000;
    auto source = OpenSource(dir.path(), filter);
    CHECK(Drain(*source, kStream, limits).empty());
    CHECK(source->Finished());
  }
  SECTION("a limit, alone and after a time filter") {
    ReplayFilter filter;
    filter.limit = 73;
    auto source = OpenSource(dir.path(), filter);
    CHECK(Drain(*source, kStream, limits) == Range(1, 73));
    CHECK(source->Finished());
    filter.since_unix_ns = 1200LL * 1000000000;
    auto later = OpenSource(dir.path(), filter);
    CHECK(Drain(*later, kStream, limits) == Range(200, 272));
  }
}

TEST_CASE("A replay source reads a batch again exactly as it first gave it", "[replay]") {
  testing::TempDir dir;
  amactl_test::WriteRows(dir.path(), kStream, Rows(4, 10));
  ReplayFilter filter;
  filter.limit = 25;
  auto source = OpenSource(dir.path(), filter);
  localstore::ReadLimits limits;
  std::vector<localstore::StoredRow> first;
  REQUIRE_FALSE(source->ReadOldest(kStream, 0, limits, &first));
  REQUIRE(first.size() == 3);
  CHECK(first.back().count == 5);  // the limit cut the third row
  // As the uploader reads a refused batch again to make its dead letter.
  std::vector<localstore::StoredRow> again;
  localstore::ReadLimits all{.last_row_id = first.back().row_id};
  REQUIRE_FALSE(source->ReadOldest(kStream, first.front().row_id - 1, all, &again));
  REQUIRE(again.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(again[i].row_id == first[i].row_id);
    CHECK(again[i].entries == first[i].entries);
  }
  CHECK_FALSE(source->Finished());
  REQUIRE_FALSE(source->AddDeadLetter(kStream, first.front().row_id, first.back().row_id, {}));
  std::vector<localstore::StoredRow> rest;
  REQUIRE_FALSE(source->ReadOldest(kStream, first.back().row_id, limits, &rest));
  CHECK(rest.empty());
  CHECK(source->Finished());
}

TEST_CASE("A replay source names the table it cannot read", "[replay]") {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "Tables");
  {
    std::FILE* f = std::fopen((dir.path() / "Tables" / "junk.tsf").c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("not a table", f);
    std::fclose(f);
  }
  std::vector<std::filesystem::path> tables;
  std::string error;
  REQUIRE(amactl::ListTables(dir.path(), &tables, &error));
  std::unique_ptr<ReplaySource> source;
  CHECK(ReplaySource::Open(tables, {}, {}, &source, &error));
  CHECK_THAT(error, Catch::Contains("junk.tsf"));
  CHECK_FALSE(amactl::ListTables(dir.path() / "nowhere", &tables, &error));
  CHECK_THAT(error, Catch::Contains("not a folder of tables"));
}

TEST_CASE("Progress text shows records, bytes, rate, ETA and each stream", "[replay]") {
  CHECK(amactl::HumanCount(999) == "999");
  CHECK(amactl::HumanCount(12345) == "12.3k");
  CHECK(amactl::HumanCount(4560000) == "4.56M");
  CHECK(amactl::HumanBytes(512) == "512 B");
  CHECK(amactl::HumanBytes(1500000) == "1.50 MB");
  CHECK(amactl::HumanDuration(std::chrono::seconds(7)) == "0:07");
  CHECK(amactl::HumanDuration(std::chrono::seconds(3723)) == "1:02:03");

  amactl::ProgressFigures total{.records = 50000, .bytes = 2000000, .fraction = 0.25};
  std::vector<amactl::ProgressFigures> streams = {
      {.name = "dcr-1:ds:A", .records = 50000, .fraction = 0.5},
      {.name = "dcr-1:ds:B", .records = 0, .fraction = 0, .note = "retrying: HTTP 503"},
  };
  amactl::ProgressReporter bar(stderr, amactl::ProgressReporter::Style::kBar,
                               std::chrono::seconds(5), "sent");
  const std::string text = bar.Render(total, streams, std::chrono::seconds(10));
  CHECK_THAT(text, Catch::StartsWith("[######------------------]  25%  50.0k records sent"));
  CHECK_THAT(text, Catch::Contains("2.00 MB  5.00k/s  ETA 0:30"));
  CHECK_THAT(text, Catch::Contains("\n  [######------]  50%    50.0k  A  (dcr-1:ds)\n"));
  CHECK_THAT(text, Catch::Contains(
                       "\n  [------------]   0%        0  B  (dcr-1:ds)  (retrying: HTTP 503)"));

  amactl::ProgressReporter lines(stderr, amactl::ProgressReporter::Style::kLines,
                                 std::chrono::seconds(5), "written");
  streams[0].finished = true;
  CHECK(lines.Render(total, streams, std::chrono::seconds(10)) ==
        "25% 50.0k records written, 2.00 MB, 5.00k records/s, ETA 0:30; in progress: "
        "dcr-1:ds:B 0%");
  total.finished = true;
  CHECK_THAT(lines.Render(total, {}, std::chrono::seconds(10)), Catch::Contains(", done"));
}
