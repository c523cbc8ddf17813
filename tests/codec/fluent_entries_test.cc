#include "codec/fluent_entries.h"

#include <catch2/catch.hpp>
#include <limits>
#include <vector>

#include "support/bytes.h"

using testing::Bytes;

TEST_CASE("ReadEventTime accepts integers and both EventTime encodings", "[codec][fluent]") {
  struct Case {
    std::string bytes;
    codec::EventTime expected;
  };
  const Case cases[] = {
      {Bytes({0xce, 0x65, 0x5b, 0x2a, 0x00}), {0x655b2a00, 0}},
      {Bytes({0x05}), {5, 0}},
      // fixext 8, type 0: seconds 0x655b2a00, nanoseconds 0x075bcd15 (123456789)
      {Bytes({0xd7, 0x00, 0x65, 0x5b, 0x2a, 0x00, 0x07, 0x5b, 0xcd, 0x15}),
       {0x655b2a00, 123456789}},
      // ext 8 with length 8, type 0 (what some clients send)
      {Bytes({0xc7, 0x08, 0x00, 0x65, 0x5b, 0x2a, 0x00, 0x00, 0x00, 0x00, 0x01}), {0x655b2a00, 1}},
  };
  for (const Case& c : cases) {
    codec::MsgpackCursor cursor(c.bytes);
    codec::EventTime time;
    REQUIRE(codec::ReadEventTime(cursor, &time));
    CHECK(time == c.expected);
    CHECK(cursor.AtEnd());
  }
}

TEST_CASE("ReadEventTime refuses other ext types, lengths and nanoseconds", "[codec][fluent]") {
  const std::string bad[] = {
      Bytes({0xd7, 0x01, 0, 0, 0, 1, 0, 0, 0, 0}),              // ext type 1
      Bytes({0xd6, 0x00, 0, 0, 0, 1}),                          // 4 bytes
      Bytes({0xd7, 0x00, 0, 0, 0, 1, 0x3b, 0x9a, 0xca, 0x00}),  // 1e9 ns
      Bytes({0xa1, 'x'}),                                       // a string
  };
  for (const std::string& bytes : bad) {
    codec::MsgpackCursor cursor(bytes);
    codec::EventTime time;
    CHECK_FALSE(codec::ReadEventTime(cursor, &time));
  }
}

TEST_CASE("WriteEventTime writes fixext 8 type 0", "[codec][fluent]") {
  std::string out;
  codec::MsgpackWriter writer(&out);
  codec::WriteEventTime(writer, {0x655b2a00, 123456789});
  CHECK(out == Bytes({0xd7, 0x00, 0x65, 0x5b, 0x2a, 0x00, 0x07, 0x5b, 0xcd, 0x15}));
}

TEST_CASE("ForEachEntry walks packed entries, including Fluent Bit's metadata form",
          "[codec][fluent]") {
  std::string entries;
  codec::MsgpackWriter writer(&entries);
  writer.Array(2);
  writer.Uint(10);
  writer.Map(1);
  writer.Str("a");
  writer.Str("1");
  writer.Array(2);
  writer.Array(2);
  codec::WriteEventTime(writer, {11, 5});
  writer.Map(0);
  writer.Map(1);
  writer.Str("b");
  writer.Int(-2);
  std::vector<codec::EventTime> times;
  std::vector<std::string> records;
  REQUIRE(codec::ForEachEntry(entries, [&](const codec::EventTime& time, std::string_view record) {
    times.push_back(time);
    records.emplace_back(record);
    return true;
  }));
  REQUIRE(times.size() == 2);
  CHECK(times[0] == codec::EventTime{10, 0});
  CHECK(times[1] == codec::EventTime{11, 5});
  CHECK(records[0] == Bytes({0x81, 0xa1, 'a', 0xa1, '1'}));
  CHECK(records[1] == Bytes({0x81, 0xa1, 'b', 0xfe}));
}

TEST_CASE("ForEachEntry reports malformed entries", "[codec][fluent]") {
  const std::string bad[] = {
      Bytes({0x93, 0x01, 0x80, 0x80}),  // three elements
      Bytes({0x92, 0x01, 0x90}),        // record is not a map
      Bytes({0x92, 0xa1, 'x', 0x80}),   // time is a string
      Bytes({0x92, 0x01}),              // truncated
  };
  for (const std::string& entries : bad) {
    CHECK_FALSE(codec::ForEachEntry(
        entries, [](const codec::EventTime&, std::string_view) { return true; }));
  }
}

TEST_CASE("FormatEventTime writes RFC 3339 with nanoseconds", "[codec][fluent]") {
  CHECK(codec::FormatEventTime({0, 0}) == "1970-01-01T00:00:00.000000000Z");
  CHECK(codec::FormatEventTime({1700000000, 123456789}) == "2023-11-14T22:13:20.123456789Z");
}

TEST_CASE("EventTimeToUnixNs gives nanoseconds, saturated at the int64 range", "[codec][fluent]") {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  CHECK(codec::EventTimeToUnixNs({0, 0}) == 0);
  CHECK(codec::EventTimeToUnixNs({1700000000, 123456789}) == 1700000000123456789);
  CHECK(codec::EventTimeToUnixNs({-1, 0}) == -1000000000);
  // The largest time that fits, and one nanosecond past it.
  CHECK(codec::EventTimeToUnixNs({9223372036, 854775807}) == kMax);
  CHECK(codec::EventTimeToUnixNs({9223372036, 854775808}) == kMax);
  CHECK(codec::EventTimeToUnixNs({kMax, 0}) == kMax);
  CHECK(codec::EventTimeToUnixNs({kMin, 0}) == kMin);
  CHECK(codec::EventTimeToUnixNs({-9223372036, 0}) == -9223372036000000000);
}
