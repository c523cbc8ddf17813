#ifndef AMAHOST_LOCALSTORE_STORE_H_
#define AMAHOST_LOCALSTORE_STORE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "base/histogram.h"
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
  // Batches no one awaits (RecordBatch::awaited is false) wait up to this long after their
  // Append, or until unawaited_commit_bytes of entries are queued, before their commit starts,
  // unless an awaited batch (or closing) starts it earlier; 0 = they commit as soon as they can.
  // A stream of fire-and-forget messages then costs a few large transactions a second instead
  // of one per fsync. Nothing acknowledged waits for it. Consecutive unawaited batches of one
  // stream that the encoding thread takes together (it too waits, half the delay) become one
  // row of at most 1 MiB of entries, compressed once.
  std::chrono::milliseconds unawaited_commit_delay{10};
  std::size_t unawaited_commit_bytes = 4 * 1024 * 1024;
  // A hard cap on the size of each table, in SQLite pages (16 KiB each in the tables this version
  // creates; a file made with another page size keeps it), applied as PRAGMA max_page_count to
  // every table the store opens or creates; 0 = no cap but SQLite's own. A table at its cap behaves
  // exactly as on a full disk: its batches are held, not failed (see Store). Rows deleted by Remove
  // or by the quota free pages that new rows reuse within the cap. A cap below a table's current
  // size keeps the table at that size. Also the fault-injection seam for the full-disk path in
  // tests. See Store::SetMaxTablePages.
  std::uint64_t max_table_pages = 0;
  // The disk quota of docs/protocol.md §4, in BYTES (not MiB: the host multiplies AgentSettings'
  // MaxDiskQuotaInMB by 1024 * 1024); 0 = no quota, the default here (the host passes its own
  // default of 10000 MiB). It bounds the bytes of stored records: the sum over every table of
  // Backlog::bytes (the `entries` bytes of its rows), not the size of the files. SQLite files do
  // not shrink when rows are deleted (their pages are reused by later rows), so the files stay
  // at their high-water mark and may be somewhat larger than the quota: page and row overhead,
  // and each table's -wal file (up to 16 MiB between checkpoints). Batches held by a full disk
  // are in memory and not counted. See "Quota" below and Store::SetQuota.
  std::uint64_t quota_bytes = 0;
  // Retention: records whose event time is older than this are removed (see "Retention" below);
  // 0 = off, the default.
  std::chrono::milliseconds max_age{0};
  // How often a retention sweep runs (besides the one at Open); only with max_age.
  std::chrono::milliseconds retention_interval{std::chrono::minutes(1)};
  // The wall clock retention measures event times against, in nanoseconds since the Unix epoch;
  // empty = the system clock. A seam for tests, which move time instead of waiting for it.
  std::function<std::int64_t()> now_unix_ns{};
  // At most this many tables (0 = no limit). Each may be open at once, holding three
  // descriptors (the file, its -wal and its -shm), so the host derives it from RLIMIT_NOFILE.
  // Data for a stream whose table would be one more fails with Errc::kTooManyTables (logged
  // once per stream), before the process runs out of descriptors; tables already on disk are
  // all opened (checked and counted) at Open, and closed again until their first use when
  // table_idle_timeout is set.
  std::size_t max_tables = 0;
  // A table no call has used for this long is closed: it then holds no descriptor and no
  // SQLite memory, only its counters, and its next use (a commit, an upload, a sweep that may
  // delete from it) opens it again. 0 = tables stay open. See Store, "Idle tables".
  std::chrono::milliseconds table_idle_timeout{std::chrono::minutes(1)};
  // Must outlive the Store. Never null.
  base::Logger* logger = nullptr;
};

