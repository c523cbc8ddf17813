#include "loadgen.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "codec/fluent_entries.h"
#include "codec/msgpack_writer.h"
#include "pipes/client.h"
#include "pipes/forward_encoder.h"

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

// A message ready to send. With acks its chunk id sits at chunk_offset, and a fresh id of the
// same length replaces it before every send.
struct Message {
  std::string bytes;
  std::size_t chunk_offset = std::string::npos;
  std::uint32_t records = 0;
};

// What one connection sends: `count` messages taken in turn from `pool`, then `tail` when the
// records do not divide into whole messages. Built before the clock starts, so that the
// measurement is of the host, not of the encoder. The pool is bounded, like a real client's
// buffers: gigabytes of distinct messages would make the client's copies into its socket, which
// run on the same two cores as the host, cost several times more than the host's own work.
struct Plan {
  std::vector<Message> pool;
  std::uint64_t count = 0;
  std::optional<Message> tail;
};

// All connections' pools together hold about this much, and each at least two windows.
constexpr std::size_t kPoolBytes = 32 * 1024 * 1024;

Message BuildMessage(const LoadOptions& options, std::uint64_t first, std::uint64_t n,
                     codec::EventTime now) {
  std::string entries;
  codec::MsgpackWriter writer(&entries);
  for (std::uint64_t i = 0; i < n; ++i) {
    writer.Array(2);
    codec::WriteEventTime(writer, now);
    writer.Raw(MakeRecord(first + i, options.record_bytes));
  }
  std::string chunk = options.ack ? pipes::NewChunkId() : std::string();
  Message message{pipes::EncodeForwardMessage(options.tag, entries, static_cast<std::uint32_t>(n),
                                              options.mode, chunk),
                  std::string::npos, static_cast<std::uint32_t>(n)};
  // The options map comes last, and a random id appears nowhere else.
  if (!chunk.empty()) message.chunk_offset = message.bytes.rfind(chunk);
  return message;
}

Plan BuildPlan(const LoadOptions& options, int connections, std::uint64_t first,
               std::uint64_t records) {
  Plan plan;
  const codec::EventTime now = codec::EventTimeNow();
  const std::uint64_t per_message =
      options.mode == pipes::ForwardMode::kMessage ? 1 : static_cast<std::uint64_t>(options.batch);
  plan.count = records / per_message;
  const std::uint64_t remainder = records % per_message;
  if (plan.count > 0) {
    Message sample = BuildMessage(options, first, per_message, now);
    const std::size_t budget = kPoolBytes / static_cast<std::size_t>(connections);
    const std::uint64_t size = std::min<std::uint64_t>(
        plan.count, std::max<std::uint64_t>(budget / sample.bytes.size(),
                                            2 * static_cast<std::uint64_t>(options.window)));
    plan.pool.push_back(std::move(sample));
    for (std::uint64_t i = 1; i < size; ++i) {
      plan.pool.push_back(BuildMessage(options, first + i * per_message, per_message, now));
    }
  }
  if (remainder > 0) {
    plan.tail = BuildMessage(options, first + plan.count * per_message, remainder, now);
  }
  return plan;
}

struct ConnectionResult {
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  std::uint64_t messages = 0;
  std::vector<Clock::duration> ack_latencies;  // one per message acked, in ack order
  Clock::time_point finished;
  std::string error;
};

// The nearest-rank `fraction` percentile of `sorted`, in milliseconds; 0 when it is empty.
double PercentileMs(const std::vector<Clock::duration>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  const auto rank =
      static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
  const Clock::duration value = sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
  return std::chrono::duration<double, std::milli>(value).count();
}

