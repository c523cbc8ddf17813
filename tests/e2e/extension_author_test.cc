// What an extension author meets in the first hour, against real hosts: the banner's example
// works for an extension of their own, and a message whose tag names no stream leaves a gap in
// the acks and a line in the log.

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "codec/msgpack_writer.h"
#include "e2e_support.h"
#include "pipes/client.h"
#include "pipes/forward_decoder.h"
#include "pipes/forward_encoder.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace std::chrono_literals;

namespace {

// An extension of one's own with two Logs Ingestion streams and no Change Tracking one.
constexpr char kContosoDcr[] = R"({
  "dataSources": [{
    "id": "ContosoSource", "kind": "extension",
    "configuration": {"extensionName": "Contoso-Linux"},
    "streams": [
      {"stream": "Custom-AppEvents_CL", "solution": "LogManagement",
       "extensionOutputStream": "dcr-c0de0000000000000000000000000001:ContosoSource:Custom-AppEvents_CL"},
      {"stream": "Custom-Inventory_CL", "solution": "LogManagement",
       "extensionOutputStream": "dcr-c0de0000000000000000000000000001:ContosoSource:Custom-Inventory_CL"}
    ],
    "sendToChannels": ["gig-contoso"]
  }],
  "channels": [{
    "id": "gig-contoso", "protocol": "gig",
    "endpointUriTemplate": "https://127.0.0.1:9/dataCollectionRules/dcr-c0de0000000000000000000000000001/streams/<STREAM>?api-version=2023-01-01",
    "tokenEndpointUri": "https://127.0.0.1:9/token"
  }]
})";

// The words after "amactl " on the banner's line that holds `needle`.
std::vector<std::string> BannerCommand(const std::string& log, const std::string& needle) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(needle) == std::string::npos) continue;
    std::istringstream words(line.substr(line.find("amactl ") + 7));
    std::vector<std::string> args;
    for (std::string word; words >> word;) args.push_back(word);
    return args;
  }
  return {};
}

// A Forward message of one record tagged `tag`, asking for an ack with `chunk`.
std::string Message(const std::string& tag, const std::string& chunk) {
  std::string entries;
  codec::MsgpackWriter writer(&entries);
  writer.Array(2);
  codec::WriteEventTime(writer, {1700000000, 0});
  writer.Map(1);
  writer.Str("Computer");
  writer.Str("vm1");
  return pipes::EncodeForwardMessage(tag, entries, 1, pipes::ForwardMode::kForward, chunk);
}

}  // namespace

TEST_CASE("The ready banner's send example uses a stream the extension has, and it works",
          "[e2e][banner]") {
  testing::TempDir dcrs;
  e2e::WriteFile(dcrs / "contoso.json", kContosoDcr);
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), {"--dcr-dir", dcrs.path().string(), "--no-upload"});
  REQUIRE(host.Start());
  REQUIRE(
      testing::WaitUntil([&] { return host.Log().find("  amactl status") != std::string::npos; }));
  const std::string log = host.Log();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("is ready."));
  CHECK_THAT(log, !Catch::Contains("CONFIG_CHANGE_BLOB_V2"));
  const std::vector<std::string> send = BannerCommand(log, "amactl send");
  REQUIRE(send.size() >= 6);
  CHECK(send == std::vector<std::string>{"send", "--extension", "Contoso-Linux", "--stream",
                                         "Custom-AppEvents_CL", "--ack", "--instance",
                                         host.instance()});
  // Pasted as the banner says (its echo's record on stdin), it is acknowledged.
  auto sent = testing::RunAmactl(send, "{\"Computer\":\"vm1\"}\n");
  INFO(sent.err);
  CHECK(sent.exit_code == 0);
  CHECK_THAT(sent.out, Catch::Contains("1 of 1 records acknowledged"));
  CHECK(host.Terminate());
}

TEST_CASE("A message whose tag names no stream gets no ack: the acks have a gap, the log a line",
          "[e2e][acks]") {
  testing::TempDir dir;
  testing::HostProcess host(dir.path(), {"--no-upload"});
  REQUIRE(host.Start());
  std::unique_ptr<pipes::Client> client;
  REQUIRE_FALSE(pipes::Client::Connect(
      pipes::ExtensionSocketAddress(host.naming(), "ChangeTracking-Linux"), &client));
  REQUIRE_FALSE(client->SendAll(
      Message("CONFIG_CHANGE_BLOB_V2", "c0") + Message("CONFIG_CHANGE_BLOB_V3", "c1") +
      Message("CONFIG_CHANGE_BLOB_V2", "c2") + Message("CONFIG_DATA_BLOB_V2", "c3")));
  std::string buffer, reply;
  for (const char* chunk : {"c0", "c2", "c3"}) {
    INFO(chunk);
    REQUIRE_FALSE(client->ReadMsgpack(&buffer, &reply, 10s));
    CHECK(reply == pipes::EncodeAck(chunk));
  }
  // Acks go in message order, so c1's would have come before c2's: it never comes. The
  // connection stays open, and the next reply is c4's ack.
  REQUIRE_FALSE(client->SendAll(Message("CONFIG_CHANGE_BLOB_V2", "c4")));
  REQUIRE_FALSE(client->ReadMsgpack(&buffer, &reply, 10s));
  CHECK(reply == pipes::EncodeAck("c4"));
  REQUIRE(testing::WaitUntil([&] {
    return host.Log().find("Failed to find an output stream for CONFIG_CHANGE_BLOB_V3 (") !=
           std::string::npos;
  }));
  INFO(host.Log());
  CHECK_THAT(host.Log(), Catch::Contains("; 1 records not acknowledged, chunk c1)"));
  CHECK(host.Terminate());
}
