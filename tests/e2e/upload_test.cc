// The upload path against a real mockcloud over HTTPS: a long outage, Retry-After, tokens that
// expire under load, and SIGKILL between a 2xx and the removal of its batch, again and again.

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "e2e_support.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace std::chrono_literals;

namespace {

using e2e::With;

std::multiset<std::uint64_t> Expected(std::uint64_t first, std::uint64_t last) {
  std::multiset<std::uint64_t> expected;
  for (std::uint64_t i = first; i <= last; ++i) expected.insert(i);
  return expected;
}

// The upload requests mockcloud answered, in arrival order: status and received time (ms).
struct Answered {
  int status = 0;
  std::int64_t time_ms = 0;
  std::string request_id;
};
// mockcloud's "2026-12-02T10:15:42.123Z" in milliseconds since the epoch.
std::int64_t UnixMs(const std::string& text) {
  std::tm utc{};
  int milliseconds = 0;
  REQUIRE(std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &utc.tm_year, &utc.tm_mon,
                      &utc.tm_mday, &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &milliseconds) == 7);
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&utc)) * 1000 + milliseconds;
}

std::vector<Answered> UploadRequests(testing::MockCloudProcess& cloud) {
  rapidjson::Document requests = cloud.Requests();
  std::vector<Answered> out;
  for (const auto& request : requests["requests"].GetArray()) {
    out.push_back({request["status"].GetInt(), UnixMs(request["time"].GetString()),
                   request["requestId"].GetString()});
  }
  return out;
}

}  // namespace

TEST_CASE("A 503 outage of hundreds of retries loses nothing and sends nothing twice",
          "[e2e][upload]") {
  testing::MockCloudProcess cloud;
  // 200 failed attempts: at the default backoff (1 s doubling to 5 min) that is most of a day of
  // retries; shortened here to milliseconds.
  cloud.SetFault({.target = "ods", .status = 503, .count = 200});
  testing::TempDir dir;
  testing::HostProcess host(
      dir.path(),
      {"--cloud-endpoint", cloud.base_url(), "--ca-file", cloud.ca_file(), "--upload-window",
       "0.05", "--retry-base", "0.002", "--retry-max", "0.02", "--batch-max-records", "100"});
  REQUIRE(host.Start());
  // Records keep coming during the outage, in many batches.
  for (int chunk = 0; chunk < 10; ++chunk) {
    std::string input;
    for (int i = 1; i <= 100; ++i) input += e2e::RecordJson(chunk * 100 + i) + "\n";
    REQUIRE(testing::RunAmactl(With({"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack"}, host),
                               input)
                .exit_code == 0);
  }
  REQUIRE(
      testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") >= 1000; }, 120s));
  CHECK(e2e::Sequences(cloud, "CONFIG_CHANGE_BLOB_V2") == Expected(1, 1000));
  std::size_t failed = 0;
  for (const Answered& answered : UploadRequests(cloud)) failed += answered.status == 503;
  CHECK(failed == 200);
  // The host hears the last answers a moment after mockcloud stored their items.
  rapidjson::Document document;
  CHECK(testing::WaitUntil([&] {
    auto status = testing::RunAmactl(With({"status", "--json"}, host));
    document.Parse(status.out.c_str());
    return document.IsObject() && document["host"]["upload"]["recordsUploaded"].GetUint64() == 1000;
  }));
  CHECK(document["host"]["upload"]["retries"].GetUint64() >= 200);
  CHECK(host.Terminate());
}

TEST_CASE("No request of a stream arrives before the Retry-After it was told", "[e2e][upload]") {
  testing::MockCloudProcess cloud;
  // In seconds, or as an HTTP date (at least that far ahead, whole seconds).
  const bool date = GENERATE(false, true);
  CAPTURE(date);
  cloud.SetFault(
      {.target = "ods", .status = 429, .count = 1, .retry_after = 2, .retry_after_date = date});
  testing::TempDir dir;
  // One request in flight at a time: every request after the first was sent after its answer.
  std::vector<std::string> args = e2e::CloudArgs(cloud, "0.05");
  args.insert(args.end(), {"--upload-requests", "1"});
  testing::HostProcess host(dir.path(), args);
  REQUIRE(host.Start());
  std::string input;
  for (int i = 1; i <= 20; ++i) input += e2e::RecordJson(i) + "\n";
  REQUIRE(
      testing::RunAmactl(
          With({"send", "--stream", "CONFIG_CHANGE_BLOB_V2", "--ack", "--batch", "5"}, host), input)
          .exit_code == 0);
  REQUIRE(testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") == 20; }, 30s));
  std::vector<Answered> answered = UploadRequests(cloud);
  REQUIRE(answered.size() >= 2);
  REQUIRE(answered[0].status == 429);
  std::int64_t not_before = answered[0].time_ms + 2000;
  if (date) {
    // mockcloud lists the header it sent: "injected fault; Retry-After: <IMF-fixdate>".
    rapidjson::Document requests = cloud.Requests();
    const std::string message = requests["requests"][0]["message"].GetString();
    const std::size_t at = message.find("Retry-After: ");
    REQUIRE(at != std::string::npos);
    std::tm utc{};
    REQUIRE(strptime(message.c_str() + at + 13, "%a, %d %b %Y %H:%M:%S GMT", &utc) != nullptr);
    not_before = static_cast<std::int64_t>(timegm(&utc)) * 1000;
    CHECK(not_before >= answered[0].time_ms + 1000);
  }
  for (std::size_t i = 1; i < answered.size(); ++i) {
    CHECK(answered[i].time_ms >= not_before);
  }
  CHECK(answered[1].request_id == answered[0].request_id);
  CHECK(e2e::Sequences(cloud, "CONFIG_CHANGE_BLOB_V2") == Expected(1, 20));
  CHECK(host.Terminate());
}

TEST_CASE("Ingestion tokens that expire under load are renewed before any upload fails",
          "[e2e][upload]") {
  // Tokens live 3 s; the host uploads for three times that.
  testing::MockCloudProcess cloud({.token_max_age_seconds = 3});
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), e2e::CloudArgs(cloud, "0.05"));
  REQUIRE(host.Start());
  std::set<std::uint64_t> acked;
  {
    e2e::AckedSender sender(pipes::ExtensionSocketAddress(host.naming(), "ChangeTracking-Linux"),
                            10);
    auto start = std::chrono::steady_clock::now();
    REQUIRE(testing::WaitUntil(
        [&] { return std::chrono::steady_clock::now() - start >= 9s && !sender.Acked().empty(); },
        30s));
    acked = sender.Acked();
  }
  REQUIRE(testing::WaitUntil([&] {
    std::multiset<std::uint64_t> arrived = e2e::Sequences(cloud, "CONFIG_CHANGE_BLOB_V2");
    for (std::uint64_t sequence : acked) {
      if (arrived.count(sequence) != 1) return false;
    }
    return true;
  }));
  std::map<int, int> statuses;
  for (const Answered& answered : UploadRequests(cloud)) ++statuses[answered.status];
  CAPTURE(statuses);
  CHECK(statuses.count(401) == 0);
  CHECK(cloud.Stats()["tokensIssued"].GetUint64() >= 3);
  CHECK(host.Terminate());
}

