// Retention (--max-age) with real processes: records too old by event time are counted as
// expired and never reach mockcloud; younger ones are uploaded as usual.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "e2e_support.h"
#include "rapidjson/document.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace std::chrono_literals;

namespace {

// `age` before now, as an event time.
codec::EventTime Ago(std::chrono::seconds age) {
  codec::EventTime now = codec::EventTimeNow();
  now.seconds -= age.count();
  return now;
}

std::multiset<std::uint64_t> Range(std::uint64_t first, std::uint64_t last) {
  std::multiset<std::uint64_t> sequences;
  for (std::uint64_t i = first; i <= last; ++i) sequences.insert(i);
  return sequences;
}

// Waits until `host` has uploaded `records` of the CT change stream; returns that stream's status
// (null if it never did), kept alive in *document.
const rapidjson::Value* WaitUploaded(const testing::HostProcess& host, std::uint64_t records,
                                     rapidjson::Document* document) {
  const rapidjson::Value* stream = nullptr;
  testing::WaitUntil([&] {
    *document = e2e::StatusJson(host);
    stream = e2e::FindStream(*document, e2e::kChangeV2);
    return stream != nullptr && (*stream)["recordsUploaded"].GetUint64() == records;
  });
  return stream != nullptr && (*stream)["recordsUploaded"].GetUint64() == records ? stream
                                                                                  : nullptr;
}

}  // namespace

TEST_CASE("Records older than --max-age are acknowledged, counted expired and never uploaded",
          "[e2e][retention]") {
  testing::MockCloudProcess cloud;
  testing::TempDir dir;
  std::vector<std::string> args = e2e::CloudArgs(cloud, "0.1");
  args.insert(args.end(), {"--max-age", "1h"});
  testing::HostProcess host(dir.path(), args);
  REQUIRE(host.Start());
  INFO(host.Log());
  const pipes::SocketAddress socket =
      pipes::ExtensionSocketAddress(host.naming(), "ChangeTracking-Linux");
  // Two hours old: acknowledged all the same. Then fresh ones, and some just inside the limit.
  REQUIRE(e2e::SendAcked(socket, 1, 10, Ago(2h)));
  REQUIRE(e2e::SendAcked(socket, 11, 10, codec::EventTimeNow()));
  REQUIRE(e2e::SendAcked(socket, 21, 5, Ago(50min)));

  rapidjson::Document document;
  const rapidjson::Value* stream = WaitUploaded(host, 15, &document);
  REQUIRE(stream != nullptr);
  CHECK(e2e::Sequences(cloud, "CONFIG_CHANGE_BLOB_V2") == Range(11, 25));
  CHECK((*stream)["expiredRecords"].GetUint64() == 10);
  CHECK((*stream)["backlogRecords"].GetUint64() == 0);
  const auto& retention = document["host"]["store"]["retention"];
  CHECK(std::string(retention["maxAge"].GetString()) == "1h");
  CHECK(retention["maxAgeSeconds"].GetUint64() == 3600);
  CHECK(retention["expiredRecords"].GetUint64() == 10);
  CHECK(retention["lastExpired"].IsString());
  CHECK(document["counters"]["recordsCommitted"].GetUint64() == 25);

  auto text = testing::RunAmactl(e2e::With({"status"}, host));
  CHECK_THAT(text.out, Catch::Contains("quota 0, expired 10\n"));
  CHECK_THAT(text.out,
             Catch::Contains("records older than 1h (event time) are removed: 10 expired"));
  CHECK_THAT(text.out, Catch::Contains("dropped by quota 0, expired 10, retries"));
  // Logged, never silently: at the next sweep, or at the latest when the host stops.
  REQUIRE(host.Terminate());
  CHECK_THAT(host.Log(),
             Catch::Contains("retention: stream " + std::string(e2e::kChangeV2) + ": 10 records"));
  CHECK_THAT(host.Log(), Catch::Contains("older than max-age 1h"));
  CHECK_THAT(host.Log(), Catch::Contains("already that old on arrival"));
}

TEST_CASE("Records kept without --max-age expire when a host starts with it, before any upload",
          "[e2e][retention]") {
  testing::MockCloudProcess cloud;
  testing::TempDir dir;
  {
    testing::HostProcess keeper(dir.path(), {"--no-upload"});
    REQUIRE(keeper.Start());
    const pipes::SocketAddress socket =
        pipes::ExtensionSocketAddress(keeper.naming(), "ChangeTracking-Linux");
    REQUIRE(e2e::SendAcked(socket, 1, 5, Ago(3h)));
    REQUIRE(e2e::SendAcked(socket, 6, 3, Ago(10min)));
    rapidjson::Document document = e2e::StatusJson(keeper);
    const rapidjson::Value* stream = e2e::FindStream(document, e2e::kChangeV2);
    REQUIRE(stream != nullptr);
    CHECK((*stream)["backlogRecords"].GetUint64() == 8);  // no --max-age: all of them stored
    CHECK((*stream)["expiredRecords"].GetUint64() == 0);
    REQUIRE(keeper.Terminate());
  }
  std::vector<std::string> args = e2e::CloudArgs(cloud, "0.1");
  args.insert(args.end(), {"--max-age", "2h"});
  testing::HostProcess host(dir.path(), args);
  REQUIRE(host.Start());
  INFO(host.Log());
  rapidjson::Document document;
  const rapidjson::Value* stream = WaitUploaded(host, 3, &document);
  REQUIRE(stream != nullptr);
  CHECK(e2e::Sequences(cloud, "CONFIG_CHANGE_BLOB_V2") == Range(6, 8));
  CHECK((*stream)["expiredRecords"].GetUint64() == 5);
  CHECK(document["host"]["store"]["retention"]["sweeps"].GetUint64() >= 1);
  // The sweep at start logs at once.
  CHECK_THAT(host.Log(),
             Catch::Contains("retention: stream " + std::string(e2e::kChangeV2) + ": 5 records"));
  CHECK(host.Terminate());
}
