#ifndef AMAHOST_UPLOADER_BODY_BUILDER_H_
#define AMAHOST_UPLOADER_BODY_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "codec/deflater.h"
#include "localstore/record_batch.h"
#include "uploader/ods_request.h"

namespace uploader {

// One request's worth of a batch.
struct BodyPart {
  std::string body{};              // compressed; empty when `oversized`
  std::uint64_t first_record = 0;  // index in the batch of its first record
  std::uint64_t records = 0;
  std::uint64_t json_bytes = 0;  // the body before compression
  // One record whose JSON alone is larger than a call may be: it cannot be sent.
  bool oversized = false;
};

// A batch's bodies: one part for ODS, one or more for Logs Ingestion.
struct BuiltBody {
  std::vector<BodyPart> parts;
  std::uint64_t records = 0;  // in every part
  // When Errc::kMalformedRow is returned: the row whose entries are not well-formed records.
  std::int64_t malformed_row_id = -1;
};

// Turns stored rows into compressed request bodies, reusing its buffers from one batch to the
// next: one per upload worker. The records are converted by codec::AppendMsgpackAsJson, their
// times are not added (see ods_request.h). Thread-compatible.
class BodyBuilder {
 public:
  // `compression_level` for codec::Deflater (1 = fastest).
  explicit BodyBuilder(int compression_level = 1);

  // ODS: one part, the zlib stream of BuildOdsJson's text. Errors as BuildOdsJson.
  std::error_code BuildOds(const OdsBodyHeader& header, std::span<const localstore::StoredRow> rows,
                           BuiltBody* out);

  // Logs Ingestion: the records as JSON arrays, in order, cut into parts of at most
  // `max_part_bytes` both before and after gzip. A record whose JSON alone is over the limit
  // becomes a part of its own marked `oversized`, with no body. Errors as BuildOdsJson.
  std::error_code BuildLogs(std::span<const localstore::StoredRow> rows, std::size_t max_part_bytes,
                            BuiltBody* out);

 private:
  // Compresses json_ into a new part of `records` records from `first_record`; false if the
  // compressed body is larger than `max_bytes`.
  bool AddPart(std::uint64_t first_record, std::uint64_t records, codec::Compression format,
               std::size_t max_bytes, BuiltBody* out);

  OdsJson ods_json_;
  std::string json_;                                        // a part's body before compression
  std::string all_;                                         // BuildLogs: every record's JSON
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // BuildLogs: each record in all_
  codec::Deflater deflater_;
};

// The Fluent entries of records first_record..first_record+count-1 of `rows` (counting from 0
// over all rows, in order), concatenated as a row stores them: what a dead letter keeps of a
// refused part. Malformed entries end the walk early.
std::string EntriesOfRecords(std::span<const localstore::StoredRow> rows,
                             std::uint64_t first_record, std::uint64_t count);

}  // namespace uploader

#endif  // AMAHOST_UPLOADER_BODY_BUILDER_H_
