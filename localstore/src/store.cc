#include "localstore/store.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>
#include <utility>

#include "base/files.h"
#include "localstore/errc.h"
#include "localstore/table_name.h"
#include "table.h"

namespace localstore {
namespace {

constexpr char kComponent[] = "localstore";
constexpr char kTableSuffix[] = ".tsf";

std::int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsTableFileName(const std::string& name) {
  constexpr std::size_t kSuffixSize = sizeof(kTableSuffix) - 1;
  return name.size() > kSuffixSize &&
         name.compare(name.size() - kSuffixSize, kSuffixSize, kTableSuffix) == 0;
}

}  // namespace

class Store::Impl {
 public:
  explicit Impl(StoreOptions options) : options_(std::move(options)), log_(*options_.logger) {}
  ~Impl() {
    Close();
    {
      std::lock_guard lock(queue_mutex_);
      exit_ = true;
    }
    queue_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  std::error_code OpenTables();
  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  void Append(RecordBatch batch, Completion done);
  void SetCommitListener(std::function<void(const std::string&)> listener) {
    std::lock_guard lock(queue_mutex_);
    listener_ = std::move(listener);
  }
  void Close();

  std::vector<std::string> StreamsWithData();
  std::error_code ReadOldest(const std::string& stream_id, std::int64_t after_row_id,
                             const ReadLimits& limits, std::vector<StoredRow>* rows);
  std::error_code Remove(const std::string& stream_id, std::int64_t first_row_id,
                         std::int64_t last_row_id);
  Backlog GetBacklog(const std::string& stream_id);
  std::vector<StreamStats> Stats();

 private:
  enum class State { kOpen, kClosing, kClosed };
  struct Pending {
    RecordBatch batch;
    Completion done;
  };

  void Run();
  void CommitGroup(std::vector<Pending>& group,
                   const std::function<void(const std::string&)>& listener);
  std::error_code CommitStream(const std::string& stream_id,
                               const std::vector<const RecordBatch*>& batches,
                               std::int64_t received_unix_ns);
  // Opens the table file for `stream_id` that exists on disk but is not open yet, or creates it.
  std::error_code AddTable(const std::string& file_name, const std::string& stream_id,
                           Table** table);
  // Opens the file `name` in tables_dir; quarantines it if it is not a sound table.
  std::unique_ptr<Table> OpenExisting(const std::string& name);
  void Quarantine(const std::string& name, const std::string& why);
  void CloseTables();
  // Finds the table holding `stream_id`, or null; the caller holds tables_mutex_.
  Table* FindLocked(const std::string& stream_id);

  const StoreOptions options_;
  base::Logger& log_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;   // wakes the commit thread
  std::condition_variable closed_cv_;  // wakes Close()
  std::deque<Pending> queue_;
  std::vector<Completion> refused_;  // appended after Close(); failed on the commit thread
  State state_ = State::kOpen;
  bool exit_ = false;
  std::function<void(const std::string&)> listener_;

  std::set<std::string> conflicts_logged_;  // commit thread only
  std::thread thread_;

  // Tables are used only under this lock, shared; only the commit thread adds them (exclusive,
  // briefly) and closes them (exclusive, in Close).
  std::shared_mutex tables_mutex_;
  std::map<std::string, std::unique_ptr<Table>> tables_;  // by file name
  bool tables_closed_ = false;
};

std::error_code Store::Impl::OpenTables() {
  if (std::error_code ec = base::CreateDirectories(options_.tables_dir)) {
    log_.Error(kComponent, "cannot create {}: {}", options_.tables_dir.string(), ec.message());
    return ec;
  }
  std::error_code ec;
  std::vector<std::string> names;
  for (std::filesystem::directory_iterator it(options_.tables_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (IsTableFileName(name) && it->is_regular_file(type_ec)) names.push_back(std::move(name));
  }
  if (ec) {
    log_.Error(kComponent, "cannot list {}: {}", options_.tables_dir.string(), ec.message());
    return ec;
  }
  std::unique_lock lock(tables_mutex_);
  for (const std::string& name : names) {
    if (std::unique_ptr<Table> table = OpenExisting(name)) {
      log_.Info(kComponent, "opened {} for stream {} ({} rows)", name, table->stream_id(),
                table->backlog().rows);
      tables_.emplace(name, std::move(table));
    }
  }
  return {};
}

std::unique_ptr<Table> Store::Impl::OpenExisting(const std::string& name) {
  std::unique_ptr<Table> table;
  std::string why;
  std::error_code ec =
      Table::Open(options_.tables_dir / name, options_.synchronous_full, log_, &table, &why);
  if (!ec && TableFileName(table->stream_id()) != name) {
    why = "its stream " + table->stream_id() + " belongs in " + TableFileName(table->stream_id());
    table.reset();
    ec = Errc::kNotATable;
  }
  if (ec == Errc::kNotATable || ec == Errc::kUnsupportedVersion) {
    Quarantine(name, why);
  } else if (ec) {
    // Not known to be corrupt (I/O error, permissions, locked): leave it where it is.
    log_.Error(kComponent, "cannot open table {}: {}", name, why);
  }
  return table;
}

void Store::Impl::Quarantine(const std::string& name, const std::string& why) {
  const std::filesystem::path folder = options_.tables_dir / "quarantine";
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  std::error_code ec = base::CreateDirectories(folder);
  std::filesystem::path target = folder / (name + "." + std::to_string(seconds));
  std::error_code exists_ec;
  for (int n = 1; !ec && std::filesystem::exists(target, exists_ec); ++n) {
    target = folder / (name + "." + std::to_string(seconds) + "." + std::to_string(n));
  }
  const std::filesystem::path source = options_.tables_dir / name;
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
  base::SyncDirectory(options_.tables_dir);
  log_.Error(kComponent, "table {} is unusable ({}); moved to {}", name, why, target.string());
}

void Store::Impl::Append(RecordBatch batch, Completion done) {
  {
    std::lock_guard lock(queue_mutex_);
    if (state_ == State::kOpen) {
      queue_.push_back(Pending{std::move(batch), std::move(done)});
    } else {
      refused_.push_back(std::move(done));
    }
  }
  queue_cv_.notify_one();
}

void Store::Impl::Close() {
  std::unique_lock lock(queue_mutex_);
  if (!thread_.joinable()) {
    // Open() failed before the commit thread started: there is nothing queued to commit.
    state_ = State::kClosed;
    return;
  }
  if (state_ == State::kOpen) state_ = State::kClosing;
  queue_cv_.notify_all();
  closed_cv_.wait(lock, [this] { return state_ == State::kClosed; });
}

void Store::Impl::Run() {
  for (;;) {
    std::vector<Pending> group;
    std::vector<Completion> refused;
    std::function<void(const std::string&)> listener;
    bool close_now = false;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [this] {
        return !queue_.empty() || !refused_.empty() || state_ == State::kClosing || exit_;
      });
      std::size_t bytes = 0;
      while (!queue_.empty() && (group.empty() || bytes + queue_.front().batch.entries.size() <=
                                                      options_.max_group_bytes)) {
        bytes += queue_.front().batch.entries.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      refused.swap(refused_);
      close_now = state_ == State::kClosing && queue_.empty();
      if (exit_ && group.empty() && refused.empty() && !close_now) return;
      if (!group.empty()) listener = listener_;
    }
    for (Completion& done : refused) {
      if (done) done(Errc::kClosed);
    }
    if (!group.empty()) CommitGroup(group, listener);
    if (close_now) {
      CloseTables();
      std::lock_guard lock(queue_mutex_);
      state_ = State::kClosed;
      closed_cv_.notify_all();
    }
  }
}

void Store::Impl::CommitGroup(std::vector<Pending>& group,
                              const std::function<void(const std::string&)>& listener) {
  const std::int64_t now = NowUnixNs();
  // Ordered by stream id, so which of two conflicting streams creates a shared file name is
  // deterministic.
  std::map<std::string, std::vector<std::size_t>> by_stream;
  for (std::size_t i = 0; i < group.size(); ++i) by_stream[group[i].batch.stream_id].push_back(i);

  std::vector<std::error_code> results(group.size());
  std::vector<const std::string*> committed;
  for (const auto& [stream_id, indexes] : by_stream) {
    std::vector<const RecordBatch*> batches;
    batches.reserve(indexes.size());
    for (std::size_t i : indexes) batches.push_back(&group[i].batch);
    std::error_code ec = CommitStream(stream_id, batches, now);
    for (std::size_t i : indexes) results[i] = ec;
    if (!ec) committed.push_back(&stream_id);
  }
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (group[i].done) group[i].done(results[i]);
  }
  if (listener) {
    for (const std::string* stream_id : committed) listener(*stream_id);
  }
}

std::error_code Store::Impl::CommitStream(const std::string& stream_id,
                                          const std::vector<const RecordBatch*>& batches,
                                          std::int64_t received_unix_ns) {
  const std::string file_name = TableFileName(stream_id);
  Table* table = nullptr;
  {
    // Only this thread adds or removes tables, so a pointer found here stays valid below.
    std::shared_lock lock(tables_mutex_);
    auto it = tables_.find(file_name);
    if (it != tables_.end()) table = it->second.get();
  }
  if (table == nullptr) {
    if (std::error_code ec = AddTable(file_name, stream_id, &table)) return ec;
  }
  if (table->stream_id() != stream_id) {
    if (conflicts_logged_.insert(stream_id).second) {
      log_.Error(kComponent,
                 "streams {} and {} both map to table {}; records of {} are refused (not "
                 "stored)",
                 table->stream_id(), stream_id, file_name, stream_id);
    }
    return Errc::kTableConflict;
  }
  std::shared_lock lock(tables_mutex_);
  return table->Insert(batches, received_unix_ns);
}

std::error_code Store::Impl::AddTable(const std::string& file_name, const std::string& stream_id,
                                      Table** table) {
  std::unique_ptr<Table> opened;
  std::error_code ec;
  if (std::filesystem::exists(options_.tables_dir / file_name, ec)) {
    opened = OpenExisting(file_name);
  }
  if (opened == nullptr && std::filesystem::exists(options_.tables_dir / file_name, ec)) {
    // Still there: OpenExisting could neither use nor move it, and has logged why.
    return Errc::kSqlite;
  }
  if (opened == nullptr) {
    std::string why;
    ec = Table::Create(options_.tables_dir / file_name, stream_id, options_.synchronous_full, log_,
                       &opened, &why);
    if (ec) {
      log_.Error(kComponent, "cannot create table {} for stream {}: {}", file_name, stream_id, why);
      return ec;
    }
    log_.Info(kComponent, "created table {} for stream {}", file_name, stream_id);
  }
  *table = opened.get();
  std::unique_lock lock(tables_mutex_);
  tables_.emplace(file_name, std::move(opened));
  return {};
}

void Store::Impl::CloseTables() {
  std::unique_lock lock(tables_mutex_);
  tables_.clear();
  tables_closed_ = true;
}

Table* Store::Impl::FindLocked(const std::string& stream_id) {
  auto it = tables_.find(TableFileName(stream_id));
  if (it == tables_.end() || it->second->stream_id() != stream_id) return nullptr;
  return it->second.get();
}

std::vector<std::string> Store::Impl::StreamsWithData() {
  std::vector<std::string> streams;
  std::shared_lock lock(tables_mutex_);
  for (const auto& [name, table] : tables_) {
    if (table->backlog().rows > 0) streams.push_back(table->stream_id());
  }
  return streams;
}

std::error_code Store::Impl::ReadOldest(const std::string& stream_id, std::int64_t after_row_id,
                                        const ReadLimits& limits, std::vector<StoredRow>* rows) {
  rows->clear();
  std::shared_lock lock(tables_mutex_);
  if (tables_closed_) return Errc::kClosed;
  Table* table = FindLocked(stream_id);
  return table == nullptr ? std::error_code() : table->ReadOldest(after_row_id, limits, rows);
}

std::error_code Store::Impl::Remove(const std::string& stream_id, std::int64_t first_row_id,
                                    std::int64_t last_row_id) {
  std::shared_lock lock(tables_mutex_);
  if (tables_closed_) return Errc::kClosed;
  Table* table = FindLocked(stream_id);
  return table == nullptr ? std::error_code() : table->Remove(first_row_id, last_row_id);
}

Backlog Store::Impl::GetBacklog(const std::string& stream_id) {
  std::shared_lock lock(tables_mutex_);
  Table* table = FindLocked(stream_id);
  return table == nullptr ? Backlog{} : table->backlog();
}

std::vector<StreamStats> Store::Impl::Stats() {
  std::vector<StreamStats> stats;
  std::shared_lock lock(tables_mutex_);
  for (const auto& [name, table] : tables_) {
    stats.push_back(StreamStats{table->stream_id(), name, table->committed_records(),
                                table->removed_records(), table->backlog()});
  }
  return stats;
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() = default;

std::error_code Store::Open(StoreOptions options, std::unique_ptr<Store>* store) {
  if (options.logger == nullptr || options.tables_dir.empty()) {
    return std::make_error_code(std::errc::invalid_argument);
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  if (std::error_code ec = impl->OpenTables()) return ec;
  impl->Start();
  store->reset(new Store(std::move(impl)));
  return {};
}

void Store::Append(RecordBatch batch, Completion done) {
  impl_->Append(std::move(batch), std::move(done));
}

void Store::SetCommitListener(std::function<void(const std::string& stream_id)> listener) {
  impl_->SetCommitListener(std::move(listener));
}

std::vector<std::string> Store::StreamsWithData() { return impl_->StreamsWithData(); }

std::error_code Store::ReadOldest(const std::string& stream_id, std::int64_t after_row_id,
                                  const ReadLimits& limits, std::vector<StoredRow>* rows) {
  return impl_->ReadOldest(stream_id, after_row_id, limits, rows);
}

std::error_code Store::Remove(const std::string& stream_id, std::int64_t first_row_id,
                              std::int64_t last_row_id) {
  return impl_->Remove(stream_id, first_row_id, last_row_id);
}

Backlog Store::GetBacklog(const std::string& stream_id) { return impl_->GetBacklog(stream_id); }

std::vector<StreamStats> Store::Stats() { return impl_->Stats(); }

void Store::Close() { impl_->Close(); }

}  // namespace localstore
