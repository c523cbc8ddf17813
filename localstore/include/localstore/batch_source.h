#ifndef AMAHOST_LOCALSTORE_BATCH_SOURCE_H_
#define AMAHOST_LOCALSTORE_BATCH_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "localstore/record_batch.h"

namespace localstore {

// How much one read may return. A read returns at least one row when the stream has any, even
// one larger than the limits, so that an oversized row cannot block its stream.
struct ReadLimits {
  std::size_t max_rows = 1000;
  std::size_t max_records = 10000;
  std::size_t max_bytes = 4 * 1024 * 1024;  // of stored entries
};

// What a stream holds right now.
struct Backlog {
  std::uint64_t rows = 0;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
};

// Where the uploader takes committed records from. Depends on nothing but the standard library.
// Thread-safe.
class BatchSource {
 public:
  virtual ~BatchSource() = default;

  // Stream ids whose tables hold rows.
  virtual std::vector<std::string> StreamsWithData() = 0;

  // Reads the oldest rows of `stream_id` with row_id > `after_row_id`, in row order, within
  // `limits`, replacing the contents of *rows. An unknown stream gives no rows and no error.
  virtual std::error_code ReadOldest(const std::string& stream_id, std::int64_t after_row_id,
                                     const ReadLimits& limits, std::vector<StoredRow>* rows) = 0;

  // Deletes the rows first_row_id..last_row_id (inclusive) of `stream_id`, durably. Ids that
  // hold no rows (already removed, unknown stream) are not an error. Row ids are never reused.
  virtual std::error_code Remove(const std::string& stream_id, std::int64_t first_row_id,
                                 std::int64_t last_row_id) = 0;

  virtual Backlog GetBacklog(const std::string& stream_id) = 0;
};

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_BATCH_SOURCE_H_