// Per-stream counters since the store opened.
struct StreamStats {
  std::string stream_id;
  std::string file_name;
  std::uint64_t committed_records = 0;
  std::uint64_t removed_records = 0;  // by Remove (uploaded)
  // Dropped by the quota (reason `quota`): records, rows and bytes of entries.
  std::uint64_t quota_dropped_records = 0;
  std::uint64_t quota_dropped_rows = 0;
  std::uint64_t quota_dropped_bytes = 0;
  // Removed by retention (reason `expired`): records older than StoreOptions::max_age by event
  // time, their rows and the bytes of their entries. Batches that arrived already that old count
  // too (each as a row), although they were never stored.
  std::uint64_t expired_records = 0;
  std::uint64_t expired_rows = 0;
  std::uint64_t expired_bytes = 0;
  Backlog expired_dead_letters{};  // dead letters removed by retention: rows = letters
  Backlog backlog;
  Backlog dead_letters;  // rows = letters; counted by the quota, not by the backlog
  // When the stream's first row (the next to upload) was received, Unix ns; 0 when it has none.
  // Kept in memory: reading it costs no query.
  std::int64_t oldest_received_unix_ns = 0;
};

// Retention now and what it removed since the store opened (the sums of the streams' expired_*).
struct RetentionStats {
  std::chrono::milliseconds max_age{0};  // 0 = retention off
  std::uint64_t sweeps = 0;
  std::int64_t last_sweep_unix_ns = 0;    // the store's clock; 0 before the first sweep
  std::int64_t last_expired_unix_ns = 0;  // when records last expired; 0 = never
  std::uint64_t expired_records = 0;
  std::uint64_t expired_bytes = 0;
  std::uint64_t expired_dead_letters = 0;
  std::uint64_t expired_dead_letter_records = 0;
};

// The quota now, what it measures, and what it dropped since the store opened (the sums of the
// streams' quota_dropped_* counters).
struct QuotaStats {
  std::uint64_t quota_bytes = 0;   // 0 = no quota
  std::uint64_t stored_bytes = 0;  // what the quota bounds: the sum of every stream's backlog.bytes
  std::uint64_t dropped_records = 0;
  std::uint64_t dropped_rows = 0;
  std::uint64_t dropped_bytes = 0;
  std::uint64_t eviction_passes = 0;      // passes that dropped at least one row
  std::int64_t last_dropped_unix_ns = 0;  // when the quota last dropped rows; 0 = never
};

// What the commit queue holds right now, and the full-disk state. Figures, not history, except
// the counters at the end.
struct QueueStats {
  // Appended and not yet completed: waiting, being committed, or held by a full disk.
  std::uint64_t queued_batches = 0;  // unawaited batches the encoder merged count as one
  std::uint64_t queued_bytes = 0;    // bytes of entries
  // Of those, not yet compressed: waiting for the encoding thread, or in it.
  std::uint64_t encoding_batches = 0;
  // Of those, held by a full disk (or by a table at max_table_pages), and their streams.
  std::uint64_t held_batches = 0;
  std::uint64_t held_bytes = 0;
  std::uint64_t held_streams = 0;
  bool disk_full = false;  // in a disk-full episode: some stream holds batches
  // When the oldest episode going on began (ns since the Unix epoch); 0 when none is.
  std::int64_t disk_full_since_unix_ns = 0;
  // Since the store opened: disk-full episodes (one per stream each time its batches start
  // being held) and retry passes over the held batches.
  std::uint64_t disk_full_episodes = 0;
  std::uint64_t disk_full_retries = 0;
  // Since the store opened: the commit thread's transactions that committed rows, one per table
  // per group (held batches retried included). Tables are in WAL mode, so with
  // synchronous_full each is one fsync of the table's -wal file (checkpoints add a few more, of
  // the database file): appends divided by this is how many batches share an fsync. Updated
  // before the completions of the group are called.
  std::uint64_t commits = 0;
  // The tables, and how many of them have their connection open now (the others are closed
  // while idle: StoreOptions::table_idle_timeout).
  std::uint64_t tables = 0;
  std::uint64_t open_tables = 0;
};

