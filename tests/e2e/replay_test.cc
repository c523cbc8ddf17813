// `amactl replay` and `amactl tables` as a support engineer uses them: on a host's state folder
// (stopped, copied or running), against a real mockcloud over HTTPS, on a terminal and in a pipe.

#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "e2e_support.h"
#include "mockcloud/mockcloud_fixture.h"
#include "rapidjson/document.h"
#include "state_folder_fixture.h"
#include "support/host_process.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using e2e::kChangeV2;
using e2e::kDataV2;
using e2e::RecordJson;

namespace {

std::string Lines(std::uint64_t first, std::uint64_t last) {
  std::string text;
  for (std::uint64_t i = first; i <= last; ++i) text += RecordJson(i) + "\n";
  return text;
}

// The Sequence of each item mockcloud holds for `data_type`, in arrival order.
std::vector<std::uint64_t> Arrived(testing::MockCloudProcess& cloud, const std::string& data_type) {
  std::vector<std::uint64_t> sequences;
  rapidjson::Document items = cloud.ItemsDocument(data_type);
  for (const auto& item : items.GetArray()) sequences.push_back(item["Sequence"].GetUint64());
  return sequences;
}

std::vector<std::uint64_t> Range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> all;
  for (std::uint64_t i = first; i <= last; ++i) all.push_back(i);
  return all;
}

// A host on the embedded DCRs, pointed at `cloud` but uploading nothing, so that its tables
// keep every record for a replay.
struct KeepingHost {
  testing::TempDir dir;
  testing::HostProcess host;
  explicit KeepingHost(testing::MockCloudProcess& cloud)
      : host(dir.path(), [&] {
          auto args = e2e::CloudArgs(cloud, "3600");
          args.push_back("--no-upload");
          return args;
        }()) {
    REQUIRE(host.Start());
  }
  void Send(const std::string& stream, std::uint64_t first, std::uint64_t last) {
    std::vector<std::string> args = {"send", "--stream", stream, "--ack", "--batch", "500"};
    for (const std::string& arg : host.AmactlArgs()) args.push_back(arg);
    auto result = testing::RunAmactl(args, Lines(first, last));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
  }
  std::string state() const { return host.state_dir().string(); }
};

testing::CommandResult Replay(const std::string& state, std::vector<std::string> extra) {
  std::vector<std::string> args = {"replay", state, "--progress", "none"};
  args.insert(args.end(), extra.begin(), extra.end());
  return testing::RunAmactl(args);
}

