// The durability promise under repeated crashes: the host is killed with SIGKILL again and again
// while several connections send and uploads run, and every record it acknowledged in any round
// reaches the cloud. 20 kills here; `scripts/bench --soak` runs 100 (AMAHOST_KILLS).

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "e2e_support.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace std::chrono_literals;

namespace {

int Kills() {
  const char* text = std::getenv("AMAHOST_KILLS");
  const int kills = text != nullptr ? std::atoi(text) : 20;
  return kills > 0 ? kills : 20;
}

// Sequence numbers at mockcloud by Computer, from one read of its items.
std::map<std::string, std::set<std::uint64_t>> ArrivedByComputer(testing::MockCloudProcess& cloud) {
  std::map<std::string, std::set<std::uint64_t>> arrived;
  const rapidjson::Document items = cloud.ItemsDocument("CONFIG_CHANGE_BLOB_V2");
  if (!items.IsArray()) return arrived;
  for (const auto& item : items.GetArray()) {
    if (item.IsObject() && item.HasMember("Sequence") && item["Sequence"].IsUint64() &&
        item.HasMember("Computer") && item["Computer"].IsString()) {
      arrived[item["Computer"].GetString()].insert(item["Sequence"].GetUint64());
    }
  }
  return arrived;
}

std::size_t Missing(const std::map<std::string, std::set<std::uint64_t>>& acked,
                    const std::map<std::string, std::set<std::uint64_t>>& arrived) {
  std::size_t missing = 0;
  for (const auto& [computer, sequences] : acked) {
    auto found = arrived.find(computer);
    for (std::uint64_t sequence : sequences) {
      if (found == arrived.end() || found->second.count(sequence) == 0) ++missing;
    }
  }
  return missing;
}

}  // namespace

TEST_CASE("Repeated SIGKILLs under load from three connections lose no acknowledged record",
          "[e2e][restart][killloop]") {
  const int kills = Kills();
  testing::MockCloudProcess cloud;
  testing::TempDir dir;
  // Uploads run all the time, so kills land among commits, uploads and deletes.
  testing::HostProcess host(dir.path(), e2e::CloudArgs(cloud, "0.05"));
  std::map<std::string, std::set<std::uint64_t>> acked;  // by Computer: one per round and sender
  std::size_t acked_total = 0;
  for (int round = 0; round < kills; ++round) {
    REQUIRE(host.Start());
    INFO("round " << round << "\n" << host.Log());
    std::vector<std::unique_ptr<e2e::AckedSender>> senders;
    for (int c = 0; c < 3; ++c) {
      senders.push_back(std::make_unique<e2e::AckedSender>(
          pipes::ExtensionSocketAddress(host.naming(), "ChangeTracking-Linux"), 10,
          "kill" + std::to_string(round) + "c" + std::to_string(c)));
    }
    // A different amount each round, so the kill lands at different points.
    const std::size_t wanted = 40 + static_cast<std::size_t>(round % 7) * 30;
    REQUIRE(testing::WaitUntil(
        [&] {
          for (const auto& sender : senders) {
            if (sender->Acked().size() < wanted) return false;
          }
          return true;
        },
        60s));
    host.Kill();
    for (int c = 0; c < 3; ++c) {
      auto sequences = senders[c]->Acked();
      acked_total += sequences.size();
      acked["kill" + std::to_string(round) + "c" + std::to_string(c)] = std::move(sequences);
    }
  }
  REQUIRE(host.Start());
  INFO(host.Log());
  std::map<std::string, std::set<std::uint64_t>> arrived;
  const bool all = testing::WaitUntil(
      [&] {
        arrived = ArrivedByComputer(cloud);
        return Missing(acked, arrived) == 0;
      },
      120s);
  const std::size_t missing = Missing(acked, arrived);
  // The figure `scripts/bench --soak` prints.
  std::printf("kill loop: %d kills, %zu records acknowledged, %zu missing at mockcloud\n", kills,
              acked_total, missing);
  CHECK(all);
  CHECK(missing == 0);
  CHECK(host.Terminate());
}
