// The sockets beyond the config and extension sockets, who may use them, and what the host
// reports about them.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "pipes/handshake.h"
#include "server_harness.h"
#include "support/wait.h"

using namespace pipes_test;
using namespace std::chrono_literals;

namespace {

// A loopback port nothing listens on right now.
std::uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// Sends a Forward message with a chunk and waits for its ack, releasing the sink.
void SendAndAck(pipes::Client& client, GatedSink& sink, const std::string& tag,
                const std::string& chunk) {
  std::size_t before = sink.Count();
  REQUIRE_FALSE(client.SendAll(ForwardMessage(tag, 2, chunk)));
  REQUIRE(testing::WaitUntil([&] { return sink.Count() == before + 1; }));
  sink.ReleaseAll();
  std::string buffer;
  CHECK(ReadAckChunk(client, &buffer) == chunk);
}

}  // namespace

TEST_CASE("The generic default_fluent.socket takes config requests and full stream ids",
          "[pipes][sockets]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes());
  pipes::SocketNaming naming;
  naming.instance = harness.ConfigAddress().name.substr(0, harness.ConfigAddress().name.find('_'));
  auto address = pipes::GenericSocketAddress(naming);
  CHECK(address.Display() == "@" + naming.instance + "_default_fluent.socket");
  std::string reply;
  REQUIRE_FALSE(pipes::RequestConfig(address, kExtension, &reply, 10s));
  CHECK_THAT(reply, Catch::Contains("\"Success\":true"));
  auto client = Connect(address);
  SendAndAck(*client, sink, kChangeStream, "g1");
  CHECK(sink.Batches().back().stream_id == kChangeStream);
}

TEST_CASE("The loopback TCP fluent port takes the same traffic as the sockets",
          "[pipes][sockets]") {
  GatedSink sink;
  pipes::ServerOptions options;
  options.fluent_port = FreePort();
  Harness harness(sink, MakeRoutes(), options);
  REQUIRE_FALSE(harness.start_error());
  auto addresses = harness.Run([&] { return harness.server().ListeningAddresses(); });
  CHECK(std::find(addresses.begin(), addresses.end(),
                  "127.0.0.1:" + std::to_string(options.fluent_port)) != addresses.end());
  std::unique_ptr<pipes::Client> client;
  REQUIRE_FALSE(pipes::Client::ConnectTcp(options.fluent_port, &client));
  SendAndAck(*client, sink, kDataStream, "t1");
  REQUIRE_FALSE(client->SendAll(pipes::MakeConfigRequestJson(kExtension)));
  std::string buffer;
  CHECK(ReadReply(*client, &buffer)["Success"].GetBool());
  CHECK(harness.logger().Contains("from 127.0.0.1:"));
}

TEST_CASE("Peers outside the uid/gid allow-lists are refused and logged", "[pipes][sockets]") {
  GatedSink sink;
  pipes::ServerOptions refusing;
  refusing.allow_uids = {::getuid() + 1};
  refusing.allow_gids = {::getgid() + 1};
  {
    Harness harness(sink, MakeRoutes(), refusing);
    auto client = Connect(harness.ExtensionAddress());
    std::string buffer;
    CHECK(client->ReadSome(&buffer, 10s) == std::errc::connection_reset);
    CHECK(harness.Counters().connections_refused == 1);
    CHECK(harness.logger().Contains("not on the uid/gid allow-list"));
  }
  for (bool by_uid : {true, false}) {
    pipes::ServerOptions allowing;
    (by_uid ? allowing.allow_uids : allowing.allow_gids) = {by_uid ? ::getuid() : ::getgid()};
    Harness harness(sink, MakeRoutes(), allowing);
    auto client = Connect(harness.ExtensionAddress());
    SendAndAck(*client, sink, kChangeStream, by_uid ? "u" : "g");
    CHECK(harness.Counters().connections_refused == 0);
  }
}

TEST_CASE("Connections past the maximum are refused", "[pipes][sockets]") {
  GatedSink sink;
  pipes::ServerOptions options;
  options.max_connections = 2;
  Harness harness(sink, MakeRoutes(), options);
  auto first = Connect(harness.ExtensionAddress());
  auto second = Connect(harness.ExtensionAddress());
  REQUIRE(testing::WaitUntil([&] { return harness.Counters().connections_open == 2; }));
  auto third = Connect(harness.ExtensionAddress());
  std::string buffer;
  CHECK(third->ReadSome(&buffer, 10s) == std::errc::connection_reset);
  CHECK(harness.Counters().connections_refused == 1);
  SendAndAck(*first, sink, kChangeStream, "still");
}

