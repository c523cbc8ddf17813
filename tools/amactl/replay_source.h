#ifndef AMAHOST_TOOLS_AMACTL_REPLAY_SOURCE_H_
#define AMAHOST_TOOLS_AMACTL_REPLAY_SOURCE_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "codec/fluent_entries.h"
#include "localstore/batch_source.h"
#include "localstore/table_reader.h"

namespace amactl {

// Which records of each stream a replay takes.
struct ReplayFilter {
  std::optional<std::int64_t> since_unix_ns;  // event time >= since
  std::optional<std::int64_t> until_unix_ns;  // event time < until
  // At most this many records of each stream, the oldest rows first (0 = all): per stream, so
  // that what a run takes never depends on how its streams were interleaved.
  std::uint64_t limit = 0;

  bool ByTime() const { return since_unix_ns || until_unix_ns; }
  bool Any() const { return ByTime() || limit != 0; }
  bool Matches(const codec::EventTime& time) const;
  // A short text naming the filter, part of the request ids: the same rows under another
  // filter are another body, so they must not share an id.
  std::string Fingerprint() const;
};

// Where one stream of a replay stands.
struct StreamProgress {
  std::string stream_id;
  std::filesystem::path table;
  // In the snapshot taken at Open (before filters).
  std::uint64_t rows = 0;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  // Read so far (before filters).
  std::uint64_t rows_read = 0;
  std::uint64_t records_read = 0;
  std::uint64_t bytes_read = 0;
  // Passed the filters and handed on; of those, the ones still out (not removed yet).
  std::uint64_t records_taken = 0;
  std::uint64_t bytes_taken = 0;
  std::uint64_t rows_out = 0;
  std::uint64_t records_out = 0;
  std::uint64_t bytes_out = 0;
  // Rows whose entries could not be read back (damaged on disk) or are not valid Fluent
  // entries: handed on as they are (the uploader refuses them), or skipped by a filter.
  std::uint64_t damaged_rows = 0;
  bool finished() const { return rows_read == rows && rows_out == 0; }
};

// The tables of a state folder as a localstore::BatchSource, read-only, for `amactl replay`:
// the uploader sends from it exactly as it sends from the host's store, but nothing is ever
// written (Remove, RecordUpload and AddDeadLetter only note that the rows are done). Each table
// is replayed as it was when Open ran: rows a running host adds later are not taken, and rows it
// removes meanwhile (uploaded, evicted) are skipped when the replay gets there.
//
// Records that fail the filter are left out of the rows handed on (the entries are rewritten);
// a row left with none is skipped. Thread-safe: calls for different streams run in parallel.
class ReplaySource final : public localstore::BatchSource {
 public:
  // Which streams to replay, asked once per table with its stream id; empty = all.
  using Selector = std::function<bool(const std::string& stream_id)>;

  // Opens each table (SQLite read-only: WAL readers never block a running host) and, when
  // `select` takes its stream, its row index. `error` names the table that failed.
  static std::error_code Open(const std::vector<std::filesystem::path>& tables, ReplayFilter filter,
                              const Selector& select, std::unique_ptr<ReplaySource>* source,
                              std::string* error);
  ~ReplaySource() override;

  std::vector<std::string> StreamIds() const;
  std::vector<StreamProgress> Progress() const;
  // Every stream is read to its end and nothing is out.
  bool Finished() const;

  std::vector<std::string> StreamsWithData() override;
  std::error_code ReadOldest(const std::string& stream_id, std::int64_t after_row_id,
                             const localstore::ReadLimits& limits,
                             std::vector<localstore::StoredRow>* rows) override;
  std::error_code Remove(const std::string& stream_id, std::int64_t first_row_id,
                         std::int64_t last_row_id) override;
  std::error_code RecordUpload(const std::string&, const localstore::JournaledUpload&) override {
    return {};
  }
  std::error_code JournaledUploads(const std::string&,
                                   std::vector<localstore::JournaledUpload>* uploads) override {
    uploads->clear();
    return {};
  }
  std::error_code AddDeadLetter(const std::string& stream_id, std::int64_t first_row_id,
                                std::int64_t last_row_id,
                                const localstore::DeadLetter& letter) override;
  localstore::Backlog GetBacklog(const std::string& stream_id) override;

 private:
  struct Table;
  ReplaySource() = default;
  Table* Find(const std::string& stream_id) const;

  ReplayFilter filter_;
  std::map<std::string, std::unique_ptr<Table>> tables_;  // by stream id; fixed after Open
};

}  // namespace amactl

#endif  // AMAHOST_TOOLS_AMACTL_REPLAY_SOURCE_H_
