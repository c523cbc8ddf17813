#include "codec/fluent_entries.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <limits>
#include <string>

namespace codec {

EventTime EventTimeNow() {
  auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count();
  return EventTime{nanos / 1000000000, static_cast<std::uint32_t>(nanos % 1000000000)};
}

std::int64_t EventTimeToUnixNs(EventTime time) {
  constexpr std::int64_t kNanos = 1000000000;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  if (time.seconds > (kMax - time.nanoseconds) / kNanos) return kMax;
  if (time.seconds < kMin / kNanos) return kMin;
  return time.seconds * kNanos + time.nanoseconds;
}

namespace {

// ReadEventTime once the time's head has been read from the cursor.
bool ReadEventTimeAfterHead(MsgpackCursor& cursor, const MsgpackHead& head, EventTime* time) {
  switch (head.type) {
    case MsgpackType::kUint:
      if (head.uint_value > static_cast<std::uint64_t>(INT64_MAX)) return false;
      *time = EventTime{static_cast<std::int64_t>(head.uint_value), 0};
      return true;
    case MsgpackType::kInt:
      *time = EventTime{head.int_value, 0};
      return true;
    case MsgpackType::kExt: {
      std::string_view payload;
      if (head.ext_type != kEventTimeExtType || head.length != 8) return false;
      if (!cursor.Payload(head, &payload)) return false;
      auto byte = [&](int i) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(payload[i]));
      };
      std::uint32_t seconds = byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
      std::uint32_t nanos = byte(4) << 24 | byte(5) << 16 | byte(6) << 8 | byte(7);
      if (nanos >= 1000000000u) return false;
      *time = EventTime{seconds, nanos};
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

bool ReadEventTime(MsgpackCursor& cursor, EventTime* time) {
  MsgpackHead head;
  if (!cursor.Next(&head)) return false;
  return ReadEventTimeAfterHead(cursor, head, time);
}

void WriteEventTime(MsgpackWriter& writer, EventTime time) {
  char payload[8];
  auto seconds = static_cast<std::uint32_t>(time.seconds);
  for (int i = 0; i < 4; ++i) {
    payload[i] = static_cast<char>(seconds >> (24 - 8 * i));
    payload[4 + i] = static_cast<char>(time.nanoseconds >> (24 - 8 * i));
  }
  writer.Ext(kEventTimeExtType, std::string_view(payload, sizeof(payload)));
}

bool ReadEntryHead(MsgpackCursor& cursor, EventTime* time) {
  std::uint32_t count = 0;
  if (!cursor.ReadArrayHead(&count) || count != 2) return false;
  // Fluent Bit's v2 event format wraps the time with a metadata map. Otherwise the head that
  // tells them apart is the time's, and is not decoded twice: this runs once per record.
  MsgpackCursor peek = cursor;
  MsgpackHead head;
  if (!peek.Next(&head)) return false;
  if (head.type == MsgpackType::kArray) {
    std::uint32_t inner = 0;
    if (!cursor.ReadArrayHead(&inner) || inner != 2) return false;
    if (!ReadEventTime(cursor, time)) return false;
    std::uint32_t metadata_pairs = 0;
    MsgpackCursor metadata = cursor;
    if (!metadata.ReadMapHead(&metadata_pairs)) return false;
    if (!cursor.Skip()) return false;
  } else {
    cursor = peek;
    if (!ReadEventTimeAfterHead(cursor, head, time)) return false;
  }
  MsgpackCursor map_check = cursor;
  MsgpackHead map_head;
  return map_check.Next(&map_head) && map_head.type == MsgpackType::kMap;
}

bool ReadEntry(MsgpackCursor& cursor, EventTime* time, std::string_view* record) {
  return ReadEntryHead(cursor, time) && cursor.TakeWithScalarKeys(record);
}

std::string FormatEventTime(EventTime time) {
  std::time_t seconds = static_cast<std::time_t>(time.seconds);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     time.nanoseconds);
}

}  // namespace codec