TEST_CASE("An idle connection is closed, one waiting for its commit is not", "[pipes][sockets]") {
  GatedSink sink;
  pipes::ServerOptions options;
  options.idle_timeout = 200ms;
  Harness harness(sink, MakeRoutes(), options);
  auto waiting = Connect(harness.ExtensionAddress());
  REQUIRE_FALSE(waiting->SendAll(ForwardMessage(kChangeStream, 1, "w")));
  REQUIRE(testing::WaitUntil([&] { return sink.Count() == 1; }));
  auto idle = Connect(harness.ExtensionAddress());
  std::string buffer;
  CHECK(idle->ReadSome(&buffer, 10s) == std::errc::connection_reset);
  CHECK(harness.Counters().connections_idle_closed == 1);
  CHECK(harness.logger().Contains("idle for"));
  // The idle timeout has passed for the waiting one too, but it waits on us, not we on it.
  sink.ReleaseAll();
  CHECK(ReadAckChunk(*waiting, &buffer) == "w");
}

TEST_CASE("AmahostStatus reports sockets, counters and each connection with its peer",
          "[pipes][sockets]") {
  GatedSink sink;
  pipes::ServerOptions options;
  options.host_status = [] { return std::string(R"({"stateDir":"/x"})"); };
  Harness harness(sink, MakeRoutes(), options);
  auto data = Connect(harness.ExtensionAddress());
  SendAndAck(*data, sink, kChangeStream, "s1");
  REQUIRE_FALSE(data->SendAll(ForwardMessage("NO_SUCH_TYPE", 3)));
  auto client = Connect(harness.ConfigAddress());
  REQUIRE_FALSE(client->SendAll(R"({"Request":"AmahostStatus","RequestId":"st"})"));
  std::string buffer;
  REQUIRE(testing::WaitUntil([&] { return harness.Counters().unknown_stream == 3; }));
  rapidjson::Document reply = ReadReply(*client, &buffer);
  CHECK(std::string(reply["Request"].GetString()) == "AmahostStatus");
  CHECK(std::string(reply["RequestId"].GetString()) == "st");
  CHECK(reply["Success"].GetBool());
  const auto& status = reply["Status"];
  // Generic, diagnostics, config and the extension's.
  CHECK(status["sockets"].Size() == 4);
  CHECK(status["diagnostics"]["records"].GetUint() == 0);
  const auto& counters = status["counters"];
  CHECK(counters["recordsReceived"].GetUint() == 5);
  CHECK(counters["recordsCommitted"].GetUint() == 2);
  CHECK(counters["acksSent"].GetUint() == 1);
  CHECK(counters["dropped"]["unknown_stream"].GetUint() == 3);
  CHECK(counters["dropped"]["malformed"].GetUint() == 0);
  // The last refusal, for a status that says whether it is recent.
  CHECK(std::string(counters["lastUnknownStream"]["tag"].GetString()) == "NO_SUCH_TYPE");
  CHECK_THAT(std::string(counters["lastUnknownStream"]["time"].GetString()),
             Catch::Matches(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)"));
  CHECK(harness.Counters().unknown_stream_last_tag == "NO_SUCH_TYPE");
  CHECK(harness.Counters().unknown_stream_last_unix_ns > 0);
  CHECK(std::string(status["host"]["stateDir"].GetString()) == "/x");
  bool found = false;
  for (const auto& connection : status["connections"].GetArray()) {
    if (connection["messages"].GetUint() != 2) continue;
    found = true;
    CHECK(connection["pid"].GetInt64() == ::getpid());
    CHECK(connection["uid"].GetUint() == ::getuid());
    CHECK(connection["recordsCommitted"].GetUint() == 2);
    CHECK(connection["unknownStream"].GetUint() == 3);
    CHECK_THAT(std::string(connection["socket"].GetString()),
               Catch::Contains("ChangeTracking-Linux"));
  }
  CHECK(found);
}

namespace {

// Runs the client side of the handshake on `client`; returns the PONG.
pipes::Pong Handshake(pipes::Client& client, const std::string& key, std::string* buffer) {
  std::string helo_bytes, pong_bytes;
  REQUIRE_FALSE(client.ReadMsgpack(buffer, &helo_bytes, 10s));
  pipes::Helo helo;
  REQUIRE(pipes::DecodeHelo(helo_bytes, &helo));
  CHECK(helo.nonce.size() == 16);
  REQUIRE_FALSE(client.SendAll(pipes::EncodePing("client.example", "salt", helo.nonce, key)));
  REQUIRE_FALSE(client.ReadMsgpack(buffer, &pong_bytes, 10s));
  pipes::Pong pong;
  REQUIRE(pipes::DecodePong(pong_bytes, &pong));
  if (pong.ok) {
    CHECK(pong.digest == pipes::SharedKeyDigest("salt", "server.example", helo.nonce, key));
  }
  return pong;
}

pipes::ServerOptions WithSharedKey() {
  pipes::ServerOptions options;
  options.fluent_port = FreePort();
  options.shared_key = "secret";
  options.self_hostname = "server.example";
  return options;
}

}  // namespace

TEST_CASE("With a shared key the TCP port requires the handshake and then takes records",
          "[pipes][sockets][handshake]") {
  GatedSink sink;
  auto options = WithSharedKey();
  Harness harness(sink, MakeRoutes(), options);
  std::unique_ptr<pipes::Client> client;
  REQUIRE_FALSE(pipes::Client::ConnectTcp(options.fluent_port, &client));
  std::string buffer;
  pipes::Pong pong = Handshake(*client, "secret", &buffer);
  CHECK(pong.ok);
  CHECK(pong.server_hostname == "server.example");
  SendAndAck(*client, sink, kChangeStream, "after-pong");
  CHECK(harness.Counters().handshake_failed == 0);
  CHECK_FALSE(harness.logger().Contains("secret"));
}

TEST_CASE("A wrong shared key gets the failure PONG and the connection closes",
          "[pipes][sockets][handshake]") {
  GatedSink sink;
  auto options = WithSharedKey();
  Harness harness(sink, MakeRoutes(), options);
  std::unique_ptr<pipes::Client> client;
  REQUIRE_FALSE(pipes::Client::ConnectTcp(options.fluent_port, &client));
  std::string buffer;
  pipes::Pong pong = Handshake(*client, "wrong", &buffer);
  CHECK_FALSE(pong.ok);
  CHECK(pong.reason == "shared_key mismatch");
  CHECK(client->ReadSome(&buffer, 10s) == std::errc::connection_reset);
  CHECK(harness.Counters().handshake_failed == 1);
  CHECK(harness.logger().Contains("does not know the shared key"));
}

TEST_CASE("Records sent before the handshake are refused", "[pipes][sockets][handshake]") {
  GatedSink sink;
  auto options = WithSharedKey();
  Harness harness(sink, MakeRoutes(), options);
  std::unique_ptr<pipes::Client> client;
  REQUIRE_FALSE(pipes::Client::ConnectTcp(options.fluent_port, &client));
  std::string buffer, helo, pong_bytes;
  REQUIRE_FALSE(client->ReadMsgpack(&buffer, &helo, 10s));
  REQUIRE_FALSE(client->SendAll(ForwardMessage(kChangeStream, 1, "early")));
  REQUIRE_FALSE(client->ReadMsgpack(&buffer, &pong_bytes, 10s));
  pipes::Pong pong;
  REQUIRE(pipes::DecodePong(pong_bytes, &pong));
  CHECK_FALSE(pong.ok);
  CHECK(pong.reason == "invalid ping message");
  CHECK(client->ReadSome(&buffer, 10s) == std::errc::connection_reset);
  CHECK(sink.Count() == 0);
}

TEST_CASE("The shared key does not apply to the Unix sockets", "[pipes][sockets][handshake]") {
  GatedSink sink;
  Harness harness(sink, MakeRoutes(), WithSharedKey());
  auto client = Connect(harness.ExtensionAddress());
  // No HELO: the first thing this client reads is its ack.
  SendAndAck(*client, sink, kChangeStream, "unix");
}