TEST_CASE(
    "SIGKILL again and again under load from three connections leaves no duplicate and no "
    "missing record",
    "[e2e][upload][restart]") {
  testing::MockCloudProcess cloud;
  testing::TempDir dir;
  // Small batches, sent as soon as possible: many 2xx land just before their removal.
  testing::HostProcess host(
      dir.path(),
      {"--cloud-endpoint", cloud.base_url(), "--ca-file", cloud.ca_file(), "--upload-window",
       "0.01", "--batch-max-records", "50", "--retry-base", "0.05", "--retry-max", "0.5"});
  constexpr int kSenders = 3;
  // By Computer ("kill-<round>-<sender>", each sender counting from 1): what was acknowledged.
  std::map<std::string, std::set<std::uint64_t>> acked;
  std::size_t acked_total = 0;
  // 20 in the suite; scripts/bench --soak runs 100 (AMAHOST_TEST_KILLS).
  const int kills = std::getenv("AMAHOST_TEST_KILLS") != nullptr
                        ? std::max(1, std::atoi(std::getenv("AMAHOST_TEST_KILLS")))
                        : 20;
  for (int kill = 0; kill < kills; ++kill) {
    REQUIRE(host.Start());
    std::vector<std::unique_ptr<e2e::AckedSender>> senders;
    for (int s = 0; s < kSenders; ++s) {
      senders.push_back(std::make_unique<e2e::AckedSender>(
          pipes::ExtensionSocketAddress(host.naming(), "ChangeTracking-Linux"), 10,
          "kill-" + std::to_string(kill) + "-" + std::to_string(s)));
    }
    // Kill once each sender had some records acknowledged and uploads run; a different amount
    // each round, so that the kill lands at different points.
    const std::size_t wanted = 60 + static_cast<std::size_t>(kill % 7) * 30;
    REQUIRE(testing::WaitUntil(
        [&] {
          for (const auto& sender : senders) {
            if (sender->Acked().size() < wanted) return false;
          }
          return true;
        },
        60s));
    host.Kill();
    for (int s = 0; s < kSenders; ++s) {
      std::set<std::uint64_t> sequences = senders[s]->Acked();
      acked_total += sequences.size();
      acked["kill-" + std::to_string(kill) + "-" + std::to_string(s)] = std::move(sequences);
    }
  }
  REQUIRE(host.Start());
  // What mockcloud holds, by Computer, from one read of its items.
  auto arrived_all = [&] {
    std::map<std::string, std::multiset<std::uint64_t>> arrived;
    const rapidjson::Document items = cloud.ItemsDocument("CONFIG_CHANGE_BLOB_V2");
    for (const auto& item : items.GetArray()) {
      if (item.IsObject() && item.HasMember("Sequence") && item["Sequence"].IsUint64() &&
          item.HasMember("Computer") && item["Computer"].IsString()) {
        arrived[item["Computer"].GetString()].insert(item["Sequence"].GetUint64());
      }
    }
    return arrived;
  };
  auto missing_of = [&](const std::map<std::string, std::multiset<std::uint64_t>>& arrived) {
    std::size_t missing = 0;
    for (const auto& [computer, sequences] : acked) {
      auto found = arrived.find(computer);
      for (std::uint64_t sequence : sequences) {
        if (found == arrived.end() || found->second.count(sequence) == 0) ++missing;
      }
    }
    return missing;
  };
  std::map<std::string, std::multiset<std::uint64_t>> arrived;
  const bool all = testing::WaitUntil(
      [&] {
        arrived = arrived_all();
        return missing_of(arrived) == 0;
      },
      120s);
  std::size_t duplicates = 0;
  for (const auto& [computer, sequences] : arrived) {
    for (auto it = sequences.begin(); it != sequences.end(); it = sequences.upper_bound(*it)) {
      duplicates += sequences.count(*it) - 1;
    }
  }
  const std::size_t missing = missing_of(arrived);
  const std::uint64_t recognised = cloud.Stats()["duplicates"].GetUint64();
  // The figure scripts/bench --soak prints.
  std::printf(
      "kill loop: %d SIGKILLs, %d connections each, %zu records acknowledged, %zu missing and "
      "%zu duplicated at mockcloud (%llu duplicate batches recognised by request id)\n",
      kills, kSenders, acked_total, missing, duplicates,
      static_cast<unsigned long long>(recognised));
  CAPTURE(acked_total, recognised);
  CHECK(all);
  CHECK(missing == 0);
  CHECK(duplicates == 0);
  // The journal did its work: batches went again under their ids and mockcloud recognised them.
  // (Any start may be the one that found the journal: every start writes its own log.)
  std::string logs;
  for (const auto& entry : std::filesystem::directory_iterator(host.state_dir())) {
    if (entry.path().filename().string().starts_with("amahost.")) {
      std::ifstream in(entry.path());
      logs.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  CHECK_THAT(logs, Catch::Contains("journaled before a restart"));
  CHECK(host.Terminate());
}

TEST_CASE("The bundled Logs Ingestion example uploads in calls of at most 1 MB that arrive whole",
          "[e2e][upload][gig]") {
  testing::MockCloudProcess cloud;
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), e2e::CloudArgs(cloud, "0.2"));
  REQUIRE(host.Start());
  // About 3 MB of JSON: 6000 records of ~520 bytes, in one batch of the uploader.
  std::string input;
  const std::string padding(480, 'x');
  for (int i = 1; i <= 6000; ++i) {
    input += "{\"Sequence\":" + std::to_string(i) + ",\"Computer\":\"e2e-vm\",\"Message\":\"" +
             padding + "\"}\n";
  }
  auto sent = testing::RunAmactl(With({"send", "--extension", "LogsIngestion-Example", "--stream",
                                       "Custom-AppEvents_CL", "--ack", "--batch", "1000"},
                                      host),
                                 input);
  INFO(sent.err);
  REQUIRE(sent.exit_code == 0);
  REQUIRE(testing::WaitUntil([&] { return cloud.ItemCount("Custom-AppEvents_CL") >= 6000; }, 60s));
  CHECK(e2e::Sequences(cloud, "Custom-AppEvents_CL") == Expected(1, 6000));
  rapidjson::Document requests = cloud.Requests();
  std::size_t calls = 0;
  for (const auto& request : requests["requests"].GetArray()) {
    CHECK(std::string(request["endpoint"].GetString()) == "logs");
    CHECK(request["status"].GetInt() == 204);
    CHECK(request["bytes"].GetUint64() <= 1000000);
    CHECK(request["compressedBytes"].GetUint64() <= 1000000);
    CHECK(std::string(request["headers"]["Content-Encoding"].GetString()) == "gzip");
    CHECK(std::string(request["headers"]["Authorization"].GetString()) == "Bearer <redacted>");
    ++calls;
  }
  CHECK(calls >= 3);
  CHECK(host.Terminate());
}
