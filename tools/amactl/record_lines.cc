#include "record_lines.h"

#include "codec/fluent_entries.h"
#include "codec/json_text.h"
#include "codec/msgpack_json.h"

namespace amactl {

bool WriteRecordLines(std::string_view entries, std::string_view stream_id,
                      const RecordLineOptions& options, std::FILE* out, std::uint64_t* records) {
  const bool wrapped = options.with_time || options.with_stream;
  std::string line;
  bool bad_record = false;
  const bool read =
      codec::ForEachEntry(entries, [&](const codec::EventTime& time, std::string_view record) {
        line.clear();
        if (wrapped) {
          line += '{';
          if (options.with_stream) {
            line += "\"stream\":";
            codec::AppendJsonString(&line, stream_id);
            line += ',';
          }
          if (options.with_time) {
            line += "\"time\":";
            codec::AppendJsonString(&line, codec::FormatEventTime(time));
            line += ',';
          }
          line += "\"record\":";
        }
        codec::MsgpackCursor cursor(record);
        if (!codec::AppendMsgpackAsJson(cursor, &line)) {
          bad_record = true;
          return false;
        }
        if (wrapped) line += '}';
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), out);
        ++*records;
        return true;
      });
  return read && !bad_record;
}

}  // namespace amactl