// The per-stream SQLite tables of docs/protocol.md §4.
//
// One `.tsf` database per stream id, created on first data, in WAL mode, schema versioned with
// PRAGMA user_version, holding the stream id in a meta table so that a restart finds each
// table's stream again. Append() queues batches for an encoding thread the Store owns, which
// compresses each into its row (row_encoding.h) and passes it on, in append order, to a commit
// thread; that thread commits everything encoded (from every connection, for every stream) in
// one transaction per table, then calls each batch's completion: a group commit, so that many
// small messages share one fsync, and the next group is compressed during this one's. Batches
// no one awaits (RecordBatch::awaited false) may wait StoreOptions::unawaited_commit_delay for
// company before their commit starts, and are merged into fewer rows; an awaited batch takes
// them along at once.
//
// A full disk is backpressure, not an error (docs/protocol.md §4). When a stream's commit fails
// with SQLITE_FULL (no space, or its table at max_table_pages) or an I/O error with ENOSPC/EDQUOT,
// the transaction is rolled back and the stream's batches are held: not completed, kept in
// append order ahead of the stream's later batches, which are held behind them. Other streams
// go on. The commit thread retries the held batches 100 ms later, then after doubling delays
// of at most 5 s, and at once after a successful Remove, SetMaxTablePages or quota drop; a retry
// that does not fit whole is halved until the oldest batches fit. Once they commit their
// completions are called with success, in order. Since completions are not called, the
// senders' in-flight limits stop reading from their clients: nothing is acknowledged that is
// not stored, nothing is dropped. One error line is logged when a stream starts being held
// ("disk full: N batches (M records) of stream S are held and not acknowledged; retrying") and
// one info line when it commits again ("... resumed after ..."), never one per retry. Queue()
// shows the state.
//
// Quota (docs/protocol.md §4; StoreOptions::quota_bytes). After every group commit (before its
// completions are called), once the store has opened (the first thing its commit thread does,
// which Open() does not wait for: commits wait behind it) and on SetQuota(), while the stored
// bytes exceed the quota the commit thread deletes whole rows, each deletion a durable transaction:
// first any row larger than the whole quota, then the oldest rows across all streams (the stream
// whose first row, in row id order, was received earliest loses it first). A batch larger than the
// quota is therefore committed and dropped in the same pass, then its completion reports success:
// it could never fit, failing it would only make its sender resend it forever, and no older rows
// are dropped for it. Every dropped row is counted
// under reason `quota` (StreamStats::quota_dropped_*, Quota()) and logged as a warning
// "quota: dropped N records (M bytes) of stream S, oldest from <RFC 3339>, to stay within Q
// bytes", at most one line per stream per 10 s: the drops in between are added up and reported
// by the stream's next line, written once its 10 s have passed or at Close(). A Remove of rows
// the quota dropped is not an error. Dropping rows retries the batches held by a full disk (it
// frees pages they may fit in).
//
// Retention (StoreOptions::max_age; off by default). A record's age is measured by its event
// time (the `time` of its Fluent entry) against now_unix_ns(). A sweep at Open() and every
// retention_interval deletes every row whose NEWEST record is older than max_age, so all the
// records it removes are older than max_age, and none younger is ever removed; a row whose
// records straddle the limit stays until its newest record is old too (a row is one message,
// whose records are usually seconds apart). Never deleted: the rows of a batch in the upload
// journal, and those the uploader has read since Open() (it may be about to journal them): once
// an upload has taken rows, it finishes with them. Dead letters expire alike, by their newest
// record, counted apart. A batch whose newest record is already older than max_age when it is
// committed is not stored at all: its completion reports success (the sender's records are
// accepted, and dropped by policy, as the quota drops a batch larger than itself), so that no
// upload can send it in the moment before a sweep. Rows know their event-time range from the
// sender (RecordBatch::event_times); rows without one (written by an older version, or
// appended without it) have it read from their entries by the next sweep, once, and entries
// that cannot be read age from when they were received. Everything removed is counted under
// reason `expired` (StreamStats::expired_*, Retention()) and logged: one warning line per
// stream per sweep that removed something, counting the batches expired on arrival since the
// previous sweep. A sweep runs on the retention thread (or the caller's, ExpireNow()); it
// finds the expired rows through an index, so one that finds nothing reads a few pages, and it
// skips without opening it a table whose rows all have a newest event time it knows is recent.
//
// Idle tables (StoreOptions::table_idle_timeout). A table that no commit, upload, sweep or
// other call has used for that long has its connection closed by a thread of the store (SQLite
// checkpoints its -wal file into it and removes the -wal): it then holds no descriptor and no
// memory but its counters, which Stats(), GetBacklog() and the quota read without opening it.
// Tables found at Open() are closed too once checked and counted, until their first use. A
// closed table's next use opens it again (without the quick_check of Open(): the file must still
// hold the same stream's table at this schema version, else that use fails with kNotATable and
// one error line), and prepares the statements it runs on first use. So a thousand idle streams
// cost a few MiB and no descriptors, and a stream that sends costs nothing more than before.
//
// Errors are localstore::Errc values (localstore/errc.h) or, from Open(), the filesystem's.
// A `.tsf` file that is not a sound table at Open() (not SQLite, wrong schema, unknown version,
// a stream id that does not map to its file name, or corrupt where Open reads) is moved to
// tables_dir/quarantine/<name>.<unix seconds> with an error log line; its stream gets a new
// table on its next data. Open() reads only a few pages of each table (its schema and one
// index: start-up time does not grow with the backlog); every page is checked afterwards, on a
// thread of the store, table after table, while they are in use (PRAGMA quick_check on a
// connection of its own, "checked the pages of N tables in S s" at info). A table found unsound
// then is quarantined alike, with what it held: no longer counted nor uploaded.
//
// Thread-safety: every public method is safe to call from any thread, except that Close() (and
// so the destructor) must not be called from a completion or the commit listener.
class Store final : public RecordSink, public BatchSource {
 public:
  // Opens every *.tsf already in options.tables_dir, runs the first retention sweep (with
  // max_age) and enforces the quota, then starts the Store's threads: the encoding thread, the
  // commit thread and (with max_age) the retention thread. A null options.logger or an empty
  // options.tables_dir is a broken precondition: std::invalid_argument is thrown, as the
  // uploader's constructor does (docs/design.md, "Errors").
  static std::error_code Open(StoreOptions options, std::unique_ptr<Store>* store);
  ~Store() override;  // same as Close()

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // RecordSink. Completions run on the commit thread, in append order within a stream (and
  // across streams, except that a stream held by a full disk completes later than the streams
  // appended after it); a batch whose table cannot be written fails alone (kTableConflict when
  // its file name belongs to another stream id, kSqlite) without failing other streams. A full
  // disk holds the batch instead of failing it (see above); kDiskFull comes only from Close().
  // After Close() the completion is called with Errc::kClosed, still on the commit thread and
  // never inside Append.
  void Append(RecordBatch batch, Completion done) override;