// `amactl tables --json` of a state folder, parsed.
rapidjson::Document Tables(const std::string& state) {
  auto result = testing::RunAmactl({"tables", state, "--json"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  rapidjson::Document document;
  document.Parse(result.out.c_str());
  REQUIRE(document.IsObject());
  return document;
}

std::uint64_t TableRecords(const std::string& state, const std::string& stream) {
  rapidjson::Document document = Tables(state);
  for (const auto& table : document["tables"].GetArray()) {
    if (stream == table["stream"].GetString()) return table["records"].GetUint64();
  }
  return 0;
}

}  // namespace

TEST_CASE(
    "amactl replay sends a stopped host's tables to their channels, each record once and "
    "in order",
    "[replay][e2e]") {
  testing::MockCloudProcess cloud;
  KeepingHost keeping(cloud);
  keeping.Send(kChangeV2, 1, 3000);
  keeping.Send(kDataV2, 1, 500);
  REQUIRE(keeping.host.Terminate());

  // One request at a time: each stream's records arrive in the order they were stored.
  auto result = Replay(keeping.state(),
                       {"--ca-file", cloud.ca_file(), "--requests", "1", "--batch-records", "400"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.err, Catch::Contains("done: 3500 records sent"));
  CHECK(Arrived(cloud, "CONFIG_CHANGE_BLOB_V2") == Range(1, 3000));
  CHECK(Arrived(cloud, "CONFIG_DATA_BLOB_V2") == Range(1, 500));
  const std::uint64_t first_requests = cloud.Stats()["requests"].GetUint64();

  // Run again (pipelined this time): the same batches under the same ids, all duplicates.
  auto again = Replay(keeping.state(), {"--ca-file", cloud.ca_file(), "--batch-records", "400"});
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 3000);
  CHECK(cloud.ItemCount("CONFIG_DATA_BLOB_V2") == 500);
  CHECK(cloud.Stats()["duplicates"].GetUint64() == first_requests);

  // Read-only: the tables hold every record still.
  CHECK(TableRecords(keeping.state(), kChangeV2) == 3000);
  CHECK(TableRecords(keeping.state(), kDataV2) == 500);
}

TEST_CASE("A replay killed mid-way and run again adds no duplicate at a de-duplicating receiver",
          "[replay][e2e]") {
  testing::MockCloudProcess cloud;
  KeepingHost keeping(cloud);
  keeping.Send(kChangeV2, 1, 20000);
  REQUIRE(keeping.host.Terminate());

  // Slow answers, so that the kill lands while requests are in flight.
  cloud.SetFault({.target = "ods", .status = 0, .count = 100000, .latency_ms = 400});
  testing::TempDir logs;
  auto replay = testing::ChildProcess::Start(
      {AMACTL_BINARY, "replay", keeping.state(), "--ca-file", cloud.ca_file(), "--batch-records",
       "500", "--progress", "none"},
      logs.path() / "replay.log");
  REQUIRE(testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") >= 2000; },
                             std::chrono::seconds(60)));
  replay->Signal(SIGKILL);
  REQUIRE(replay->WaitExit(std::chrono::seconds(20)));
  const std::size_t before = cloud.ItemCount("CONFIG_CHANGE_BLOB_V2");
  INFO("items before the second run: " << before);
  REQUIRE(before < 20000);  // it was killed mid-way

  cloud.ClearFaults();
  auto result = Replay(keeping.state(), {"--ca-file", cloud.ca_file(), "--batch-records", "500"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  std::vector<std::uint64_t> arrived = Arrived(cloud, "CONFIG_CHANGE_BLOB_V2");
  CHECK(arrived.size() == 20000);
  std::multiset<std::uint64_t> all(arrived.begin(), arrived.end());
  const std::vector<std::uint64_t> expected = Range(1, 20000);
  CHECK(all == std::multiset<std::uint64_t>(expected.begin(), expected.end()));
  CHECK(cloud.Stats()["duplicates"].GetUint64() > 0);
}

TEST_CASE("Replaying a running host's folder leaves the host undisturbed", "[replay][e2e]") {
  testing::MockCloudProcess cloud;
  KeepingHost keeping(cloud);
  e2e::AckedSender sender(
      pipes::ExtensionSocketAddress(keeping.host.naming(), "ChangeTracking-Linux"), 50);
  REQUIRE(testing::WaitUntil([&] { return sender.Acked().size() >= 2000; }));
  const std::size_t acked_before = sender.Acked().size();

  auto result =
      Replay(keeping.state(), {"--ca-file", cloud.ca_file(), "--stream", "CONFIG_CHANGE_BLOB_V2"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  // The host went on taking records during and after the replay.
  const std::size_t acked_after_replay = sender.Acked().size();
  REQUIRE(testing::WaitUntil([&] { return sender.Acked().size() >= acked_after_replay + 500; }));
  CHECK_FALSE(sender.failed());
  CHECK(keeping.host.Running());

  // The replay sent the records the table held when it began: 1..K, each once.
  std::vector<std::uint64_t> arrived = Arrived(cloud, "CONFIG_CHANGE_BLOB_V2");
  std::sort(arrived.begin(), arrived.end());
  REQUIRE(arrived.size() >= acked_before);
  CHECK(arrived == Range(1, arrived.size()));
  CHECK(arrived.size() <= acked_after_replay);
  // And removed nothing from it.
  CHECK(TableRecords(keeping.state(), kChangeV2) >= acked_after_replay);
}

TEST_CASE(
    "amactl replay --to sends to any endpoint with a token from a file, ODS or Logs "
    "Ingestion",
    "[replay][e2e]") {
  testing::MockCloudProcess cloud;
  testing::TempDir dir;
  const std::string state = (dir.path() / "copied-state").string();
  // A folder with tables and no config cache, as copied from a machine.
  amactl_test::WriteRows(state, kChangeV2, {{{1, 1000}, {2, 1001}}, {{3, 1002}}});
  const std::string token_file = (dir.path() / "token").string();
  std::ofstream(token_file) << cloud.IngestionToken(e2e::kDcr) << "\n";

  auto no_ip_name = Replay(state, {"--to", cloud.base_url(), "--ca-file", cloud.ca_file()});
  CHECK(no_ip_name.exit_code == 1);
  CHECK_THAT(no_ip_name.err, Catch::Contains("give --ip-name"));
  auto no_token = Replay(state, {"--to", cloud.base_url(), "--ca-file", cloud.ca_file(),
                                 "--ip-name", "ChangeTracking"});
  CHECK(no_token.exit_code == 1);
  CHECK_THAT(no_token.err, Catch::Contains("give --token-file"));
  auto no_route = Replay(state, {"--ca-file", cloud.ca_file()});
  CHECK(no_route.exit_code == 1);
  CHECK_THAT(no_route.err, Catch::Contains("no cached DCR names it (give --to URL)"));

  auto ods = Replay(state, {"--to", cloud.base_url(), "--token-file", token_file, "--ca-file",
                            cloud.ca_file(), "--ip-name", "ChangeTracking"});
  INFO(ods.err);
  REQUIRE(ods.exit_code == 0);
  CHECK(Arrived(cloud, "CONFIG_CHANGE_BLOB_V2") == Range(1, 3));

  auto gig = Replay(state, {"--to", cloud.base_url(), "--protocol", "gig", "--token-file",
                            token_file, "--ca-file", cloud.ca_file()});
  INFO(gig.err);
  REQUIRE(gig.exit_code == 0);
  // Logs Ingestion names the stream by its DATATYPE here; mockcloud files items under it.
  rapidjson::Document requests = cloud.Requests();
  bool logs_seen = false;
  for (const auto& request : requests["requests"].GetArray()) {
    if (std::string(request["endpoint"].GetString()) == "logs") logs_seen = true;
  }
  CHECK(logs_seen);
  CHECK(cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 6);
}

TEST_CASE("amactl replay --ndjson writes the records each filter keeps", "[replay][e2e]") {
  testing::TempDir dir;
  const std::string state = dir.path().string();
  // Sequences 1..300 at event times 1001..1300 (2001-ish), 30 to a row; another stream of 40.
  std::vector<std::vector<amactl_test::TestRecord>> rows;
  for (std::uint64_t r = 0; r < 10; ++r) {
    std::vector<amactl_test::TestRecord> row;
    for (std::uint64_t i = 1; i <= 30; ++i) {
      const std::uint64_t sequence = r * 30 + i;
      row.push_back({sequence, 1000 + static_cast<std::int64_t>(sequence)});
    }
    rows.push_back(std::move(row));
  }
  amactl_test::WriteRows(state, kChangeV2, rows);
  amactl_test::WriteRows(state, kDataV2, {std::vector<amactl_test::TestRecord>(40, {7, 5000})});

  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--ndjson", "-"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto result = Replay(state, args);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    return result;
  };
  SECTION("everything, stream by stream") {
    auto result = run({});
    std::vector<std::uint64_t> expected = Range(1, 300);
    expected.insert(expected.end(), 40, 7);
    CHECK(amactl_test::SequencesOfLines(result.out) == expected);
    CHECK_THAT(result.err, Catch::Contains("wrote 340 records"));
  }
  SECTION("--stream by DATATYPE and by id") {
    CHECK(amactl_test::SequencesOfLines(run({"--stream", "CONFIG_DATA_BLOB_V2"}).out).size() == 40);
    CHECK(amactl_test::SequencesOfLines(run({"--stream", kChangeV2}).out) == Range(1, 300));
  }
  SECTION("--since and --until on event time") {
    // @1100 is sequence 100; --until is exclusive.
    auto result = run({"--stream", "CONFIG_CHANGE_BLOB_V2", "--since", "@1100", "--until",
                       "1970-01-01T00:20:00Z"});
    CHECK(amactl_test::SequencesOfLines(result.out) == Range(100, 199));
  }
  SECTION("--limit per stream") {
    auto result = run({"--limit", "5"});
    CHECK(amactl_test::SequencesOfLines(result.out) ==
          std::vector<std::uint64_t>{1, 2, 3, 4, 5, 7, 7, 7, 7, 7});
  }
  SECTION("--with-time and --with-stream shape each line") {
    auto result =
        run({"--stream", "CONFIG_CHANGE_BLOB_V2", "--limit", "1", "--with-time", "--with-stream"});
    CHECK(result.out ==
          std::string("{\"stream\":\"") + kChangeV2 +
              "\",\"time\":\"1970-01-01T00:16:41.000000000Z\",\"record\":{\"Sequence\":1,"
              "\"Computer\":\"fixture\"}}\n");
  }
  SECTION("to a file, and a dry run that counts") {
    const std::string file = (dir.path() / "out.ndjson").string();
    run({"--ndjson", file, "--since", "@1291"});
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::uint64_t> expected = Range(291, 300);
    expected.insert(expected.end(), 40, 7);
    CHECK(amactl_test::SequencesOfLines(text) == expected);
    auto dry = Replay(state, {"--dry-run", "--since", "@1291"});
    CHECK_THAT(dry.err, Catch::Contains("would send 50 records"));
    CHECK_THAT(dry.err, Catch::Contains("nowhere: no cached DCR names it"));
  }
}

TEST_CASE("amactl replay says what is wrong with its arguments and folders", "[replay][e2e]") {
  testing::TempDir dir;
  amactl_test::WriteRows(dir.path(), kChangeV2, {{{1, 1000}}});
  const std::string state = dir.path().string();
  auto check = [&](std::vector<std::string> args, int code, const std::string& message) {
    auto result = Replay(state, args);
    INFO(result.err);
    CHECK(result.exit_code == code);
    CHECK_THAT(result.err, Catch::Contains(message));
  };
  check({"--since", "yesterday"}, 2, "--since yesterday: not a time");
  check({"--since", "@2000", "--until", "@1000"}, 2, "--since must come before --until");
  check({"--protocol", "http"}, 2, "--protocol must be ods or gig");
  check({"--to", "ftp://x"}, 2, "--to must be an http(s) URL");
  check({"--with-time"}, 2, "give --ndjson");
  check({"--stream", "NOPE", "--ndjson", "-"}, 1, "no table in");
  auto missing = testing::RunAmactl({"replay", (dir.path() / "nowhere").string()});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("is not a folder of tables"));
  auto help = testing::RunAmactl({"replay", "--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("Exit status"));
}

TEST_CASE("amactl replay shows a bar on a terminal and plain lines in a pipe", "[replay][e2e]") {
  testing::MockCloudProcess cloud;
  KeepingHost keeping(cloud);
  keeping.Send(kChangeV2, 1, 4000);
  REQUIRE(keeping.host.Terminate());
  // Slow answers: the replay lasts a few seconds, long enough to report progress.
  cloud.SetFault({.target = "ods", .status = 0, .count = 100000, .latency_ms = 300});
  const std::vector<std::string> common = {
      "replay",          keeping.state(), "--ca-file",  cloud.ca_file(),
      "--batch-records", "250",           "--requests", "2"};

  SECTION("a terminal: a bar redrawn in place, then the summary") {
    std::vector<std::string> argv = {AMACTL_BINARY};
    argv.insert(argv.end(), common.begin(), common.end());
    auto result = testing::RunOnTerminal(argv);
    INFO(result.out);
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("records sent"));
    CHECK_THAT(result.out, Catch::Contains("[#"));
    CHECK_THAT(result.out, Catch::Contains("ETA"));
    // The stream's own bar, its DATATYPE first.
    CHECK_THAT(result.out,
               Catch::Contains("CONFIG_CHANGE_BLOB_V2  (dcr-a3e1c0d2b4f64e8c9d7f00c7c0ffee01:"));
    CHECK_THAT(result.out, Catch::Contains("\x1b[J"));  // erased and redrawn
    CHECK_THAT(result.out, Catch::Contains("done: 4000 records sent"));
  }
  SECTION("a narrow terminal: no line of the bar wraps") {
    std::vector<std::string> argv = {AMACTL_BINARY};
    argv.insert(argv.end(), common.begin(), common.end());
    auto result = testing::RunOnTerminal(argv, std::chrono::seconds(60), 60);
    INFO(result.out);
    REQUIRE(result.exit_code == 0);
    std::size_t bar_lines = 0;
    std::size_t start = 0;
    while (start < result.out.size()) {
      std::size_t end = result.out.find_first_of("\r\n", start);
      if (end == std::string::npos) end = result.out.size();
      std::string line = result.out.substr(start, end - start);
      start = end + 1;
      // The escapes that move back up begin the next frame's first line.
      if (line.rfind("\x1b[", 0) == 0) line = line.substr(line.find('J') + 1);
      if (line.find("%  ") == std::string::npos || line.find('[') == std::string::npos) continue;
      ++bar_lines;
      std::size_t columns = 0;
      for (char c : line) columns += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
      CHECK(columns < 60);
    }
    CHECK(bar_lines > 0);
  }
  SECTION("a pipe: a plain line per interval, no escapes, then the summary") {
    std::vector<std::string> args = common;
    args.insert(args.end(), {"--progress-interval", "0.3"});
    auto result = testing::RunAmactl(args);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(result.err.find('\x1b') == std::string::npos);
    CHECK(result.err.find('\r') == std::string::npos);
    CHECK_THAT(result.err, Catch::Contains("records sent, "));
    CHECK_THAT(result.err, Catch::Contains("records/s, ETA"));
    CHECK_THAT(result.err, Catch::Contains("done: 4000 records sent"));
  }
}

TEST_CASE("amactl tables lists each table's stream, records, times and dead letters",
          "[replay][e2e]") {
  testing::TempDir dir;
  amactl_test::WriteRows(dir.path(), kChangeV2,
                         {{{1, 1764583200}, {2, 1764583100}}, {{3, 1764583300}}});
  rapidjson::Document document = Tables(dir.path().string());
  const auto& tables = document["tables"];
  REQUIRE(tables.Size() == 1);
  const auto& table = tables[0];
  CHECK(std::string(table["stream"].GetString()) == kChangeV2);
  CHECK(std::string(table["dataType"].GetString()) == "CONFIG_CHANGE_BLOB_V2");
  CHECK(table["records"].GetUint64() == 3);
  CHECK(table["rows"].GetUint64() == 2);
  CHECK(table["deadLetters"].GetUint64() == 0);
  CHECK(std::string(table["oldestEventTime"].GetString()) == "2025-12-01T09:58:20.000000000Z");
  CHECK(std::string(table["newestEventTime"].GetString()) == "2025-12-01T10:01:40.000000000Z");

  auto text = testing::RunAmactl({"tables", dir.path().string()});
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("records      3 in 2 rows"));
  CHECK_THAT(text.out, Catch::Contains("event time   2025-12-01T09:58:20Z … 2025-12-01T10:01:40Z"));
  auto none = testing::RunAmactl({"tables", (dir.path() / "nowhere").string()});
  CHECK(none.exit_code == 1);
}
