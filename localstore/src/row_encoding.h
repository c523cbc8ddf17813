#ifndef AMAHOST_LOCALSTORE_ROW_ENCODING_H_
#define AMAHOST_LOCALSTORE_ROW_ENCODING_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "localstore/record_batch.h"

namespace localstore {

// How a row keeps its entries in the `entries` column: the `encoding` column of schema v2.
// Rows of schema v1 tables are all kPlain.
enum class RowEncoding : std::int64_t {
  kPlain = 0,  // the Fluent entries themselves (RecordBatch::entries)
  kZstd = 1,   // one zstd frame of them, with its content size and checksum
};

// The largest entries a row may restore to. A row holds one Forward message's records, at most
// 64 MiB once a CompressedPackedForward payload is inflated (pipes' max_decompressed_bytes); a
// row that claims more is damaged, and nothing is allocated for it.
inline constexpr std::uint64_t kMaxRowBytes = 256 * 1024 * 1024;

// One batch's entries as its row stores them.
struct EncodedRow {
  RowEncoding encoding = RowEncoding::kPlain;
  std::string stored;           // the entries themselves (kPlain) or their zstd frame (kZstd)
  std::uint64_t raw_bytes = 0;  // the entries' size before encoding: the raw_bytes column
  std::uint32_t count = 0;      // records
  // The records' event-time range, when the batch came with it (RecordBatch::event_times): the
  // min/max_event_unix_ns columns; NULL without it.
  std::optional<EventTimeRange> event_times{};
};

// Compresses rows before they are written. Records compress about four times (their keys
// repeat in every record), so a table writes that much less to its -wal file and again at each
// checkpoint: without it the disk's bandwidth, not the CPU, caps ingest (see docs/design.md).
// Keeps one zstd context between calls. Thread-compatible.
class RowCompressor {
 public:
  RowCompressor();
  ~RowCompressor();
  RowCompressor(const RowCompressor&) = delete;
  RowCompressor& operator=(const RowCompressor&) = delete;

  // Returns kZstd and sets *stored to the zstd frame of `entries` when that is smaller than
  // `entries`; otherwise returns kPlain and clears *stored (the row keeps `entries` as they are).
  // Throws std::bad_alloc when zstd cannot get memory.
  RowEncoding Compress(std::string_view entries, std::string* stored);

  // The row for `count` records of `entries`: compressed when that makes it smaller, else the
  // entries themselves (moved, not copied), also when zstd cannot get memory. Never throws.
  EncodedRow Encode(std::string entries, std::uint32_t count);

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

// Restores a row's entries into *entries. `raw_bytes` is the size the row's raw_bytes column
// records: a zstd frame must declare exactly that content size (checked before anything is
// allocated), be no larger than kMaxRowBytes, and pass its checksum. On failure returns false and
// *error says why; the row is damaged.
bool RestoreRow(std::int64_t encoding, std::string_view stored, std::uint64_t raw_bytes,
                std::string* entries, std::string* error);

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_ROW_ENCODING_H_
