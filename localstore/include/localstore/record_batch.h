#ifndef AMAHOST_LOCALSTORE_RECORD_BATCH_H_
#define AMAHOST_LOCALSTORE_RECORD_BATCH_H_

#include <cstdint>
#include <optional>
#include <string>

namespace localstore {

// Records for one output stream, as they are stored: one row of the stream's table.
//
// `entries` holds `count` concatenated Fluent Forward entries `[time, record]` in msgpack, exactly
// the payload of a PackedForward message (codec/fluent_entries.h reads them). The sender has
// validated them; the store keeps them as opaque bytes.
// The earliest and latest event time (the `time` of `[time, record]`) among some records, in
// nanoseconds since the Unix epoch.
struct EventTimeRange {
  std::int64_t min_unix_ns = 0;
  std::int64_t max_unix_ns = 0;

  friend bool operator==(const EventTimeRange&, const EventTimeRange&) = default;
};

struct RecordBatch {
  std::string stream_id;  // "<dcr id>:<data source>:<DATATYPE>"
  std::string entries;
  std::uint32_t count = 0;
  // The entries' event-time range, when the sender has read it (pipes has, decoding them). When
  // it is not given the store reads it from the entries itself, if and when retention needs it.
  std::optional<EventTimeRange> event_times{};
  // Whether someone waits for this batch's commit (a client for its ack). A batch no one awaits
  // (its messages asked for no ack) may wait StoreOptions::unawaited_commit_delay for others to
  // share its transaction.
  bool awaited = true;
};

// A row read back from a stream's table.
struct StoredRow {
  std::int64_t row_id = 0;  // increases with commit order within a table
  std::int64_t received_unix_ns = 0;
  std::uint32_t count = 0;
  std::string entries;
  // The row could not be read back (its compressed entries fail their checks): `entries` is
  // empty, and the error was logged. Readers drop such a row.
  bool damaged = false;
};

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_RECORD_BATCH_H_
