#include "shared_state.h"

#include <asio.hpp>
#include <thread>

#include "codec/fluent_entries.h"
#include "codec/msgpack_json.h"
#include "connection.h"

namespace pipes {
namespace {

// `text` cut to at most `limit` bytes on a UTF-8 character boundary, with "…" when cut.
std::string CutText(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text + "…";
}

}  // namespace

std::uint64_t SharedState::Register(Connection* connection) {
  connections_.insert(connection);
  counters_.connections_open = connections_.size();
  return next_connection_id_++;
}

void SharedState::Unregister(Connection* connection) {
  connections_.erase(connection);
  waiting_for_budget_.erase(connection);
  counters_.connections_open = connections_.size();
  if (stopping_ && connections_.empty() && on_all_closed_) {
    auto done = std::move(on_all_closed_);
    on_all_closed_ = nullptr;
    done();
  }
}

bool SharedState::Stop(std::function<void()> all_closed) {
  stopping_ = true;
  if (connections_.empty()) {
    all_closed();
    return false;
  }
  on_all_closed_ = std::move(all_closed);
  return true;
}

void SharedState::NoteUnknownStream(std::string_view tag, std::uint64_t records) {
  counters_.unknown_stream += records;
  counters_.unknown_stream_last_unix_ns = codec::EventTimeToUnixNs(codec::EventTimeNow());
  counters_.unknown_stream_last_tag.assign(tag);
}

void SharedState::NoteDiagnostics(std::string_view tag, std::string_view entries,
                                  std::uint32_t count, std::string_view peer) {
  auto it = diagnostics_sources_.find(tag);
  if (it == diagnostics_sources_.end()) {
    // A tag names a reporter; a long one (the decoder allows megabytes) is not kept.
    const bool room = diagnostics_sources_.size() < kMaxDiagnosticsSources && tag.size() <= 128;
    it = diagnostics_sources_.try_emplace(room ? std::string(tag) : "(other)").first;
  }
  DiagnosticsSource& source = it->second;
  source.records += count;
  counters_.diagnostics_records += count;
  source.last_unix_ns = codec::EventTimeToUnixNs(codec::EventTimeNow());
  std::string_view last;
  // The entries were validated by the decoder; a failure here leaves the last record as it was.
  codec::ForEachEntry(entries, [&last](codec::EventTime, std::string_view record) {
    last = record;
    return true;
  });
  if (last.empty()) return;
  std::string json;
  codec::MsgpackCursor cursor(last);
  if (!codec::AppendMsgpackAsJson(cursor, &json)) return;
  source.last_record = CutText(std::move(json), kMaxDiagnosticsText);
  RepeatedWarning(fmt::format("diagnostics:{}", it->first), "diagnostics from {} ({}, {}): {}",
                  it->first, count == 1 ? "1 record" : fmt::format("{} records", count), peer,
                  source.last_record);
}

void SharedState::AddInflight(std::size_t bytes) {
  counters_.inflight_bytes += bytes;
  counters_.inflight_bytes_peak = std::max(counters_.inflight_bytes_peak, counters_.inflight_bytes);
}

void SharedState::RemoveInflight(std::size_t bytes) {
  counters_.inflight_bytes -= bytes;
  if (InflightOverTotal() || waiting_for_budget_.empty()) return;
  // Posted, not called: the caller is in the middle of its own handler.
  std::set<Connection*> waiting;
  waiting.swap(waiting_for_budget_);
  for (Connection* connection : waiting) {
    auto self = connection->shared_from_this();
    asio::post(self->executor(), [self] { self->Resume(); });
  }
}

void SharedState::AddBuffers(std::size_t bytes) {
  counters_.buffer_bytes += bytes;
  counters_.buffer_bytes_peak = std::max(counters_.buffer_bytes_peak, counters_.buffer_bytes);
}

void SharedState::RemoveBuffers(std::size_t bytes) { counters_.buffer_bytes -= bytes; }

void SharedState::PaceReads(std::size_t bytes, ReadPacer::Clock::time_point previous,
                            ReadPacer::Clock::time_point now) {
  if (!read_pacer_.ShouldPause(bytes, previous, now)) return;
  // A deliberate sleep on the io thread: every connection's data piles up meanwhile, which is
  // the point (read_pacer.h). Commits and acks already handed on go on in other threads.
  std::this_thread::sleep_for(read_pacer_.pause());
  read_pacer_.Paused(ReadPacer::Clock::now());
}

}  // namespace pipes
