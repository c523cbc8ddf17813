#include "loadgen.h"

#include <fmt/format.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "codec/fluent_entries.h"
#include "codec/msgpack_writer.h"
#include "pipes/client.h"
#include "pipes/forward_encoder.h"

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

// A message with its chunk, ready to send.
struct Message {
  std::string bytes;
  std::string chunk;
  std::uint32_t records;
};

// The messages one connection sends, built before the clock starts so that the measurement is of
// the host, not of the encoder.
std::vector<Message> BuildMessages(const LoadOptions& options, std::uint64_t first,
                                   std::uint64_t count) {
  std::vector<Message> messages;
  codec::EventTime now = codec::EventTimeNow();
  std::uint64_t per_message =
      options.mode == pipes::ForwardMode::kMessage ? 1 : static_cast<std::uint64_t>(options.batch);
  for (std::uint64_t done = 0; done < count;) {
    std::uint64_t n = std::min(per_message, count - done);
    std::string entries;
    codec::MsgpackWriter writer(&entries);
    for (std::uint64_t i = 0; i < n; ++i) {
      writer.Array(2);
      codec::WriteEventTime(writer, now);
      writer.Raw(MakeRecord(first + done + i, options.record_bytes));
    }
    std::string chunk = options.ack ? pipes::NewChunkId() : std::string();
    messages.push_back(
        Message{pipes::EncodeForwardMessage(options.tag, entries, static_cast<std::uint32_t>(n),
                                            options.mode, chunk),
                chunk, static_cast<std::uint32_t>(n)});
    done += n;
  }
  return messages;
}

struct ConnectionResult {
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  Clock::time_point finished;
  std::string error;
};

void RunConnection(const LoadOptions& options, std::vector<Message>* messages,
                   std::barrier<>* start, ConnectionResult* result) {
  std::unique_ptr<pipes::Client> client;
  std::error_code connect_error = pipes::Client::Connect(options.address, &client);
  start->arrive_and_wait();
  if (connect_error) {
    result->error =
        fmt::format("connect to {}: {}", options.address.Display(), connect_error.message());
    return;
  }
  std::deque<const Message*> in_flight;
  std::string buffer, reply;
  std::size_t next = 0;
  while (next < messages->size() || !in_flight.empty()) {
    while (next < messages->size() &&
           (!options.ack || in_flight.size() < static_cast<std::size_t>(options.window))) {
      const Message& message = (*messages)[next++];
      if (std::error_code ec = client->SendAll(message.bytes)) {
        result->error = "send: " + ec.message();
        return;
      }
      result->sent += message.records;
      if (options.ack) in_flight.push_back(&message);
    }
    if (in_flight.empty()) break;
    if (std::error_code ec = client->ReadMsgpack(&buffer, &reply, std::chrono::seconds(120))) {
      result->error = "waiting for an ack: " + ec.message();
      return;
    }
    // Acks arrive in message order on a connection.
    const Message* front = in_flight.front();
    codec::MsgpackCursor cursor(reply);
    std::uint32_t pairs = 0;
    std::string_view key, chunk;
    if (!cursor.ReadMapHead(&pairs) || pairs != 1 || !cursor.ReadStr(&key) || key != "ack" ||
        !cursor.ReadStr(&chunk) || chunk != front->chunk) {
      result->error = "the host answered something other than the next message's ack";
      return;
    }
    result->acked += front->records;
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
  std::vector<std::vector<Message>> messages(static_cast<std::size_t>(connections));
  std::uint64_t per_connection = options.records / static_cast<std::uint64_t>(connections);
  std::uint64_t first = 0;
  for (int i = 0; i < connections; ++i) {
    std::uint64_t count =
        per_connection + (i == connections - 1 ? options.records % connections : 0);
    messages[static_cast<std::size_t>(i)] = BuildMessages(options, first, count);
    first += count;
  }
  std::vector<ConnectionResult> results(static_cast<std::size_t>(connections));
  std::barrier start(connections + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < connections; ++i) {
    threads.emplace_back(RunConnection, std::cref(options), &messages[static_cast<std::size_t>(i)],
                         &start, &results[static_cast<std::size_t>(i)]);
  }
  start.arrive_and_wait();
  Clock::time_point began = Clock::now();
  for (std::thread& thread : threads) thread.join();
  LoadResult total;
  Clock::time_point last = began;
  for (const ConnectionResult& result : results) {
    total.records_sent += result.sent;
    total.records_acked += result.acked;
    if (!result.error.empty() && total.error.empty()) total.error = result.error;
    last = std::max(last, result.finished);
  }
  total.seconds = std::chrono::duration<double>(last - began).count();
  return total;
}

}  // namespace bench
