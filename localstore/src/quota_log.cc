#include "quota_log.h"

#include <fmt/format.h>
#include <time.h>

#include <utility>

namespace localstore {
namespace {

void Merge(const QuotaLog::Line& dropped, QuotaLog::Line* pending) {
  if (pending->rows == 0 || dropped.oldest_unix_ns < pending->oldest_unix_ns) {
    pending->oldest_unix_ns = dropped.oldest_unix_ns;
  }
  pending->records += dropped.records;
  pending->rows += dropped.rows;
  pending->bytes += dropped.bytes;
  pending->quota_bytes = dropped.quota_bytes;
}

}  // namespace

std::optional<QuotaLog::Line> QuotaLog::Add(const Line& dropped, Clock::time_point now) {
  if (dropped.rows == 0) return std::nullopt;
  Stream& stream = streams_[dropped.stream_id];
  stream.pending.stream_id = dropped.stream_id;
  Merge(dropped, &stream.pending);
  if (stream.last_line && now < *stream.last_line + kInterval) return std::nullopt;
  stream.last_line = now;
  return std::exchange(stream.pending, Line{});
}

std::vector<QuotaLog::Line> QuotaLog::TakeDue(Clock::time_point now) {
  std::vector<Line> lines;
  for (auto& [id, stream] : streams_) {
    if (stream.pending.rows == 0) continue;
    if (stream.last_line && now < *stream.last_line + kInterval) continue;
    stream.last_line = now;
    lines.push_back(std::exchange(stream.pending, Line{}));
  }
  return lines;
}

std::vector<QuotaLog::Line> QuotaLog::TakeAll() {
  std::vector<Line> lines;
  for (auto& [id, stream] : streams_) {
    if (stream.pending.rows > 0) lines.push_back(std::exchange(stream.pending, Line{}));
  }
  return lines;
}

std::optional<QuotaLog::Clock::time_point> QuotaLog::next_due() const {
  std::optional<Clock::time_point> due;
  for (const auto& [id, stream] : streams_) {
    if (stream.pending.rows == 0) continue;
    // Add() reports a stream's first drop at once, so a pending stream always has a last line.
    const Clock::time_point at =
        stream.last_line ? *stream.last_line + kInterval : Clock::time_point::min();
    if (!due || at < *due) due = at;
  }
  return due;
}

std::string QuotaLog::Format(const Line& line) {
  return fmt::format(
      "quota: dropped {} records ({} bytes) of stream {}, oldest from {}, to stay within {} bytes",
      line.records, line.bytes, line.stream_id, FormatUnixNs(line.oldest_unix_ns),
      line.quota_bytes);
}

std::string FormatUnixNs(std::int64_t unix_ns) {
  constexpr std::int64_t kPerSecond = 1'000'000'000;
  // Floor division, so that times before 1970 still get a fraction in [0, 1 s).
  std::int64_t seconds = unix_ns / kPerSecond;
  std::int64_t nanos = unix_ns % kPerSecond;
  if (nanos < 0) {
    nanos += kPerSecond;
    seconds -= 1;
  }
  const time_t t = static_cast<time_t>(seconds);
  struct tm utc {};
  if (gmtime_r(&t, &utc) == nullptr) return fmt::format("{} ns since 1970", unix_ns);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, nanos);
}

}  // namespace localstore