void RunConnection(const LoadOptions& options, Plan* plan, std::barrier<>* start,
                   ConnectionResult* result, Clock::time_point* began) {
  std::unique_ptr<pipes::Client> client;
  std::error_code connect_error = pipes::Client::Connect(options.address, &client);
  start->arrive_and_wait();
  if (connect_error) {
    result->error =
        fmt::format("connect to {}: {}", options.address.Display(), connect_error.message());
    return;
  }
  struct InFlight {
    std::string chunk;
    std::uint32_t records;
    Clock::time_point sent;  // after its last byte was written
  };
  if (options.ack) result->ack_latencies.reserve(plan->count + 1);
  std::deque<InFlight> in_flight;
  std::string buffer, reply;
  // One write of `bytes`, the last `messages` messages sent; with acks, their latency starts
  // when it is done.
  const auto write = [&](std::string_view bytes, std::size_t messages) -> bool {
    if (std::error_code ec = client->SendAll(bytes)) {
      result->error = "send: " + ec.message();
      return false;
    }
    const Clock::time_point written = Clock::now();
    for (std::size_t i = in_flight.size() - (options.ack ? messages : 0); i < in_flight.size();
         ++i) {
      in_flight[i].sent = written;
    }
    return true;
  };
  // Messages gathered for one write.
  std::string pending;
  std::size_t pending_messages = 0;
  const auto write_pending = [&]() -> bool {
    if (pending.empty()) return true;
    if (!write(pending, pending_messages)) return false;
    pending.clear();
    pending_messages = 0;
    return true;
  };
  const std::size_t per_write = static_cast<std::size_t>(std::max(1, options.messages_per_write));
  const std::uint64_t total = plan->count + (plan->tail ? 1 : 0);
  std::uint64_t next = 0;
  while (next < total || !in_flight.empty()) {
    while (next < total &&
           (!options.ack || in_flight.size() < static_cast<std::size_t>(options.window))) {
      Message& message = next < plan->count ? plan->pool[next % plan->pool.size()] : *plan->tail;
      ++next;
      if (options.rate > 0) {
        // What is gathered goes before a pause.
        if (!write_pending()) return;
        // This connection's share of the offered rate: its records so far are due by then.
        const double per_connection = options.rate / std::max(1, options.connections);
        std::this_thread::sleep_until(
            *began + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                         static_cast<double>(result->sent) / per_connection)));
      }
      std::string chunk;
      if (options.ack) {
        chunk = pipes::NewChunkId();
        if (message.chunk_offset == std::string::npos ||
            message.chunk_offset + chunk.size() > message.bytes.size()) {
          result->error = "a message without room for its chunk id";
          return;
        }
        message.bytes.replace(message.chunk_offset, chunk.size(), chunk);
      }
      result->sent += message.records;
      result->messages += 1;
      if (options.ack) in_flight.push_back(InFlight{std::move(chunk), message.records, {}});
      if (per_write == 1) {
        // No copy: the message's own bytes go out.
        if (!write(message.bytes, 1)) return;
        continue;
      }
      pending += message.bytes;
      if (++pending_messages == per_write && !write_pending()) return;
    }
    if (!write_pending()) return;
    if (in_flight.empty()) break;
    if (std::error_code ec = client->ReadMsgpack(&buffer, &reply, std::chrono::seconds(120))) {
      result->error = "waiting for an ack: " + ec.message();
      return;
    }
    // Acks arrive in message order on a connection.
    const InFlight& front = in_flight.front();
    codec::MsgpackCursor cursor(reply);
    std::uint32_t pairs = 0;
    std::string_view key, chunk;
    if (!cursor.ReadMapHead(&pairs) || pairs != 1 || !cursor.ReadStr(&key) || key != "ack" ||
        !cursor.ReadStr(&chunk) || chunk != front.chunk) {
      result->error = "the host answered something other than the next message's ack";
      return;
    }
    result->ack_latencies.push_back(Clock::now() - front.sent);
    result->acked += front.records;
    in_flight.pop_front();
  }
  result->finished = Clock::now();
}

}  // namespace

