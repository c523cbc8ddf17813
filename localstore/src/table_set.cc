#include "table_set.h"

#include <sys/stat.h>

#include <chrono>
#include <limits>
#include <optional>
#include <utility>

#include "base/files.h"
#include "localstore/errc.h"
#include "localstore/table_name.h"

namespace localstore {
namespace {

constexpr char kComponent[] = "localstore";
constexpr char kTableSuffix[] = ".tsf";

bool IsTableFileName(const std::string& name) {
  constexpr std::size_t kSuffixSize = sizeof(kTableSuffix) - 1;
  return name.size() > kSuffixSize &&
         name.compare(name.size() - kSuffixSize, kSuffixSize, kTableSuffix) == 0;
}

}  // namespace

TableSet::TableSet(std::filesystem::path tables_dir, TableSettings settings, base::Logger& logger)
    : tables_dir_(std::move(tables_dir)), log_(logger), settings_(settings) {}

std::error_code TableSet::OpenAll() {
  if (std::error_code ec = base::CreateDirectories(tables_dir_)) {
    log_.Error(kComponent, "cannot create {}: {}", tables_dir_.string(), ec.message());
    return ec;
  }
  std::error_code ec;
  std::vector<std::string> names;
  for (std::filesystem::directory_iterator it(tables_dir_, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (IsTableFileName(name) && it->is_regular_file(type_ec)) names.push_back(std::move(name));
  }
  if (ec) {
    log_.Error(kComponent, "cannot list {}: {}", tables_dir_.string(), ec.message());
    return ec;
  }
  base::MutexLock settings_lock(&settings_mutex_);
  base::WriterLock lock(&tables_mutex_);
  for (const std::string& name : names) {
    if (std::unique_ptr<Table> table = OpenExisting(name, settings_)) {
      log_.Info(kComponent, "opened {} for stream {} ({} rows)", name, table->stream_id(),
                table->backlog().rows);
      // Checked and counted: its connection waits for the table's first use, so that a start
      // on many tables does not hold three descriptors for each.
      if (settings_.close_idle) table->CloseIfIdle(Table::Clock::time_point::max());
      tables_.emplace(name, std::move(table));
    }
  }
  return {};
}

std::unique_ptr<Table> TableSet::OpenExisting(const std::string& name,
                                              const TableSettings& settings) {
  std::unique_ptr<Table> table;
  std::string why;
  std::error_code ec = Table::Open(tables_dir_ / name, settings, log_, &table, &why);
  if (!ec && TableFileName(table->stream_id()) != name) {
    why = "its stream " + table->stream_id() + " belongs in " + TableFileName(table->stream_id());
    table.reset();
    ec = Errc::kNotATable;
  }
  if (ec == Errc::kNotATable || ec == Errc::kUnsupportedVersion) {
    Quarantine(name, why);
  } else if (ec) {
    // Not known to be corrupt (I/O error, permissions, locked, full disk): leave it where it is.
    log_.Error(kComponent, "cannot open table {}: {}", name, why);
  }
  return table;
}

void TableSet::Quarantine(const std::string& name, const std::string& why) {
  const std::filesystem::path folder = tables_dir_ / "quarantine";
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  std::error_code ec = base::CreateDirectories(folder);
  std::filesystem::path target = folder / (name + "." + std::to_string(seconds));
  std::error_code exists_ec;
  for (int n = 1; !ec && std::filesystem::exists(target, exists_ec); ++n) {
    target = folder / (name + "." + std::to_string(seconds) + "." + std::to_string(n));
  }
  const std::filesystem::path source = tables_dir_ / name;
  if (!ec) std::filesystem::rename(source, target, ec);
  if (ec) {
    log_.Error(kComponent, "table {} is unusable ({}) and cannot be quarantined: {}", name, why,
               ec.message());
    return;
  }
  // The -wal file holds committed pages of the file it belongs to: keep them together. The
  // -shm file is only an index, rebuilt from the -wal.
  std::error_code ignored;
  if (std::filesystem::exists(source.string() + "-wal", ignored)) {
    std::filesystem::rename(source.string() + "-wal", target.string() + "-wal", ignored);
  }
  std::filesystem::remove(source.string() + "-shm", ignored);
  base::SyncDirectory(folder);
  base::SyncDirectory(tables_dir_);
  log_.Error(kComponent, "table {} is unusable ({}); moved to {}", name, why, target.string());
}

std::error_code TableSet::Insert(const std::string& stream_id,
                                 std::span<const EncodedRow* const> rows,
                                 std::int64_t received_unix_ns, std::string* why) {
  const std::string file_name = TableFileName(stream_id);
  {
    // Found and used under one shared lock: CloseIfEmpty may remove a table between two.
    base::ReaderLock lock(&tables_mutex_);
    if (closed_) return Errc::kClosed;
    auto it = tables_.find(file_name);
    if (it != tables_.end())
      return InsertLocked(*it->second, stream_id, rows, received_unix_ns, why);
  }
  // Held until the rows are in: CloseIfEmpty (which takes it first) cannot close the new, empty
  // table before they are. Only Insert adds tables and only CloseAll, on this same thread,
  // removes them otherwise, so `added` stays valid.
  base::MutexLock settings_lock(&settings_mutex_);
  Table* added = nullptr;
  if (std::error_code ec = AddTable(file_name, stream_id, &added, why)) return ec;
  base::ReaderLock lock(&tables_mutex_);
  return InsertLocked(*added, stream_id, rows, received_unix_ns, why);
}

std::error_code TableSet::InsertLocked(Table& table, const std::string& stream_id,
                                       std::span<const EncodedRow* const> rows,
                                       std::int64_t received_unix_ns, std::string* why) {
  if (table.stream_id() != stream_id) {
    if (conflicts_logged_.insert(stream_id).second) {
      log_.Error(kComponent,
                 "streams {} and {} both map to table {}; records of {} are refused (not "
                 "stored)",
                 table.stream_id(), stream_id, TableFileName(stream_id), stream_id);
    }
    return Errc::kTableConflict;
  }
  return table.Insert(rows, received_unix_ns, why);
}

std::error_code TableSet::CloseIfEmpty(const std::string& stream_id, bool* closed) {
  *closed = false;
  // settings_mutex_ first, as AddTable: no table of this name is being opened meanwhile.
  base::MutexLock settings_lock(&settings_mutex_);
  base::WriterLock lock(&tables_mutex_);
  if (closed_) return Errc::kClosed;
  Table* table = FindLocked(stream_id);
  if (table == nullptr) return {};
  if (table->backlog().rows > 0 || table->dead_letters().rows > 0) return {};
  const std::string file_name = TableFileName(stream_id);
  tables_.erase(file_name);  // closes the connection, which checkpoints and removes the -wal
  std::error_code first;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ec;
    std::filesystem::remove(tables_dir_ / (file_name + suffix), ec);
    if (ec && !first) first = ec;
  }
  if (first) {
    log_.Warning(kComponent, "closed the empty table {} but could not remove it: {}", file_name,
                 first.message());
  }
  *closed = true;
  return {};
}

std::error_code TableSet::AddTable(const std::string& file_name, const std::string& stream_id,
                                   Table** table, std::string* why) {
  std::unique_ptr<Table> opened;
  std::error_code ec;
  if (std::filesystem::exists(tables_dir_ / file_name, ec)) {
    opened = OpenExisting(file_name, settings_);
  }
  if (opened == nullptr && std::filesystem::exists(tables_dir_ / file_name, ec)) {
    // Still there: OpenExisting could neither use nor move it, and has logged why.
    *why = "table " + file_name + " cannot be opened";
    return Errc::kSqlite;
  }
  if (opened == nullptr && settings_.max_tables > 0) {
    base::ReaderLock lock(&tables_mutex_);
    if (tables_.size() >= settings_.max_tables) {
      *why = fmt::format(
          "{} tables are open, as many as the descriptor limit allows (3 descriptors each; "
          "raise RLIMIT_NOFILE, e.g. systemd's LimitNOFILE=, to store more streams)",
          tables_.size());
      if (too_many_logged_.insert(stream_id).second) {
        log_.Error(kComponent, "no table for stream {}: {}; its records are not stored", stream_id,
                   *why);
      }
      return Errc::kTooManyTables;
    }
  }
  if (opened == nullptr) {
    ec = Table::Create(tables_dir_ / file_name, stream_id, settings_, log_, &opened, why);
    if (ec) {
      *why = "cannot create table " + file_name + ": " + *why;
      // A full disk is the caller's to report, once per episode rather than once per retry.
      if (ec != Errc::kDiskFull) {
        log_.Error(kComponent, "{} for stream {}", *why, stream_id);
      }
      return ec;
    }
    log_.Info(kComponent, "created table {} for stream {}", file_name, stream_id);
  }
  *table = opened.get();
  base::WriterLock lock(&tables_mutex_);
  tables_.emplace(file_name, std::move(opened));
  return {};
}

std::error_code TableSet::SetMaxPages(std::uint64_t pages) {
  base::MutexLock settings_lock(&settings_mutex_);
  settings_.max_pages = pages;
  std::error_code first;
  base::ReaderLock lock(&tables_mutex_);
  for (const auto& [name, table] : tables_) {
    std::error_code ec = table->SetMaxPages(pages);
    if (ec && !first) first = ec;
  }
  return first;
}

void TableSet::CloseAll() {
  base::WriterLock lock(&tables_mutex_);
  tables_.clear();
  closed_ = true;
}

std::error_code TableSet::CheckPages(const std::atomic<bool>& stop, std::size_t* checked) {
  *checked = 0;
  std::vector<std::string> names;
  {
    base::ReaderLock lock(&tables_mutex_);
    for (const auto& [name, table] : tables_) names.push_back(name);
  }
  for (const std::string& name : names) {
    if (stop.load()) return Errc::kClosed;
    const std::filesystem::path path = tables_dir_ / name;
    struct stat before {};
    if (::stat(path.c_str(), &before) != 0) continue;  // removed meanwhile (CloseIfEmpty)
    std::string why;
    std::error_code ec = Table::CheckPages(path, stop, &why);
    if (!ec) {
      ++*checked;
      continue;
    }
    if (ec == Errc::kClosed) return ec;
    if (ec != Errc::kNotATable) {
      log_.Warning(kComponent, "cannot check the pages of table {}: {}", name, why);
      continue;
    }
    // settings_mutex_ first, as AddTable and CloseIfEmpty.
    base::MutexLock settings_lock(&settings_mutex_);
    base::WriterLock lock(&tables_mutex_);
    struct stat now {};
    if (::stat(path.c_str(), &now) != 0 || now.st_ino != before.st_ino ||
        now.st_dev != before.st_dev) {
      continue;  // not the file checked: a new table of the same name
    }
    auto it = tables_.find(name);
    if (it != tables_.end()) {
      const Backlog lost = it->second->backlog();
      why +=
          fmt::format("; its {} rows ({} records) are no longer uploaded", lost.rows, lost.records);
      tables_.erase(it);  // closes its connection
    }
    Quarantine(name, why);
  }
  return {};
}

std::size_t TableSet::CloseIdle(Table::Clock::time_point used_before) {
  base::ReaderLock lock(&tables_mutex_);
  std::size_t closed = 0;
  for (const auto& [name, table] : tables_) {
    if (table->CloseIfIdle(used_before)) ++closed;
  }
  return closed;
}

TableSet::Counts TableSet::Count() {
  base::ReaderLock lock(&tables_mutex_);
  Counts counts{.tables = tables_.size()};
  for (const auto& [name, table] : tables_) {
    if (table->is_open()) ++counts.open;
  }
  return counts;
}

std::uint64_t TableSet::StoredBytesLocked() {
  std::uint64_t bytes = 0;
  for (const auto& [name, table] : tables_) {
    bytes += table->backlog().bytes + table->dead_letters().bytes;
  }
  return bytes;
}

std::error_code TableSet::EvictToQuota(std::uint64_t quota_bytes,
                                       std::vector<Eviction>* evictions) {
  // Shared: readers and Removes go on meanwhile; Insert (this same thread) cannot add tables,
  // nor CloseIfEmpty and CloseAll remove them, until it is done.
  base::ReaderLock lock(&tables_mutex_);
  if (closed_) return Errc::kClosed;
  if (StoredBytesLocked() <= quota_bytes) return {};
  for (const auto& [name, table] : tables_) {
    if (!table->MayHoldRowLargerThan(quota_bytes)) continue;
    Eviction evicted;
    if (std::error_code ec = table->EvictLargerThan(quota_bytes, &evicted)) return ec;
    if (evicted.rows > 0) evictions->push_back(std::move(evicted));
  }
  // Each step deletes at least one row, or finds that a table it saw holding rows has none
  // left (the uploader removed them): either way the loop ends.
  while (StoredBytesLocked() > quota_bytes) {
    Table* oldest = nullptr;
    std::int64_t oldest_ns = 0;
    std::int64_t next_ns = std::numeric_limits<std::int64_t>::max();
    for (const auto& [name, table] : tables_) {
      std::optional<std::int64_t> first;
      if (std::error_code ec = table->FirstReceived(&first)) return ec;
      if (!first) continue;
      if (oldest == nullptr || *first < oldest_ns) {
        if (oldest != nullptr) next_ns = std::min(next_ns, oldest_ns);
        oldest = table.get();
        oldest_ns = *first;
      } else {
        next_ns = std::min(next_ns, *first);
      }
    }
    // The backlog counts bytes that no table holds: nothing is left to delete.
    if (oldest == nullptr) return {};
    // Read again just before deleting: rows the uploader removed meanwhile are no excess.
    const std::uint64_t stored = StoredBytesLocked();
    if (stored <= quota_bytes) return {};
    Eviction evicted;
    if (std::error_code ec = oldest->EvictOldest(stored - quota_bytes, next_ns, &evicted)) {
      return ec;
    }
    if (evicted.rows > 0) evictions->push_back(std::move(evicted));
  }
  return {};
}

std::error_code TableSet::Expire(std::int64_t before_unix_ns, std::vector<Expiry>* expired) {
  // Shared: tables come and go only under the exclusive lock; commits and uploads go on.
  base::ReaderLock lock(&tables_mutex_);
  if (closed_) return Errc::kClosed;
  std::error_code first;
  for (const auto& [name, table] : tables_) {
    std::uint64_t filled = 0;
    std::error_code ec = table->FillEventTimes(&filled);
    if (filled > 0) {
      log_.Info(kComponent, "{}: read the event times of {} rows and dead letters written without",
                name, filled);
    }
    Expiry expiry;
    if (!ec) ec = table->Expire(before_unix_ns, &expiry);
    if (ec && !first) first = ec;
    if (!ec && !expiry.empty()) expired->push_back(std::move(expiry));
  }
  return first;
}

Table* TableSet::FindLocked(const std::string& stream_id) {
  auto it = tables_.find(TableFileName(stream_id));
  if (it == tables_.end() || it->second->stream_id() != stream_id) return nullptr;
  return it->second.get();
}

std::vector<std::string> TableSet::StreamsWithData() {
  std::vector<std::string> streams;
  base::ReaderLock lock(&tables_mutex_);
  for (const auto& [name, table] : tables_) {
    if (table->backlog().rows > 0) streams.push_back(table->stream_id());
  }
  return streams;
}

std::error_code TableSet::ReadOldest(const std::string& stream_id, std::int64_t after_row_id,
                                     const ReadLimits& limits, std::vector<StoredRow>* rows) {
  rows->clear();
  base::ReaderLock lock(&tables_mutex_);
  if (closed_) return Errc::kClosed;
  Table* table = FindLocked(stream_id);
  return table == nullptr ? std::error_code() : table->ReadOldest(after_row_id, limits, rows);
}

std::error_code TableSet::Remove(const std::string& stream_id, std::int64_t first_row_id,
                                 std::int64_t last_row_id) {
  base::ReaderLock lock(&tables_mutex_);
  if (closed_) return Errc::kClosed;
  Table* table = FindLocked(stream_id);
  return table == nullptr ? std::error_code() : table->Remove(first_row_id, last_row_id);
}

Backlog TableSet::GetBacklog(const std::string& stream_id) {
  base::ReaderLock lock(&tables_mutex_);
  Table* table = FindLocked(stream_id);
  return table == nullptr ? Backlog{} : table->backlog();
}

std::vector<StreamStats> TableSet::Stats() {
  std::vector<StreamStats> stats;
  base::ReaderLock lock(&tables_mutex_);
  for (const auto& [name, table] : tables_) {
    const Backlog dropped = table->quota_dropped();
    stats.push_back(StreamStats{.stream_id = table->stream_id(),
                                .file_name = name,
                                .committed_records = table->committed_records(),
                                .removed_records = table->removed_records(),
                                .quota_dropped_records = dropped.records,
                                .quota_dropped_rows = dropped.rows,
                                .quota_dropped_bytes = dropped.bytes,
                                .backlog = table->backlog(),
                                .dead_letters = table->dead_letters(),
                                .oldest_received_unix_ns = table->oldest_received_unix_ns()});
  }
  return stats;
}

template <typename Fn>
std::error_code TableSet::WithTable(const std::string& stream_id, Fn&& fn) {
  base::ReaderLock lock(&tables_mutex_);
  if (closed_) return Errc::kClosed;
  Table* table = FindLocked(stream_id);
  if (table == nullptr) return Errc::kNoSuchStream;
  return fn(*table);
}

std::error_code TableSet::RecordUpload(const std::string& stream_id,
                                       const JournaledUpload& upload) {
  return WithTable(stream_id, [&](Table& table) { return table.RecordUpload(upload); });
}

std::error_code TableSet::JournaledUploads(const std::string& stream_id,
                                           std::vector<JournaledUpload>* uploads) {
  uploads->clear();
  std::error_code ec =
      WithTable(stream_id, [&](Table& table) { return table.JournaledUploads(uploads); });
  return ec == Errc::kNoSuchStream ? std::error_code() : ec;
}

std::error_code TableSet::AddDeadLetter(const std::string& stream_id, std::int64_t first_row_id,
                                        std::int64_t last_row_id, const DeadLetter& letter) {
  return WithTable(stream_id, [&](Table& table) {
    return table.AddDeadLetter(first_row_id, last_row_id, letter);
  });
}

std::error_code TableSet::DeadLetters(const std::string& stream_id,
                                      std::vector<DeadLetter>* letters) {
  letters->clear();
  return WithTable(stream_id, [&](Table& table) { return table.DeadLetters(letters); });
}

std::error_code TableSet::ReadDeadLetter(const std::string& stream_id, std::int64_t id,
                                         DeadLetter* letter) {
  return WithTable(stream_id, [&](Table& table) { return table.ReadDeadLetter(id, letter); });
}

std::error_code TableSet::ResendDeadLetter(const std::string& stream_id, std::int64_t id,
                                           DeadLetter* letter) {
  return WithTable(stream_id, [&](Table& table) { return table.ResendDeadLetter(id, letter); });
}

std::error_code TableSet::DropDeadLetter(const std::string& stream_id, std::int64_t id,
                                         DeadLetter* letter) {
  return WithTable(stream_id, [&](Table& table) { return table.DropDeadLetter(id, letter); });
}

}  // namespace localstore
