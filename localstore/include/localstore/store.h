#ifndef AMAHOST_LOCALSTORE_STORE_H_
#define AMAHOST_LOCALSTORE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "base/logger.h"
#include "localstore/batch_source.h"
#include "localstore/errc.h"
#include "localstore/record_sink.h"

namespace localstore {

struct StoreOptions {
  // <state-dir>/Tables. Created if missing.
  std::filesystem::path tables_dir;
  // SQLite `synchronous` for every table: FULL (the default) makes a commit survive power loss;
  // NORMAL survives a process crash only.
  bool synchronous_full = true;
  // Upper bound on the bytes of entries committed in one transaction group.
  std::size_t max_group_bytes = 64 * 1024 * 1024;
  // Must outlive the Store. Never null.
  base::Logger* logger = nullptr;
};

// Per-stream counters since the store opened.
struct StreamStats {
  std::string stream_id;
  std::string file_name;
  std::uint64_t committed_records = 0;
  std::uint64_t removed_records = 0;
  Backlog backlog;
};

// The per-stream SQLite tables of PROTOCOL.md §4.
//
// One `.tsf` database per stream id, created on first data, in WAL mode, schema versioned with
// PRAGMA user_version, holding the stream id in a meta table so that a restart finds each
// table's stream again. Append() queues batches for a commit thread the Store owns; that thread
// commits everything queued (from every connection, for every stream) in one transaction per
// table, then calls each batch's completion: a group commit, so that many small messages share
// one fsync.
//
// Errors are localstore::Errc values (localstore/errc.h) or, from Open(), the filesystem's.
// A `.tsf` file that is not a sound table at Open() (not SQLite, failed quick_check, wrong
// schema, unknown version, or a stream id that does not map to its file name) is moved to
// tables_dir/quarantine/<name>.<unix seconds> with an error log line; its stream gets a new
// table on its next data.
//
// Thread-safety: every public method is safe to call from any thread, except that Close() (and
// so the destructor) must not be called from a completion or the commit listener.
class Store final : public RecordSink, public BatchSource {
 public:
  // Opens every *.tsf already in options.tables_dir and starts the commit thread.
  static std::error_code Open(StoreOptions options, std::unique_ptr<Store>* store);
  ~Store() override;  // same as Close()

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // RecordSink. Completions run on the commit thread, in append order; a batch whose table
  // cannot be written fails alone (kTableConflict when its file name belongs to another stream
  // id, kDiskFull, kSqlite) without failing other streams. After Close() the completion is
  // called with Errc::kClosed, still on the Store's thread and never inside Append.
  void Append(RecordBatch batch, Completion done) override;

  // BatchSource. ReadOldest replaces *rows. Remove of an unknown stream or of ids that hold no
  // rows does nothing and succeeds. After Close() ReadOldest and Remove fail with kClosed.
  std::vector<std::string> StreamsWithData() override;
  std::error_code ReadOldest(const std::string& stream_id, std::int64_t after_row_id,
                             const ReadLimits& limits, std::vector<StoredRow>* rows) override;
  std::error_code Remove(const std::string& stream_id, std::int64_t first_row_id,
                         std::int64_t last_row_id) override;
  Backlog GetBacklog(const std::string& stream_id) override;

  // Called on the commit thread after each group commit (after its completions), once per stream
  // that got rows. Must not block. Set it before the first Append.
  void SetCommitListener(std::function<void(const std::string& stream_id)> listener);

  std::vector<StreamStats> Stats();

  // Commits everything queued, then closes the tables. Idempotent; returns once done. The
  // commit thread stays alive only to fail later Appends with kClosed, and is joined by the
  // destructor.
  void Close();

 private:
  class Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_STORE_H_
