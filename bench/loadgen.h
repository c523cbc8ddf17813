#ifndef AMAHOST_BENCH_LOADGEN_H_
#define AMAHOST_BENCH_LOADGEN_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "pipes/forward_decoder.h"
#include "pipes/socket_address.h"

namespace bench {

// What the load generator sends: `records` records of about `record_bytes` bytes each (as
// msgpack maps), spread over `connections` connections, `batch` records per Forward message,
// with up to `window` messages awaiting their ack per connection.
struct LoadOptions {
  pipes::SocketAddress address;
  std::string tag;
  std::uint64_t records = 100000;
  int connections = 1;
  int batch = 1000;
  std::size_t record_bytes = 300;
  pipes::ForwardMode mode = pipes::ForwardMode::kForward;
  bool ack = true;
  int window = 8;
  // Offered load in records per second over all connections; 0 = as fast as the host takes
  // them. Paced per message: a message goes no earlier than its share of the time.
  double rate = 0;
  // Messages gathered into one write (one send system call), as a client with its own buffer
  // does (Node's streams, Fluency); 1 = a write per message, as the fluent-logger libraries do.
  // A write also goes out when the window is full or the records run out.
  int messages_per_write = 1;
};

struct LoadResult {
  std::uint64_t records_sent = 0;
  std::uint64_t records_acked = 0;
  std::uint64_t messages_sent = 0;
  double seconds = 0;  // from the first send to the last ack (or last send without acks)
  // When the first send was allowed (the messages are built before): without acks the caller
  // times the host's commits from here.
  std::chrono::steady_clock::time_point began;
  // With acks: each message's time from its send to its ack, over all connections, in
  // milliseconds (nearest-rank percentiles); 0 without acks.
  double ack_p50_ms = 0;
  double ack_p99_ms = 0;
  std::string error;  // empty on success
};

// Runs the load on `connections` threads and waits for it to finish.
LoadResult RunLoad(const LoadOptions& options);

// One Change Tracking-like record map of about `bytes` bytes, never fewer than ~302 (its fixed
// fields); `sequence` makes it distinct, and its checksum and any filler are random hex.
std::string MakeRecord(std::uint64_t sequence, std::size_t bytes);

}  // namespace bench

#endif  // AMAHOST_BENCH_LOADGEN_H_
