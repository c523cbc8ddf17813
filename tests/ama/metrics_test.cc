// /metrics' exposition from a snapshot: every family once with HELP and TYPE, streams from every
// source, labels escaped; checked by Prometheus' own parser (promtool) when it is installed.

#include "metrics.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "support/promtool.h"

namespace ama {
namespace {

int Count(const std::string& text, std::string_view needle) {
  int count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

MetricsSnapshot Example() {
  MetricsSnapshot s;
  s.sockets.connections_open = 2;
  s.sockets.connections_accepted = 7;
  s.sockets.records_received = 130;
  s.sockets.records_committed = 120;
  s.sockets.unknown_stream = 10;
  s.sockets.malformed = 1;
  s.received_by_stream = {{"dcr-1:ds:CONFIG_CHANGE_BLOB_V2", 100}, {"dcr-1:ds:ONLY_RECEIVED", 20}};
  localstore::StreamStats stored;
  stored.stream_id = "dcr-1:ds:CONFIG_CHANGE_BLOB_V2";
  stored.committed_records = 100;
  stored.quota_dropped_records = 3;
  stored.expired_records = 7;
  stored.backlog = {.rows = 2, .records = 40, .bytes = 4000};
  stored.dead_letters = {.rows = 1, .records = 5, .bytes = 500};
  s.now = std::chrono::system_clock::now();
  stored.oldest_received_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                       (s.now - std::chrono::seconds(90)).time_since_epoch())
                                       .count();
  s.streams.push_back(stored);
  // A stream id no DCR would hold, to test escaping: quote, backslash, newline, invalid UTF-8.
  localstore::StreamStats odd;
  odd.stream_id = "dcr-\"2\":ds\\x:ODD\nTYPE\xff";
  s.streams.push_back(odd);
  uploader::UploadStats upload;
  upload.records_uploaded = 55;
  upload.records_rejected = 5;
  upload.requests = 6;
  s.uploads["dcr-1:ds:CONFIG_CHANGE_BLOB_V2"] = upload;
  s.uploads["dcr-9:ds:ONLY_UPLOADER"] = {};
  s.quota = {.quota_bytes = 1 << 20, .stored_bytes = 4500, .dropped_records = 3};
  s.retention.expired_records = 7;
  s.queue.disk_full = true;
  s.queue.commits = 9;
  s.queue.tables = 12;
  s.queue.open_tables = 2;
  base::Histogram commit(base::Histogram::LatencyBounds());
  commit.Observe(0.004);
  s.commit_latency = commit.Snapshot();
  base::Histogram ods(base::Histogram::LatencyBounds());
  ods.Observe(0.2);
  ods.Observe(0.3);
  s.upload_latency = {{"gig", base::Histogram(base::Histogram::LatencyBounds()).Snapshot()},
                      {"ods", ods.Snapshot()}};
  s.config.fetches_updated = 1;
  s.config.fetches_failed = 4;
  s.ready = true;
  s.uptime = std::chrono::seconds(12);
  return s;
}

TEST_CASE("MetricsText writes every family once, with HELP and TYPE, prefixed amahost_",
          "[ama][metrics]") {
  const std::string text = MetricsText(Example());
  std::set<std::string> families;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    REQUIRE(end != std::string::npos);  // every line ends in a newline
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.starts_with("# TYPE ")) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      CHECK(families.insert(name).second);  // once
      CHECK_THAT(name, Catch::StartsWith("amahost_"));
      if (line.ends_with(" counter")) CHECK_THAT(name, Catch::EndsWith("_total"));
      CHECK(Count(text, "# HELP " + name + " ") == 1);
    }
  }
  CHECK(families.size() >= 40);
}

