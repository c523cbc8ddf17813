#include "replay_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "codec/msgpack_reader.h"

namespace amactl {

bool ReplayFilter::Matches(const codec::EventTime& time) const {
  const std::int64_t ns = codec::EventTimeToUnixNs(time);  // saturated past the int64 range
  if (since_unix_ns && ns < *since_unix_ns) return false;
  if (until_unix_ns && ns >= *until_unix_ns) return false;
  return true;
}

std::string ReplayFilter::Fingerprint() const {
  if (!Any()) return "all";
  return fmt::format("since={};until={};limit={}", since_unix_ns ? *since_unix_ns : 0,
                     until_unix_ns ? *until_unix_ns : 0, limit);
}

struct ReplaySource::Table {
  // Guards everything but `progress`.
  std::mutex mutex;
  std::unique_ptr<localstore::TableReader> reader;
  std::vector<localstore::TableReader::RowInfo> index;  // the snapshot
  std::size_t next = 0;                                 // the first row of `index` not read
  std::uint64_t limit_left = 0;                         // with a limit: records still to take
  struct Out {
    std::uint32_t records = 0;  // taken from the row
    std::uint64_t bytes = 0;
  };
  std::map<std::int64_t, Out> out;  // rows handed on and not done yet, by row id

  mutable std::mutex progress_mutex;
  StreamProgress progress;  // guarded by progress_mutex
};

namespace {

// The records of `row` that pass `filter`, at most `cut` of them, into *kept (the row with its
// entries rewritten). A damaged or malformed row is kept whole (the uploader refuses it and
// counts it): false then.
bool FilterRow(const localstore::StoredRow& row, const ReplayFilter& filter, std::uint64_t cut,
               localstore::StoredRow* kept) {
  kept->row_id = row.row_id;
  kept->received_unix_ns = row.received_unix_ns;
  kept->damaged = row.damaged;
  if (row.damaged || (!filter.ByTime() && cut >= row.count)) {
    kept->count = row.count;
    kept->entries = row.entries;
    return !row.damaged;
  }
  kept->entries.clear();
  kept->count = 0;
  codec::MsgpackCursor cursor(row.entries);
  while (!cursor.AtEnd() && kept->count < cut) {
    const std::size_t start = cursor.offset();
    codec::EventTime time;
    std::string_view record;
    if (!codec::ReadEntry(cursor, &time, &record)) {
      kept->count = row.count;
      kept->entries = row.entries;
      return false;
    }
    if (!filter.Matches(time)) continue;
    kept->entries.append(row.entries, start, cursor.offset() - start);
    ++kept->count;
  }
  return true;
}

}  // namespace

ReplaySource::~ReplaySource() = default;

std::error_code ReplaySource::Open(const std::vector<std::filesystem::path>& tables,
                                   ReplayFilter filter, const Selector& select,
                                   std::unique_ptr<ReplaySource>* source, std::string* error) {
  std::unique_ptr<ReplaySource> result(new ReplaySource());
  result->filter_ = filter;
  for (const std::filesystem::path& path : tables) {
    auto table = std::make_unique<Table>();
    if (std::error_code ec = localstore::TableReader::Open(path, &table->reader)) {
      *error = fmt::format("cannot read {}: {}", path.string(), ec.message());
      return ec;
    }
    if (select && !select(table->reader->stream_id())) continue;
    if (std::error_code ec = table->reader->RowIndex(&table->index)) {
      *error = fmt::format("cannot list the rows of {}: {}", path.string(), ec.message());
      return ec;
    }
    StreamProgress& progress = table->progress;
    progress.stream_id = table->reader->stream_id();
    progress.table = path;
    progress.rows = table->index.size();
    for (const auto& row : table->index) {
      progress.records += row.count;
      progress.bytes += row.bytes;
    }
    table->limit_left = filter.limit;
    const std::string id = progress.stream_id;
    if (result->tables_.count(id) != 0) {
      *error = fmt::format("{} and {} both hold stream {}",
                           result->tables_[id]->progress.table.string(), path.string(), id);
      return std::make_error_code(std::errc::invalid_argument);
    }
    result->tables_.emplace(id, std::move(table));
  }
  *source = std::move(result);
  return {};
}

ReplaySource::Table* ReplaySource::Find(const std::string& stream_id) const {
  auto it = tables_.find(stream_id);
  return it == tables_.end() ? nullptr : it->second.get();
}

std::vector<std::string> ReplaySource::StreamIds() const {
  std::vector<std::string> ids;
  for (const auto& [id, table] : tables_) ids.push_back(id);
  return ids;
}

std::vector<StreamProgress> ReplaySource::Progress() const {
  std::vector<StreamProgress> all;
  for (const auto& [id, table] : tables_) {
    std::lock_guard lock(table->progress_mutex);
    all.push_back(table->progress);
  }
  return all;
}

bool ReplaySource::Finished() const {
  for (const auto& [id, table] : tables_) {
    std::lock_guard lock(table->progress_mutex);
    if (!table->progress.finished()) return false;
  }
  return true;
}

std::vector<std::string> ReplaySource::StreamsWithData() {
  std::vector<std::string> ids;
  for (const auto& [id, table] : tables_) {
    std::lock_guard lock(table->progress_mutex);
    if (!table->progress.finished()) ids.push_back(id);
  }
  return ids;
}

std::error_code ReplaySource::ReadOldest(const std::string& stream_id, std::int64_t after_row_id,
                                         const localstore::ReadLimits& limits,
                                         std::vector<localstore::StoredRow>* rows) {
  rows->clear();
  Table* table = Find(stream_id);
  if (table == nullptr) return {};
  std::lock_guard lock(table->mutex);
  const auto& index = table->index;
  // The uploader reads forward from the last row it was given; asked for rows it was given
  // already (a refused batch becoming a dead letter, a batch built again), each gives what it
  // gave then.
  if (table->out.upper_bound(after_row_id) != table->out.end()) {
    const std::int64_t read_through = index[table->next - 1].row_id;
    const std::int64_t last = std::min(limits.last_row_id, read_through);
    localstore::StoredRow kept;
    std::error_code error =
        table->reader->ForEachRow(after_row_id, last, [&](const localstore::StoredRow& row) {
          auto it = table->out.find(row.row_id);
          if (it == table->out.end()) return true;
          FilterRow(row, filter_, it->second.records, &kept);
          rows->push_back(std::move(kept));
          return true;
        });
    return error;
  }

  // New rows, from the first one not read: read in runs sized by their unfiltered figures (an upper
  // bound of what the filters keep) until the limits are reached or the snapshot ends.
  std::size_t taken_rows = 0;
  std::size_t taken_records = 0;
  std::size_t taken_bytes = 0;
  localstore::StoredRow kept;
  while (table->next < index.size() && index[table->next].row_id <= limits.last_row_id) {
    if (filter_.limit != 0 && table->limit_left == 0) {
      // The limit is reached: the rest of the stream is left out.
      std::lock_guard progress_lock(table->progress_mutex);
      table->next = index.size();
      table->progress.rows_read = table->progress.rows;
      table->progress.records_read = table->progress.records;
      table->progress.bytes_read = table->progress.bytes;
      break;
    }
    std::size_t end = table->next;
    std::size_t run_records = taken_records;
    std::size_t run_bytes = taken_bytes;
    std::size_t run_rows = taken_rows;
    while (end < index.size() && index[end].row_id <= limits.last_row_id) {
      const bool first = run_rows == 0 && end == table->next;
      if (!first &&
          (run_rows + 1 > limits.max_rows || run_records + index[end].count > limits.max_records ||
           run_bytes + index[end].bytes > limits.max_bytes)) {
        break;
      }
      run_rows += 1;
      run_records += index[end].count;
      run_bytes += index[end].bytes;
      ++end;
    }
    if (end == table->next) break;  // the limits are reached
    std::uint64_t records_read = 0;
    std::uint64_t bytes_read = 0;
    for (std::size_t i = table->next; i < end; ++i) {
      records_read += index[i].count;
      bytes_read += index[i].bytes;
    }
    std::uint64_t kept_records = 0;
    std::uint64_t kept_bytes = 0;
    std::uint64_t kept_rows = 0;
    std::uint64_t damaged = 0;
    std::error_code error = table->reader->ForEachRow(
        index[table->next].row_id - 1, index[end - 1].row_id,
        [&](const localstore::StoredRow& row) {
          const std::uint64_t cut =
              filter_.limit != 0 ? table->limit_left : std::numeric_limits<std::uint64_t>::max();
          if (cut == 0) return false;
          if (!FilterRow(row, filter_, cut, &kept)) ++damaged;
          if (kept.count == 0 && !kept.damaged) return true;  // nothing passed the filters
          if (filter_.limit != 0) table->limit_left -= std::min<std::uint64_t>(cut, kept.count);
          table->out[kept.row_id] = Table::Out{kept.count, kept.entries.size()};
          kept_rows += 1;
          kept_records += kept.count;
          kept_bytes += kept.entries.size();
          rows->push_back(std::move(kept));
          return true;
        });
    if (error) {
      for (const localstore::StoredRow& row : *rows) table->out.erase(row.row_id);
      rows->clear();
      return error;
    }
    table->next = end;
    taken_rows += kept_rows;
    taken_records += kept_records;
    taken_bytes += kept_bytes;
    {
      std::lock_guard progress_lock(table->progress_mutex);
      StreamProgress& progress = table->progress;
      progress.rows_read = table->next;
      progress.records_read += records_read;
      progress.bytes_read += bytes_read;
      progress.records_taken += kept_records;
      progress.bytes_taken += kept_bytes;
      progress.rows_out += kept_rows;
      progress.damaged_rows += damaged;
      progress.records_out += kept_records;
      progress.bytes_out += kept_bytes;
    }
    if (taken_rows >= limits.max_rows || taken_records >= limits.max_records ||
        taken_bytes >= limits.max_bytes) {
      break;
    }
  }
  return {};
}

std::error_code ReplaySource::Remove(const std::string& stream_id, std::int64_t first_row_id,
                                     std::int64_t last_row_id) {
  Table* table = Find(stream_id);
  if (table == nullptr) return {};
  std::lock_guard lock(table->mutex);
  std::uint64_t rows = 0;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  auto it = table->out.lower_bound(first_row_id);
  while (it != table->out.end() && it->first <= last_row_id) {
    rows += 1;
    records += it->second.records;
    bytes += it->second.bytes;
    it = table->out.erase(it);
  }
  std::lock_guard progress_lock(table->progress_mutex);
  table->progress.rows_out -= std::min(table->progress.rows_out, rows);
  table->progress.records_out -= std::min(table->progress.records_out, records);
  table->progress.bytes_out -= std::min(table->progress.bytes_out, bytes);
  return {};
}

std::error_code ReplaySource::AddDeadLetter(const std::string& stream_id, std::int64_t first_row_id,
                                            std::int64_t last_row_id,
                                            const localstore::DeadLetter&) {
  // The uploader counts the refused records; here they are only done.
  return Remove(stream_id, first_row_id, last_row_id);
}

localstore::Backlog ReplaySource::GetBacklog(const std::string& stream_id) {
  Table* table = Find(stream_id);
  if (table == nullptr) return {};
  std::lock_guard lock(table->progress_mutex);
  const StreamProgress& p = table->progress;
  return localstore::Backlog{
      .rows = p.rows - p.rows_read + p.rows_out,
      .records = p.records - p.records_read + p.records_out,
      .bytes = p.bytes - p.bytes_read + p.bytes_out,
  };
}

}  // namespace amactl
