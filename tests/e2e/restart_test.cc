// The durability promise: a record the host has acknowledged is never lost, whatever kills it.

#include <catch2/catch.hpp>

#include "e2e_support.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace std::chrono_literals;

TEST_CASE("Records acked before a SIGKILL are uploaded after the restart with none missing",
          "[e2e][restart]") {
  testing::MockCloudProcess cloud;
  testing::TempDir dir;
  // An hour-long window: nothing is uploaded before the kill.
  testing::HostProcess host(dir.path(), e2e::CloudArgs(cloud, "3600"));
  REQUIRE(host.Start());
  std::string input;
  for (int i = 1; i <= 1000; ++i) input += e2e::RecordJson(i) + "\n";
  std::vector<std::string> args = {"send",  "--stream", "CONFIG_CHANGE_BLOB_V2",
                                   "--ack", "--batch",  "50"};
  for (const std::string& arg : host.AmactlArgs()) args.push_back(arg);
  auto sent = testing::RunAmactl(args, input);
  INFO(sent.err);
  REQUIRE(sent.exit_code == 0);
  CHECK_THAT(sent.out, Catch::Contains("1000 of 1000 records acknowledged"));

  host.Kill();
  CHECK(cloud.ItemCount() == 0);

  REQUIRE(host.Start());
  INFO(host.Log());
  REQUIRE(
      testing::WaitUntil([&] { return cloud.ItemCount("CONFIG_CHANGE_BLOB_V2") >= 1000; }, 60s));
  std::multiset<std::uint64_t> expected;
  for (std::uint64_t i = 1; i <= 1000; ++i) expected.insert(i);
  CHECK(e2e::Sequences(cloud, "CONFIG_CHANGE_BLOB_V2") == expected);
  CHECK(host.Terminate());
}

TEST_CASE("A SIGKILL in the middle of a stream loses no acknowledged record", "[e2e][restart]") {
  testing::MockCloudProcess cloud;
  testing::TempDir dir;
  // Uploads run while records arrive, so the kill lands among commits, uploads and deletes.
  testing::HostProcess host(dir.path(), e2e::CloudArgs(cloud, "0.05"));
  REQUIRE(host.Start());
  std::set<std::uint64_t> acked;
  {
    e2e::AckedSender sender(pipes::ExtensionSocketAddress(host.naming(), "ChangeTracking-Linux"),
                            25);
    REQUIRE(testing::WaitUntil([&] { return sender.Acked().size() >= 3000; }, 60s));
    host.Kill();
    acked = sender.Acked();
  }
  REQUIRE(host.Start());
  INFO(host.Log());
  CAPTURE(acked.size());
  CHECK(e2e::MissingAfterWait(cloud, acked, 60s) == 0);
  CHECK(host.Terminate());
}