std::string MakeRecord(std::uint64_t sequence, std::size_t bytes) {
  // Shaped like a Change Tracking file change: the same keys and many of the same values in every
  // record (which is why the host's compressed tables are small), and a checksum that differs
  // in every record and does not compress. Filler, when asked for, is pseudo-random hex too, so
  // that a larger --record-bytes does not flatter the host's compression.
  std::uint64_t state = sequence * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
  auto random_hex = [&state](std::size_t size) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex(size, '0');
    for (std::size_t i = 0; i < size; ++i) {
      // xorshift64*: cheap, and enough to defeat a compressor's matching.
      state ^= state >> 12;
      state ^= state << 25;
      state ^= state >> 27;
      hex[i] = kDigits[(state * 0x2545F4914F6CDD1Dull) >> 60];
    }
    return hex;
  };
  std::string record;
  codec::MsgpackWriter writer(&record);
  const std::string checksum = random_hex(64);
  const std::string path = fmt::format("/etc/amahost/bench/file-{:012}.conf", sequence);
  const std::string modified =
      fmt::format("2026-12-01T14:{:02}:{:02}.{:03}Z", sequence / 60000 % 60, sequence / 1000 % 60,
                  sequence % 1000);
  // The fields below take about 302 bytes of msgpack; filler brings a record up to `bytes`.
  constexpr std::size_t kBase = 302;
  const bool filler = bytes > kBase + 16;
  writer.Map(filler ? 10 : 9);
  writer.Str("Computer");
  writer.Str("bench-vm-01.contoso.internal");
  writer.Str("ConfigChangeType");
  writer.Str("Files");
  writer.Str("ChangeCategory");
  writer.Str(sequence % 3 == 0 ? "Added" : "Modified");
  writer.Str("FileSystemPath");
  writer.Str(path);
  writer.Str("Sequence");
  writer.Uint(sequence);
  writer.Str("FileContentChecksum");
  writer.Str(checksum);
  writer.Str("Size");
  writer.Uint(state % 100000);
  writer.Str("DateModified");
  writer.Str(modified);
  writer.Str("Owner");
  writer.Str("root");
  if (filler) {
    writer.Str("Details");
    std::size_t used = record.size() + 3;  // the str head of the filler
    writer.Str(random_hex(bytes > used ? bytes - used : 1));
  }
  return record;
}

LoadResult RunLoad(const LoadOptions& options) {
  int connections = std::max(1, options.connections);
  std::vector<Plan> plans(static_cast<std::size_t>(connections));
  std::uint64_t per_connection = options.records / static_cast<std::uint64_t>(connections);
  std::uint64_t first = 0;
  for (int i = 0; i < connections; ++i) {
    std::uint64_t count =
        per_connection + (i == connections - 1 ? options.records % connections : 0);
    plans[static_cast<std::size_t>(i)] = BuildPlan(options, connections, first, count);
    first += count;
  }
  std::vector<ConnectionResult> results(static_cast<std::size_t>(connections));
  std::barrier start(connections + 1);
  std::vector<std::thread> threads;
  Clock::time_point began;
  for (int i = 0; i < connections; ++i) {
    threads.emplace_back(RunConnection, std::cref(options), &plans[static_cast<std::size_t>(i)],
                         &start, &results[static_cast<std::size_t>(i)], &began);
  }
  // Set before the barrier, read by the connections after it.
  began = Clock::now();
  start.arrive_and_wait();
  for (std::thread& thread : threads) thread.join();
  LoadResult total;
  total.began = began;
  Clock::time_point last = began;
  std::vector<Clock::duration> latencies;
  for (const ConnectionResult& result : results) {
    total.records_sent += result.sent;
    total.records_acked += result.acked;
    total.messages_sent += result.messages;
    if (!result.error.empty() && total.error.empty()) total.error = result.error;
    last = std::max(last, result.finished);
    latencies.insert(latencies.end(), result.ack_latencies.begin(), result.ack_latencies.end());
  }
  total.seconds = std::chrono::duration<double>(last - began).count();
  std::sort(latencies.begin(), latencies.end());
  total.ack_p50_ms = PercentileMs(latencies, 0.50);
  total.ack_p99_ms = PercentileMs(latencies, 0.99);
  return total;
}

}  // namespace bench
