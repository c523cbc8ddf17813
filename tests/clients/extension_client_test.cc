// amahost::ExtensionClient (clients/cpp) against a real amahost process: the configuration, acks
// and their gaps, reconnecting across a restart, and the input it refuses.

#include "amahost/extension_client.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "rapidjson/document.h"
#include "support/host_process.h"
#include "support/temp_dir.h"

namespace {

using amahost::ChunkStatus;

constexpr char kExtension[] = "ChangeTracking-Linux";  // the embedded DCR's
constexpr char kChange[] = "CONFIG_CHANGE_BLOB_V2";
constexpr char kData[] = "CONFIG_DATA_BLOB_V2";
constexpr char kRecord[] = R"({"Computer":"cpp-vm","ConfigChangeType":"Software"})";

// A host on the embedded DCR that uploads nothing.
struct Host {
  testing::TempDir dir;
  testing::HostProcess host{dir.path(), {"--no-upload"}};
  Host() { REQUIRE(host.Start()); }
};

// Designated initialisers that leave members out trip g++ 12's -Wmissing-field-initializers.
amahost::ClientOptions Options(std::string extension, std::string instance = "") {
  amahost::ClientOptions options;
  options.extension = std::move(extension);
  options.instance = std::move(instance);
  return options;
}

std::unique_ptr<amahost::ExtensionClient> MakeClient(
    const testing::HostProcess& host,
    std::chrono::milliseconds ack_timeout = std::chrono::seconds(5)) {
  std::unique_ptr<amahost::ExtensionClient> client;
  REQUIRE_FALSE(amahost::ExtensionClient::Create(
      {.extension = kExtension, .instance = host.instance(), .ack_timeout = ack_timeout}, &client));
  return client;
}

std::vector<ChunkStatus> Statuses(const std::vector<amahost::ChunkResult>& results) {
  std::vector<ChunkStatus> statuses;
  for (const auto& result : results) statuses.push_back(result.status);
  return statuses;
}

}  // namespace

TEST_CASE("ExtensionClient gets the configuration, and Success:false for an unknown extension",
          "[clients]") {
  Host env;
  auto client = MakeClient(env.host);
  amahost::ConfigReply reply;
  REQUIRE_FALSE(client->Config(&reply));
  REQUIRE(reply.success);
  rapidjson::Document tagged;
  tagged.Parse(reply.tagged_data.c_str());
  REQUIRE(tagged.IsObject());
  CHECK(std::string(tagged["extensionName"].GetString()) == kExtension);
  CHECK(tagged["extensionConfigurations"][0]["outputStreams"].HasMember(kChange));

  std::unique_ptr<amahost::ExtensionClient> unknown;
  REQUIRE_FALSE(amahost::ExtensionClient::Create(Options("No-Such-Extension", env.host.instance()),
                                                 &unknown));
  REQUIRE_FALSE(unknown->Config(&reply));
  CHECK_FALSE(reply.success);
  CHECK(reply.description.find("No-Such-Extension") != std::string::npos);
}

TEST_CASE("ExtensionClient: acked chunks, a gap for an unknown tag, a timeout for the last one",
          "[clients]") {
  Host env;
  auto client = MakeClient(env.host, std::chrono::milliseconds(500));
  std::vector<amahost::ChunkResult> results;
  // Nested 7 deep, as deep as the host takes a record.
  const std::string deep = R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":1}}}}}}})";
  std::error_code ec = client->Send({{kChange, {kRecord, deep}},
                                     {"NO_SUCH_STREAM", {kRecord}},
                                     {kData, {kRecord}},
                                     {"NO_SUCH_STREAM", {kRecord}}},
                                    true, &results);
  INFO(client->error_text());
  REQUIRE_FALSE(ec);
  CHECK(Statuses(results) == std::vector<ChunkStatus>{ChunkStatus::kAcked, ChunkStatus::kGap,
                                                      ChunkStatus::kAcked, ChunkStatus::kTimedOut});
  CHECK(results[0].records == 2);
  // The connection still serves the next send.
  REQUIRE_FALSE(client->Send({{kChange, {kRecord}}}, true, &results));
  CHECK(Statuses(results) == std::vector<ChunkStatus>{ChunkStatus::kAcked});
  CHECK(client->reconnects() == 0);
}

TEST_CASE("ExtensionClient reconnects after the host restarts and sends again", "[clients]") {
  Host env;
  auto client = MakeClient(env.host);
  std::vector<amahost::ChunkResult> results;
  REQUIRE_FALSE(client->Send({{kChange, {kRecord}}}, true, &results));
  REQUIRE(results[0].status == ChunkStatus::kAcked);
  REQUIRE(env.host.Terminate());
  REQUIRE(env.host.Start());
  REQUIRE_FALSE(client->Send({{kChange, {kRecord}}, {kData, {kRecord}}}, true, &results));
  CHECK(Statuses(results) == std::vector<ChunkStatus>{ChunkStatus::kAcked, ChunkStatus::kAcked});
  CHECK(client->reconnects() >= 1);
}

TEST_CASE("ExtensionClient refuses bad names and records that are not JSON objects", "[clients]") {
  std::unique_ptr<amahost::ExtensionClient> client;
  CHECK(amahost::ExtensionClient::Create(Options("bad name"), &client) ==
        std::errc::invalid_argument);
  CHECK(amahost::ExtensionClient::Create(Options(kExtension, "a/b"), &client) ==
        std::errc::invalid_argument);
  REQUIRE_FALSE(amahost::ExtensionClient::Create(Options(kExtension), &client));
  std::vector<amahost::ChunkResult> results;
  const std::pair<const char*, const char*> cases[] = {
      {"[1,2]", "not a JSON object"},
      {"{\"a\":", "invalid JSON"},
      {R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{}}}}}}}})", "nested deeper than 7"}};
  for (const auto& [record, why] : cases) {
    CAPTURE(record);
    CHECK(client->Send({{kChange, {record}}}, true, &results) == std::errc::invalid_argument);
    CHECK_THAT(client->error_text(), Catch::Contains(why));
  }
}
