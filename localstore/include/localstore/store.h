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
  // A hard cap on the size of each table, in SQLite pages (4096 bytes each unless the file says
  // otherwise), applied as PRAGMA max_page_count to every table the store opens or creates;
  // 0 = no cap but SQLite's own. A table at its cap behaves exactly as on a full disk: its
  // batches are held, not failed (see Store). Rows deleted by Remove free pages that new rows
  // reuse within the cap. A cap below a table's current size keeps the table at that size. Also
  // the fault-injection seam for the full-disk path in tests. See Store::SetMaxTablePages.
  std::uint64_t max_table_pages = 0;
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

// What the commit queue holds right now, and the full-disk state. Figures, not history, except
// the two counters at the end.
struct QueueStats {
  // Appended and not yet completed: waiting, being committed, or held by a full disk.
  std::uint64_t queued_batches = 0;
  std::uint64_t queued_bytes = 0;  // bytes of entries
  // Of those, held by a full disk (or by a table at max_table_pages), and their streams.
  std::uint64_t held_batches = 0;
  std::uint64_t held_bytes = 0;
  std::uint64_t held_streams = 0;
  bool disk_full = false;  // in a disk-full episode: some stream holds batches
  // Since the store opened: disk-full episodes (one per stream each time its batches start
  // being held) and retry passes over the held batches.
  std::uint64_t disk_full_episodes = 0;
  std::uint64_t disk_full_retries = 0;
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
// A full disk is backpressure, not an error (PROTOCOL.md §4). When a stream's commit fails with
// SQLITE_FULL (no space, or its table at max_table_pages) or an I/O error with ENOSPC/EDQUOT,
// the transaction is rolled back and the stream's batches are held: not completed, kept in
// append order ahead of the stream's later batches, which are held behind them. Other streams
// go on. The commit thread retries the held batches 100 ms later, then after doubling delays
// of at most 5 s, and at once after a successful Remove or SetMaxTablePages; a retry that does
// not fit whole is halved until the oldest batches fit. Once they commit their completions are
// called with success, in order. Since completions are not called, the
// senders' in-flight limits stop reading from their clients: nothing is acknowledged that is
// not stored, nothing is dropped. One error line is logged when a stream starts being held
// ("disk full: N batches (M records) of stream S are held and not acknowledged; retrying") and
// one info line when it commits again ("... resumed after ..."), never one per retry. Queue()
// shows the state.
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

  // RecordSink. Completions run on the commit thread, in append order within a stream (and
  // across streams, except that a stream held by a full disk completes later than the streams
  // appended after it); a batch whose table cannot be written fails alone (kTableConflict when
  // its file name belongs to another stream id, kSqlite) without failing other streams. A full
  // disk holds the batch instead of failing it (see above); kDiskFull comes only from Close().
  // After Close() the completion is called with Errc::kClosed, still on the Store's thread and
  // never inside Append.
  void Append(RecordBatch batch, Completion done) override;

  // BatchSource. ReadOldest replaces *rows. Remove of an unknown stream or of ids that hold no
  // rows does nothing and succeeds; a successful Remove retries held batches at once (it may
  // have freed space). After Close() ReadOldest and Remove fail with kClosed.
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
  QueueStats Queue();

  // Applies a new per-table cap (StoreOptions::max_table_pages; 0 = no cap) to every open table
  // and to those opened later, then retries held batches at once. Returns the first error
  // applying it to an open table (each is logged; the cap still applies to the others).
  std::error_code SetMaxTablePages(std::uint64_t pages);

  // Commits everything queued, then closes the tables. Batches still held by a full disk get one
  // last commit attempt; those that still fail are completed with Errc::kDiskFull: they were
  // never stored nor acknowledged, and their senders will resend them. Idempotent; returns once
  // every completion has run. The commit thread stays alive only to fail later Appends with
  // kClosed, and is joined by the destructor.
  void Close();

 private:
  class Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_STORE_H_
