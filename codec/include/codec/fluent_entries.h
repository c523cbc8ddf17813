#ifndef AMAHOST_CODEC_FLUENT_ENTRIES_H_
#define AMAHOST_CODEC_FLUENT_ENTRIES_H_

#include <cstdint>
#include <string_view>

#include "codec/msgpack_reader.h"
#include "codec/msgpack_writer.h"

namespace codec {

// Fluent Forward entries: `[time, record]`, where time is an integer (seconds) or an EventTime
// (ext type 0, 8 bytes: big-endian u32 seconds, u32 nanoseconds; fixext 8 or ext 8) and record is
// a map. Fluent Bit ≥ 2.1 may send `[[time, metadata], record]`; the metadata map is accepted and
// ignored. A record's map keys, at every depth, may be anything but arrays and maps (so that every
// record has a JSON form of bounded size). Stored batches (localstore) are runs of such entries,
// exactly as in PackedForward mode.

struct EventTime {
  std::int64_t seconds = 0;
  std::uint32_t nanoseconds = 0;

  friend bool operator==(const EventTime&, const EventTime&) = default;
};

inline constexpr std::int8_t kEventTimeExtType = 0;

// The current wall-clock time.
EventTime EventTimeNow();

// `time` as nanoseconds since the Unix epoch, saturated at the int64 range (an integer time may
// be any int64 of seconds; past the year 2262 it no longer fits).
std::int64_t EventTimeToUnixNs(EventTime time);

// Reads a time value (integer or EventTime) at the cursor.
bool ReadEventTime(MsgpackCursor& cursor, EventTime* time);
// Writes `time` as an EventTime ext (fixext 8, type 0).
void WriteEventTime(MsgpackWriter& writer, EventTime time);

// Reads one entry at the cursor: its time and the encoded bytes of its record map.
bool ReadEntry(MsgpackCursor& cursor, EventTime* time, std::string_view* record);

// Reads an entry up to its record and leaves the cursor there, having checked only that the
// record is a map: for a reader that walks the record itself next (and so checks it), such as
// the upload's JSON conversion, which would otherwise walk every record twice.
bool ReadEntryHead(MsgpackCursor& cursor, EventTime* time);

// Calls fn(time, record_bytes) for each entry in `entries`, stopping early if fn returns false.
// Returns false if `entries` is malformed (fn may have been called for the entries before).
template <typename Fn>
bool ForEachEntry(std::string_view entries, Fn&& fn) {
  MsgpackCursor cursor(entries);
  while (!cursor.AtEnd()) {
    EventTime time;
    std::string_view record;
    if (!ReadEntry(cursor, &time, &record)) return false;
    if (!fn(time, record)) return true;
  }
  return true;
}

// Formats as RFC 3339 UTC with nanoseconds: "2026-11-22T10:15:42.123456789Z".
std::string FormatEventTime(EventTime time);

}  // namespace codec

#endif  // AMAHOST_CODEC_FLUENT_ENTRIES_H_
