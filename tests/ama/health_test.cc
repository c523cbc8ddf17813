#include "health.h"

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;
// 2023-11-14T22:13:20Z.
constexpr std::int64_t kNow = 1'700'000'000 * kSecond;
constexpr char kStream[] = "dcr-1:ds:CONFIG_CHANGE_BLOB_V2";
constexpr char kOther[] = "dcr-1:ds:CONFIG_DATA_BLOB_V2";

ama::HostStatusInput Healthy() {
  ama::HostStatusInput input;
  input.now_unix_ns = kNow;
  input.config_source.kind = "controlPlane";
  input.config_source.location = "https://handler.test";
  input.streams.emplace_back().stream_id = kStream;
  input.uploads[kStream].last_success_unix_ns = kNow - kMinute;
  input.quota.quota_bytes = 1000;
  return input;
}

std::vector<std::string> Kinds(const std::vector<ama::HealthProblem>& problems) {
  std::vector<std::string> kinds;
  for (const ama::HealthProblem& problem : problems) kinds.push_back(problem.kind);
  return kinds;
}

}  // namespace

TEST_CASE("Each problem is named with what, since when and why", "[ama][health]") {
  struct Case {
    const char* name;
    std::function<void(ama::HostStatusInput&)> make;
    const char* kind;
    const char* message;
  };
  const Case cases[] = {
      {"disk full",
       [](ama::HostStatusInput& in) {
         in.queue.disk_full = true;
         in.queue.held_batches = 3;
         in.queue.held_bytes = 4096;
         in.queue.disk_full_since_unix_ns = kNow - 5 * kMinute;
       },
       "diskFull",
       "disk full: 3 batches (4096 bytes) of records held, not acknowledged, since 22:08:20 UTC "
       "(5 min)"},
      {"uploads failing",
       [](ama::HostStatusInput& in) {
         in.uploads[kStream].failing_since_unix_ns = kNow - 5 * kMinute - 13 * kSecond;
         in.uploads[kStream].last_error = "HTTP 503";
       },
       "uploadsFailing",
       "uploads to dcr-1:ds:CONFIG_CHANGE_BLOB_V2 failing since 22:08:07 UTC (5 min): HTTP 503"},
      {"two streams failing: the longest is named",
       [](ama::HostStatusInput& in) {
         in.uploads[kStream].failing_since_unix_ns = kNow - 30 * kSecond;
         in.uploads[kStream].last_error = "HTTP 503";
         in.uploads[kOther].failing_since_unix_ns = kNow - 26 * 60 * kMinute;
         in.uploads[kOther].last_error = "Couldn't connect to server";
       },
       "uploadsFailing",
       "uploads to dcr-1:ds:CONFIG_DATA_BLOB_V2 failing since 2023-11-13 20:13:20 UTC (26 h): "
       "Couldn't connect to server (and 1 other stream failing)"},
      {"quota drops",
       [](ama::HostStatusInput& in) {
         in.quota.dropped_records = 120;
         in.quota.stored_bytes = 990;
         in.quota.last_dropped_unix_ns = kNow - 2 * kMinute;
       },
       "quotaDrops",
       "records dropped by the quota: 120 since start, the last 2 min ago (990 of 1000 bytes of "
       "quota used)"},
      {"control plane",
       [](ama::HostStatusInput& in) {
         in.config_source.failing_since_unix_ns = kNow - 45 * kSecond;
         in.config_source.failures = 4;
         in.config_source.last_error =
             "GET https://handler.test/subscriptions/x/agentConfigurations: HTTP 503: busy";
       },
       "configSource",
       "control plane https://handler.test not answering since 22:12:35 UTC (45 s) (4 failed "
       "attempts): HTTP 503: busy; the configuration in use is kept"},
      {"control plane unreachable",
       [](ama::HostStatusInput& in) {
         in.config_source.failing_since_unix_ns = kNow - 45 * kSecond;
         in.config_source.failures = 1;
         in.config_source.last_error =
             "GET https://handler.test/x failed: Couldn't connect to server";
       },
       "configSource",
       "control plane https://handler.test not answering since 22:12:35 UTC (45 s) (1 failed "
       "attempt): Couldn't connect to server; the configuration in use is kept"},
      {"DCR folder",
       [](ama::HostStatusInput& in) {
         in.config_source.kind = "directory";
         in.config_source.location = "/etc/dcrs";
         in.config_source.failing_since_unix_ns = kNow - kMinute;
         in.config_source.failures = 1;
         in.config_source.last_error = "cannot read /etc/dcrs";
       },
       "configSource",
       "DCR folder /etc/dcrs cannot be read since 22:12:20 UTC (60 s) (1 failed attempt): cannot "
       "read /etc/dcrs; the configuration in use is kept"},
      {"unknown stream",
       [](ama::HostStatusInput& in) {
         in.sockets.unknown_stream = 7;
         in.sockets.unknown_stream_last_unix_ns = kNow - 9 * kMinute;
         in.sockets.unknown_stream_last_tag = "NOPE";
       },
       "unknownStream",
       "records refused for an unknown stream: 7 since start, the last 9 min ago (tag NOPE): no "
       "active DCR has an output stream for it"},
      {"dead letters",
       [](ama::HostStatusInput& in) {
         in.streams[0].dead_letters = {2, 30, 900};
       },
       "deadLetters",
       "2 dead letters (30 records) kept in 1 stream: a receiver refused them; see amactl "
       "deadletter list"},
      {"expired",
       [](ama::HostStatusInput& in) {
         in.retention.max_age = std::chrono::hours(24 * 7);
         in.retention.expired_records = 55;
         in.retention.last_expired_unix_ns = kNow - 80 * kSecond;
       },
       "expired", "records expired, older than --max-age 7d: 55 since start, the last 80 s ago"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    ama::HostStatusInput input = Healthy();
    c.make(input);
    const std::vector<ama::HealthProblem> problems = ama::AssessHealth(input);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].kind == c.kind);
    CHECK(problems[0].message == c.message);
    CHECK(ama::HealthSummary(problems) == c.message);
  }
}