  // BatchSource. ReadOldest replaces *rows; retention never removes a row it has returned (see
  // "Retention"). Remove of an unknown stream or of ids that hold no rows does nothing and
  // succeeds; a successful Remove retries held batches at once (it may
  // have freed space). After Close() ReadOldest and Remove fail with kClosed.
  std::vector<std::string> StreamsWithData() override;
  std::error_code ReadOldest(const std::string& stream_id, std::int64_t after_row_id,
                             const ReadLimits& limits, std::vector<StoredRow>* rows) override;
  std::error_code Remove(const std::string& stream_id, std::int64_t first_row_id,
                         std::int64_t last_row_id) override;
  Backlog GetBacklog(const std::string& stream_id) override;
  // The journal writes and AddDeadLetter commit with synchronous NORMAL (they survive a process
  // crash; a power loss may make a batch go again). RecordUpload and AddDeadLetter of a stream
  // with no table fail with kNoSuchStream; JournaledUploads gives none.
  std::error_code RecordUpload(const std::string& stream_id,
                               const JournaledUpload& upload) override;
  std::error_code JournaledUploads(const std::string& stream_id,
                                   std::vector<JournaledUpload>* uploads) override;
  std::error_code AddDeadLetter(const std::string& stream_id, std::int64_t first_row_id,
                                std::int64_t last_row_id, const DeadLetter& letter) override;

