// Memory stays bounded whatever clients send and however slow the store is.

#include <catch2/catch.hpp>
#include <thread>

#include "server_harness.h"
#include "support/wait.h"
#include "test_vectors.h"

using namespace pipes_test;
using namespace std::chrono_literals;

TEST_CASE("A stalled store holds memory within the budgets while many clients push",
          "[pipes][limits]") {
  GatedSink sink;
  pipes::ServerOptions options;
  options.max_inflight_bytes_total = 1024 * 1024;
  options.max_message_bytes = 512 * 1024;
  options.max_buffer_bytes_total = 4 * 1024 * 1024;
  Harness harness(sink, MakeRoutes(), options);

  constexpr int kClients = 20;
  constexpr int kMessages = 40;
  const std::string message = ForwardMessage(kChangeStream, 100, {}, 1000);  // ~100 KB
  std::atomic<int> failures{0};
  std::atomic<int> finished{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      std::unique_ptr<pipes::Client> client;
      if (pipes::Client::Connect(harness.ExtensionAddress(), &client)) {
        ++failures;
        return;
      }
      // Blocks while the host does not read: a slow socket, not an error.
      for (int m = 0; m < kMessages; ++m) {
        if (client->SendAll(message)) {
          ++failures;
          return;
        }
      }
      ++finished;
    });
  }
  // The store takes nothing; the host fills its in-flight budget and stops.
  REQUIRE(testing::WaitUntil(
      [&] { return harness.Counters().inflight_bytes >= options.max_inflight_bytes_total; }));
  for (int i = 0; i < 20; ++i) harness.Run([] {});
  auto stalled = harness.Counters();
  CHECK(stalled.inflight_bytes_peak <=
        options.max_inflight_bytes_total + options.max_message_bytes);
  CHECK(stalled.buffer_bytes_peak <= options.max_buffer_bytes_total + kClients * 64 * 1024);
  CHECK(finished == 0);
  CHECK(failures == 0);
  // The store comes back: everything goes through, nothing was dropped.
  REQUIRE(testing::WaitUntil(
      [&] {
        sink.ReleaseAll();
        return harness.Counters().records_committed ==
               static_cast<std::uint64_t>(kClients) * kMessages * 100;
      },
      60s));
  for (std::thread& client : clients) client.join();
  CHECK(failures == 0);
  CHECK(finished == kClients);
  auto done = harness.Counters();
  CHECK(done.inflight_bytes_peak <= options.max_inflight_bytes_total + options.max_message_bytes);
  CHECK(done.malformed == 0);
  CHECK(done.overload == 0);
}

TEST_CASE("A partial message that would pass the buffer budget closes only its connection",
          "[pipes][limits]") {
  GatedSink sink;
  pipes::ServerOptions options;
  options.max_buffer_bytes_total = 256 * 1024;
  options.max_message_bytes = 4 * 1024 * 1024;
  Harness harness(sink, MakeRoutes(), options);
  auto good = Connect(harness.ExtensionAddress());
  auto greedy = Connect(harness.ExtensionAddress());
  // The head of a 1 MiB message and 300 KB of it: the buffer must grow past the budget.
  std::string head = testvectors::FromHex("92 a3 746167 c6 00100000");
  // The host may close while we are still writing.
  std::error_code sent = greedy->SendAll(head + std::string(300 * 1024, 'x'));
  CHECK((!sent || sent == std::errc::broken_pipe || sent == std::errc::connection_reset));
  std::string buffer;
  CHECK(greedy->ReadSome(&buffer, 10s) == std::errc::connection_reset);
  CHECK(harness.Counters().overload == 1);
  CHECK(harness.Counters().buffer_bytes_peak <= options.max_buffer_bytes_total);
  CHECK(harness.logger().Contains("read buffers past"));
  REQUIRE_FALSE(good->SendAll(ForwardMessage(kChangeStream, 1, "fine")));
  REQUIRE(testing::WaitUntil([&] { return sink.Count() == 1; }));
  sink.ReleaseAll();
  CHECK(ReadAckChunk(*good, &buffer) == "fine");
}