TEST_CASE("A healthy host says so, and old drops and a recovered stream are not problems",
          "[ama][health]") {
  ama::HostStatusInput input = Healthy();
  CHECK(ama::AssessHealth(input).empty());
  CHECK(ama::HealthSummary({}) == "healthy");
  // Everything here happened, but more than ten minutes ago, or has ended.
  input.quota.dropped_records = 5;
  input.quota.last_dropped_unix_ns = kNow - 11 * kMinute;
  input.sockets.unknown_stream = 3;
  input.sockets.unknown_stream_last_unix_ns = kNow - 10 * kMinute;
  input.retention.expired_records = 9;
  input.retention.last_expired_unix_ns = kNow - 60 * kMinute;
  input.uploads[kStream].retries = 40;  // failed, then succeeded: failing_since is 0 again
  input.config_source.failures = 0;
  input.config_source.last_success_unix_ns = kNow - kMinute;
  CHECK(ama::AssessHealth(input).empty());
}

TEST_CASE("Problems come worst first: a cause before its consequences", "[ama][health]") {
  ama::HostStatusInput input = Healthy();
  input.retention.max_age = std::chrono::hours(1);
  input.retention.last_expired_unix_ns = kNow - kSecond;
  input.streams[0].dead_letters = {1, 1, 1};
  input.sockets.unknown_stream_last_unix_ns = kNow - kSecond;
  input.config_source.failing_since_unix_ns = kNow - kSecond;
  input.quota.last_dropped_unix_ns = kNow - kSecond;
  input.uploads[kStream].failing_since_unix_ns = kNow - kSecond;
  input.queue.disk_full = true;
  const std::vector<ama::HealthProblem> problems = ama::AssessHealth(input);
  CHECK(Kinds(problems) == std::vector<std::string>{"diskFull", "uploadsFailing", "quotaDrops",
                                                    "configSource", "unknownStream", "deadLetters",
                                                    "expired"});
  CHECK_THAT(ama::HealthSummary(problems), Catch::StartsWith("disk full: 0 batches"));
}

TEST_CASE("Without a configuration the host is waiting for one, and says why first",
          "[ama][health]") {
  ama::HostStatusInput input = Healthy();
  input.configuration_loaded = false;
  input.waiting_for = "the first answer of the control plane at https://handler.test (none cached)";
  std::vector<ama::HealthProblem> problems = ama::AssessHealth(input);
  REQUIRE(Kinds(problems) == std::vector<std::string>{"waitingForConfiguration"});
  CHECK(problems[0].message ==
        "waiting for a configuration: the first answer of the control plane at "
        "https://handler.test (none cached); only the config socket is open, no data socket yet");

  // The control plane fails: the reason is its error, said once (no configSource problem that
  // would claim a configuration in use is kept), and before anything else.
  input.config_source.failing_since_unix_ns = kNow - 2 * kMinute;
  input.config_source.failures = 4;
  input.config_source.last_error = "GET https://handler.test/x: HTTP 503: busy";
  input.queue.disk_full = true;
  problems = ama::AssessHealth(input);
  CHECK(Kinds(problems) == std::vector<std::string>{"waitingForConfiguration", "diskFull"});
  CHECK(ama::HealthSummary(problems) ==
        "waiting for a configuration: control plane https://handler.test not answering since "
        "22:11:20 UTC (2 min) (4 failed attempts): HTTP 503: busy; only the config socket is "
        "open, no data socket yet");
}

TEST_CASE("A long error is cut to one readable line", "[ama][health]") {
  ama::HostStatusInput input = Healthy();
  input.uploads[kStream].failing_since_unix_ns = kNow - kSecond;
  input.uploads[kStream].last_error = std::string(500, 'x');
  const std::string message = ama::HealthSummary(ama::AssessHealth(input));
  CHECK(message.size() < 300);
  CHECK_THAT(message, Catch::EndsWith(std::string(160, 'x') + "…"));
}

TEST_CASE("Clock times and ages for people", "[ama][health]") {
  CHECK(ama::FormatClock(kNow, kNow) == "22:13:20 UTC");
  CHECK(ama::FormatClock(kNow - 23 * 60 * kMinute, kNow) == "2023-11-13 23:13:20 UTC");
  CHECK(ama::FormatClock(kNow + kSecond / 2, kNow) == "22:13:20 UTC");
  CHECK(ama::FormatAge(-kSecond) == "0 s");
  CHECK(ama::FormatAge(89 * kSecond) == "89 s");
  CHECK(ama::FormatAge(90 * kSecond) == "1 min");
  CHECK(ama::FormatAge(89 * kMinute) == "89 min");
  CHECK(ama::FormatAge(90 * kMinute) == "1 h");
  CHECK(ama::FormatAge(47 * 60 * kMinute) == "47 h");
  CHECK(ama::FormatAge(48 * 60 * kMinute) == "2 d");
}
