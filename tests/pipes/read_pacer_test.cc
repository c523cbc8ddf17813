#include "read_pacer.h"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using pipes::ReadPacer;

TEST_CASE("Reads are paced only while a connection streams small reads", "[pipes][pacer]") {
  ReadPacer pacer(100us);
  const ReadPacer::Clock::time_point t0 = ReadPacer::Clock::now();
  // A small read right after the previous one: the client is streaming, pause.
  CHECK(pacer.ShouldPause(300, t0, t0 + 50us));
  // A large read already carries many messages.
  CHECK_FALSE(pacer.ShouldPause(ReadPacer::kSmallRead, t0, t0 + 50us));
  // A message now and then is read at once.
  CHECK_FALSE(pacer.ShouldPause(300, t0, t0 + ReadPacer::kStreamingWithin));
  CHECK(pacer.ShouldPause(300, t0, t0 + ReadPacer::kStreamingWithin - 1us));
}

TEST_CASE("The io thread pauses at most once per pause's length of work", "[pipes][pacer]") {
  ReadPacer pacer(100us);
  const ReadPacer::Clock::time_point t0 = ReadPacer::Clock::now();
  REQUIRE(pacer.ShouldPause(300, t0, t0 + 10us));
  pacer.Paused(t0 + 110us);
  // Another connection's small read soon after: no second pause yet.
  CHECK_FALSE(pacer.ShouldPause(300, t0 + 100us, t0 + 150us));
  CHECK_FALSE(pacer.ShouldPause(300, t0 + 150us, t0 + 209us));
  // After as much work as the pause lasted, the next one may come.
  CHECK(pacer.ShouldPause(300, t0 + 150us, t0 + 210us));
}

TEST_CASE("A zero pause turns pacing off", "[pipes][pacer]") {
  ReadPacer pacer(0us);
  const ReadPacer::Clock::time_point t0 = ReadPacer::Clock::now();
  CHECK_FALSE(pacer.ShouldPause(1, t0, t0 + 1us));
}
