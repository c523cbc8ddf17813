#include "retention_sweeper.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "base/duration.h"
#include "localstore/table_name.h"
#include "quota_log.h"

namespace localstore {
namespace {

constexpr char kComponent[] = "localstore";

void AddBacklog(Backlog* to, const Backlog& from) {
  to->rows += from.rows;
  to->records += from.records;
  to->bytes += from.bytes;
}

}  // namespace

void RetentionSweeper::Lost::Add(const Lost& other) {
  const bool had_time = rows.rows + letters.rows > 0;
  const bool has_time = other.rows.rows + other.letters.rows > 0;
  if (has_time) {
    oldest_unix_ns =
        had_time ? std::min(oldest_unix_ns, other.oldest_unix_ns) : other.oldest_unix_ns;
    newest_unix_ns =
        had_time ? std::max(newest_unix_ns, other.newest_unix_ns) : other.newest_unix_ns;
  }
  AddBacklog(&rows, other.rows);
  AddBacklog(&letters, other.letters);
  AddBacklog(&arrived, other.arrived);
}

RetentionSweeper::RetentionSweeper(Options options, TableSet& tables, base::Logger& log)
    : options_(std::move(options)),
      tables_(tables),
      log_(log),
      thread_(options_.interval, [this] { Sweep(); }) {}

RetentionSweeper::~RetentionSweeper() { Stop(); }

std::int64_t RetentionSweeper::Now() const {
  if (options_.now_unix_ns) return options_.now_unix_ns();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::int64_t> RetentionSweeper::Cutoff() const {
  if (!enabled()) return std::nullopt;
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  // max_age is at most ~292 million years of milliseconds: in nanoseconds it may not fit.
  const std::int64_t max_age_ms = options_.max_age.count();
  const std::int64_t now = Now();
  if (max_age_ms > std::numeric_limits<std::int64_t>::max() / 1'000'000) return kMin;
  const std::int64_t max_age_ns = max_age_ms * 1'000'000;
  return now < kMin + max_age_ns ? kMin : now - max_age_ns;
}

void RetentionSweeper::ExpiredOnArrival(const std::string& stream_id, std::uint32_t records,
                                        std::uint64_t bytes, const EventTimeRange& times) {
  Lost lost;
  lost.rows = {1, records, bytes};
  lost.arrived = lost.rows;
  lost.oldest_unix_ns = times.min_unix_ns;
  lost.newest_unix_ns = times.max_unix_ns;
  base::MutexLock lock(&mutex_);
  lost_[stream_id].Add(lost);
  unlogged_[stream_id].Add(lost);
  last_expired_unix_ns_ = Now();
}

std::error_code RetentionSweeper::Sweep() {
  if (!enabled()) return {};
  base::MutexLock sweep(&sweep_mutex_);
  const std::int64_t now = Now();
  const std::int64_t before = *Cutoff();
  std::vector<Expiry> expiries;
  std::error_code ec = tables_.Expire(before, &expiries);
  std::map<std::string, Lost> lines;
  bool deleted = false;
  {
    base::MutexLock lock(&mutex_);
    for (const Expiry& expiry : expiries) {
      Lost lost{expiry.rows, expiry.letters, {}, expiry.oldest_unix_ns, expiry.newest_unix_ns};
      lost_[expiry.stream_id].Add(lost);
      lines[expiry.stream_id].Add(lost);
      deleted = true;
    }
    for (const auto& [stream_id, lost] : unlogged_) lines[stream_id].Add(lost);
    unlogged_.clear();
    ++sweeps_;
    last_sweep_unix_ns_ = now;
    if (deleted) last_expired_unix_ns_ = now;
  }
  for (const auto& [stream_id, lost] : lines) {
    log_.Warning(kComponent, "{}", Format(stream_id, lost, before));
  }
  if (deleted && options_.freed) options_.freed();
  return ec;
}

std::string RetentionSweeper::Format(const std::string& stream_id, const Lost& lost,
                                     std::int64_t before_unix_ns) const {
  std::string line = fmt::format(
      "retention: stream {}: {} records ({} bytes) older than max-age {} (event time before {}) "
      "removed without upload",
      stream_id, lost.rows.records, lost.rows.bytes, base::FormatDuration(options_.max_age),
      FormatUnixNs(before_unix_ns));
  if (lost.rows.records + lost.letters.records > 0) {
    line += fmt::format(", event times {} to {}", FormatUnixNs(lost.oldest_unix_ns),
                        FormatUnixNs(lost.newest_unix_ns));
  }
  if (lost.arrived.rows > 0) {
    line += fmt::format(
        "; {} of them in {} batches that were already that old on arrival and "
        "never stored",
        lost.arrived.records, lost.arrived.rows);
  }
  if (lost.letters.rows > 0) {
    line += fmt::format("; {} dead letters ({} records, {} bytes) removed too", lost.letters.rows,
                        lost.letters.records, lost.letters.bytes);
  }
  return line;
}

void RetentionSweeper::Start() {
  if (enabled()) thread_.Start();
}

void RetentionSweeper::Stop() {
  thread_.Stop();
  // What arrived expired since the last sweep is reported now, so that nothing goes unlogged.
  std::map<std::string, Lost> unlogged;
  {
    base::MutexLock lock(&mutex_);
    unlogged.swap(unlogged_);
  }
  if (unlogged.empty()) return;
  const std::optional<std::int64_t> before = Cutoff();
  for (const auto& [stream_id, lost] : unlogged) {
    log_.Warning(kComponent, "{}", Format(stream_id, lost, before.value_or(0)));
  }
}

void RetentionSweeper::AddTo(std::vector<StreamStats>* stats) const {
  base::MutexLock lock(&mutex_);
  std::map<std::string, const Lost*> left;
  for (const auto& [stream_id, lost] : lost_) left[stream_id] = &lost;
  auto fill = [](StreamStats& stream, const Lost& lost) {
    stream.expired_records = lost.rows.records;
    stream.expired_rows = lost.rows.rows;
    stream.expired_bytes = lost.rows.bytes;
    stream.expired_dead_letters = lost.letters;
  };
  for (StreamStats& stream : *stats) {
    auto it = left.find(stream.stream_id);
    if (it == left.end()) continue;
    fill(stream, *it->second);
    left.erase(it);
  }
  for (const auto& [stream_id, lost] : left) {
    StreamStats& stream = stats->emplace_back();
    stream.stream_id = stream_id;
    stream.file_name = TableFileName(stream_id);
    fill(stream, *lost);
  }
}

RetentionStats RetentionSweeper::Stats() const {
  RetentionStats stats;
  stats.max_age = options_.max_age;
  base::MutexLock lock(&mutex_);
  stats.sweeps = sweeps_;
  stats.last_sweep_unix_ns = last_sweep_unix_ns_;
  stats.last_expired_unix_ns = last_expired_unix_ns_;
  for (const auto& [stream_id, lost] : lost_) {
    stats.expired_records += lost.rows.records;
    stats.expired_bytes += lost.rows.bytes;
    stats.expired_dead_letters += lost.letters.rows;
    stats.expired_dead_letter_records += lost.letters.records;
  }
  return stats;
}

}  // namespace localstore