  // Dead letters of a stream (kNoSuchStream when it has no table). The quota counts them and
  // drops them oldest first with the rows (by when their records were received). DeadLetters
  // lists them oldest first without entries; ReadDeadLetter gives one with its entries
  // (kNoSuchDeadLetter for an unknown id); ResendDeadLetter puts its records back at the end of
  // the stream as one new row (durably, as a commit) and deletes it, and the uploader sends
  // them like any other row once told (Notify); DropDeadLetter deletes it. Both set *letter to
  // what it held, without entries.
  std::error_code DeadLetters(const std::string& stream_id, std::vector<DeadLetter>* letters);
  std::error_code ReadDeadLetter(const std::string& stream_id, std::int64_t id, DeadLetter* letter);
  std::error_code ResendDeadLetter(const std::string& stream_id, std::int64_t id,
                                   DeadLetter* letter);
  std::error_code DropDeadLetter(const std::string& stream_id, std::int64_t id, DeadLetter* letter);

  // Called on the commit thread after each group commit (after its completions), once per stream
  // that got rows. Must not block. Set it before the first Append.
  void SetCommitListener(std::function<void(const std::string& stream_id)> listener);

  std::vector<StreamStats> Stats();
  QueueStats Queue();
  QuotaStats Quota();
  RetentionStats Retention();

  // Runs a retention sweep now, on the calling thread (see "Retention"), and returns once it is
  // done: the first error it met (each is logged), kClosed after Close(). Does nothing when
  // retention is off. Sweeps are serialised with the retention thread's.
  std::error_code ExpireNow();

  // How long each batch took from Append to its successful commit (durable, about to be
  // completed), in seconds: its queueing, compression, transaction and fsync, and any time held
  // by a full disk. Buckets: base::Histogram::LatencyBounds().
  base::HistogramSnapshot CommitLatency();

  // Applies a new per-table cap (StoreOptions::max_table_pages; 0 = no cap) to every open table
  // and to those opened later, then retries held batches at once. Returns the first error
  // applying it to an open table (each is logged; the cap still applies to the others).
  std::error_code SetMaxTablePages(std::uint64_t pages);
  // For a host that is stopping on a full disk: completes every batch held by the full disk with
  // kDiskFull now, and from now on every batch that would be held, instead of holding it (as
  // Close() does, without closing). They were never acknowledged: their senders send them
  // again. Returns at once; the commit thread does it.
  void FailHeldBatches();

  // Applies a new quota in bytes (StoreOptions::quota_bytes; 0 = no quota), e.g. when an
  // AgentSettings configuration arrives; any value is accepted (the host enforces Azure's
  // range). Returns once the commit thread has enforced it: rows over a lower quota are dropped
  // (see "Quota" above), a higher one drops nothing. Returns the first error dropping rows (also
  // logged; the next group commit tries again), or kClosed after Close(). Called from a
  // completion or the commit listener it returns at once and the rows go right after.
  std::error_code SetQuota(std::uint64_t bytes);

  // Closes the table of `stream_id` and removes its file when it holds no row and no dead
  // letter (the host does so for streams no DCR routes any more); *closed says whether it did.
  // Data that arrives for the stream later creates the table again, so nothing is lost whatever
  // the order. Any thread; kClosed after Close().
  std::error_code CloseIfEmpty(const std::string& stream_id, bool* closed);

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
