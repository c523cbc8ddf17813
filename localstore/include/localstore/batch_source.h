#ifndef AMAHOST_LOCALSTORE_BATCH_SOURCE_H_
#define AMAHOST_LOCALSTORE_BATCH_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <limits>
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
  // Rows with a larger id are not read (to read a journaled batch again, exactly).
  std::int64_t last_row_id = std::numeric_limits<std::int64_t>::max();
};

// A batch the uploader recorded before sending it for the first time (the upload journal), so
// that after a crash the same rows go out again, first, under the same request id: a receiver
// that de-duplicates by that id then stores them once.
struct JournaledUpload {
  std::int64_t first_row_id = 0;
  std::int64_t last_row_id = 0;
  std::string request_id;
  std::string channel;  // where it was first sent (for people reading the table)
};

// Records a receiver refused for good (a non-retriable 4xx), kept apart from the stream's rows
// so that someone can look at them and send them again.
struct DeadLetter {
  std::int64_t id = 0;                // set by the store
  std::int64_t created_unix_ns = 0;   // when it was refused
  std::int64_t received_unix_ns = 0;  // when its oldest record was received
  std::uint32_t count = 0;            // records
  std::uint64_t bytes = 0;            // of their entries
  int status = 0;                     // the HTTP status of the refusal
  std::string response;               // the start of the response body (at most 4 KiB)
  std::string request_id;             // of the refused request
  std::string endpoint;               // the URL it was sent to
  std::string entries;                // Fluent entries, as in a row; empty in listings
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

  // Deletes the rows first_row_id..last_row_id (inclusive) of `stream_id`, and the journaled
  // uploads that lie within them, in one transaction. Ids that hold no rows (already removed,
  // unknown stream) are not an error. Row ids are never reused. Durable against a process crash;
  // after a power loss the rows may come back (they are then sent again, under their journaled
  // request id).
  virtual std::error_code Remove(const std::string& stream_id, std::int64_t first_row_id,
                                 std::int64_t last_row_id) = 0;

  // Records `upload` in the stream's journal before it is first sent, durable against a process
  // crash (after a power loss it may be lost: the batch is then sent under a new id, a duplicate
  // that at-least-once allows). An unknown stream is an error (kNoSuchStream).
  virtual std::error_code RecordUpload(const std::string& stream_id,
                                       const JournaledUpload& upload) = 0;
  // The journaled uploads of `stream_id` not yet removed, by first row; replaces *uploads.
  virtual std::error_code JournaledUploads(const std::string& stream_id,
                                           std::vector<JournaledUpload>* uploads) = 0;

  // Moves rows first_row_id..last_row_id of `stream_id` out of the stream, in one transaction:
  // deletes them and their journaled uploads and adds `letter` (its entries: the refused records,
  // all of those rows' or some of them) to the stream's dead letters. `letter.id` is ignored.
  virtual std::error_code AddDeadLetter(const std::string& stream_id, std::int64_t first_row_id,
                                        std::int64_t last_row_id, const DeadLetter& letter) = 0;

  virtual Backlog GetBacklog(const std::string& stream_id) = 0;
};

}  // namespace localstore

#endif  // AMAHOST_LOCALSTORE_BATCH_SOURCE_H_