TEST_CASE("MetricsText shows each stream from whichever source knows it", "[ama][metrics]") {
  const std::string text = MetricsText(Example());
  const std::string ct =
      R"(stream="dcr-1:ds:CONFIG_CHANGE_BLOB_V2",data_type="CONFIG_CHANGE_BLOB_V2")";
  CHECK_THAT(text, Catch::Contains("amahost_stream_records_received_total{" + ct + "} 100\n"));
  CHECK_THAT(text, Catch::Contains("amahost_stream_records_committed_total{" + ct + "} 100\n"));
  CHECK_THAT(text, Catch::Contains("amahost_stream_records_uploaded_total{" + ct + "} 55\n"));
  CHECK_THAT(text, Catch::Contains("amahost_stream_records_rejected_total{" + ct + "} 5\n"));
  CHECK_THAT(text, Catch::Contains("amahost_stream_records_dropped_total{" + ct +
                                   ",reason=\"quota\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("amahost_stream_records_dropped_total{" + ct +
                                   ",reason=\"expired\"} 7\n"));
  CHECK_THAT(text, Catch::Contains("amahost_stream_backlog_records{" + ct + "} 40\n"));
  CHECK_THAT(text, Catch::Contains("amahost_stream_backlog_bytes{" + ct + "} 4000\n"));
  CHECK_THAT(text, Catch::Contains("amahost_stream_oldest_record_age_seconds{" + ct + "} 90\n"));
  CHECK_THAT(text, Catch::Contains("amahost_stream_dead_letters{" + ct + "} 1\n"));
  // Known to one source only: zeros elsewhere.
  CHECK_THAT(text, Catch::Contains("amahost_stream_records_received_total{stream=\"dcr-1:ds:"
                                   "ONLY_RECEIVED\",data_type=\"ONLY_RECEIVED\"} 20\n"));
  CHECK_THAT(text, Catch::Contains("amahost_stream_backlog_records{stream=\"dcr-9:ds:"
                                   "ONLY_UPLOADER\",data_type=\"ONLY_UPLOADER\"} 0\n"));
  CHECK_THAT(text, Catch::Contains(
                       "amahost_stream_backlog_records{stream=\"dcr-\\\"2\\\":ds\\\\x:ODD\\nTYPE"
                       "\xef\xbf\xbd\",data_type=\"ODD\\nTYPE\xef\xbf\xbd\"} 0\n"));
  CHECK_THAT(text,
             Catch::Contains("amahost_records_dropped_total{reason=\"unknown_stream\"} 10\n"));
  CHECK_THAT(text, Catch::Contains("amahost_records_dropped_total{reason=\"quota\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("amahost_records_dropped_total{reason=\"expired\"} 7\n"));
  CHECK_THAT(text, Catch::Contains("amahost_messages_malformed_total 1\n"));
  CHECK_THAT(text, Catch::Contains("amahost_store_disk_full 1\n"));
  CHECK_THAT(text, Catch::Contains("amahost_store_commits_total 9\n"));
  CHECK_THAT(text, Catch::Contains("amahost_store_tables 12\n"));
  CHECK_THAT(text, Catch::Contains("amahost_store_open_tables 2\n"));
  CHECK_THAT(text, Catch::Contains("amahost_store_quota_bytes 1048576\n"));
  CHECK_THAT(text,
             Catch::Contains("amahost_store_commit_duration_seconds_bucket{le=\"0.005\"} 1\n"));
  CHECK_THAT(text,
             Catch::Contains("amahost_upload_request_duration_seconds_bucket{protocol=\"ods\","
                             "le=\"0.25\"} 1\n"));
  CHECK_THAT(
      text, Catch::Contains("amahost_upload_request_duration_seconds_count{protocol=\"ods\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("amahost_control_plane_fetches_total{result=\"failed\"} 4\n"));
  CHECK_THAT(text, Catch::Contains("amahost_ready 1\n"));
}

TEST_CASE("MetricsText passes promtool check metrics", "[ama][metrics]") {
  std::optional<testing::CommandResult> checked =
      testing::PromtoolCheckMetrics(MetricsText(Example()));
  if (!checked) {
    WARN(testing::kNoPromtool);
    return;
  }
  INFO(checked->out << checked->err);
  CHECK(checked->exit_code == 0);
  CHECK(checked->out.empty());
}

}  // namespace
}  // namespace ama
