#include "uploader/body_builder.h"

#include "codec/fluent_entries.h"
#include "codec/msgpack_json.h"
#include "uploader/errors.h"

namespace uploader {

BodyBuilder::BodyBuilder(int compression_level) : deflater_(compression_level) {}

bool BodyBuilder::AddPart(std::uint64_t first_record, std::uint64_t records,
                          codec::Compression format, std::size_t max_bytes, BuiltBody* out) {
  BodyPart part{.first_record = first_record, .records = records, .json_bytes = json_.size()};
  deflater_.Compress(json_, format, &part.body);
  if (part.body.size() > max_bytes) return false;
  out->parts.push_back(std::move(part));
  return true;
}

std::error_code BodyBuilder::BuildOds(const OdsBodyHeader& header,
                                      std::span<const localstore::StoredRow> rows, BuiltBody* out) {
  *out = BuiltBody{};
  std::error_code error = BuildOdsJson(header, rows, &ods_json_);
  if (error) {
    out->malformed_row_id = ods_json_.malformed_row_id;
    return error;
  }
  out->records = ods_json_.records;
  BodyPart part{.records = ods_json_.records, .json_bytes = ods_json_.text.size()};
  // ODS's "Content-Encoding: deflate" is a zlib stream (RFC 1950).
  deflater_.Compress(ods_json_.text, codec::Compression::kZlib, &part.body);
  out->parts.push_back(std::move(part));
  return {};
}

std::error_code BodyBuilder::BuildLogs(std::span<const localstore::StoredRow> rows,
                                       std::size_t max_part_bytes, BuiltBody* out) {
  *out = BuiltBody{};
  // The records are converted once, then cut; a part whose gzip stream would pass the limit
  // (only incompressible text can) is cut again at half its size.
  // Every record's JSON in all_, and where each is: kept from one batch to the next.
  std::string& all = all_;
  std::vector<std::pair<std::size_t, std::size_t>>& spans = spans_;
  all.clear();
  spans.clear();
  for (const localstore::StoredRow& row : rows) {
    codec::MsgpackCursor cursor(row.entries);
    while (!cursor.AtEnd()) {
      codec::EventTime time;
      const std::size_t start = all.size();
      if (!codec::ReadEntryHead(cursor, &time) || !codec::AppendMsgpackAsJson(cursor, &all)) {
        out->malformed_row_id = row.row_id;
        return Errc::kMalformedRow;
      }
      spans.emplace_back(start, all.size() - start);
    }
  }
  out->records = spans.size();
  std::size_t limit = max_part_bytes;
  for (std::size_t next = 0; next < spans.size();) {
    // "[" + records joined by "," + "]".
    std::size_t end = next;
    std::size_t size = 2;
    while (end < spans.size() && size + spans[end].second + (end > next ? 1 : 0) <= limit) {
      size += spans[end].second + (end > next ? 1 : 0);
      ++end;
    }
    auto oversized = [&] {
      // Alone over the limit of a whole call: it cannot be sent at all.
      out->parts.push_back(BodyPart{.first_record = next,
                                    .records = 1,
                                    .json_bytes = spans[next].second + 2,
                                    .oversized = true});
      ++next;
      limit = max_part_bytes;
    };
    if (end == next) {
      if (spans[next].second + 2 > max_part_bytes) {
        oversized();
        continue;
      }
      end = next + 1;  // under a halved limit: alone, then
    }
    json_.clear();
    json_.push_back('[');
    for (std::size_t i = next; i < end; ++i) {
      if (i > next) json_.push_back(',');
      json_.append(all, spans[i].first, spans[i].second);
    }
    json_.push_back(']');
    if (!AddPart(next, end - next, codec::Compression::kGzip, max_part_bytes, out)) {
      if (end - next == 1) {
        oversized();
      } else {
        limit = (json_.size() + 1) / 2;
      }
      continue;
    }
    next = end;
    limit = max_part_bytes;
  }
  return {};
}

std::string EntriesOfRecords(std::span<const localstore::StoredRow> rows,
                             std::uint64_t first_record, std::uint64_t count) {
  std::string entries;
  std::uint64_t index = 0;
  for (const localstore::StoredRow& row : rows) {
    codec::MsgpackCursor cursor(row.entries);
    while (!cursor.AtEnd() && index < first_record + count) {
      std::string_view entry;
      if (!cursor.Take(&entry)) return entries;
      if (index >= first_record) entries.append(entry);
      ++index;
    }
  }
  return entries;
}

}  // namespace uploader
