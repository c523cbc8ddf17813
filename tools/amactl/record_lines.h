#ifndef AMAHOST_TOOLS_AMACTL_RECORD_LINES_H_
#define AMAHOST_TOOLS_AMACTL_RECORD_LINES_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace amactl {

// How `amactl dump` and `amactl replay --ndjson` print records: one JSON object per line, the
// record alone, or {"stream":…,"time":…,"record":{…}} with what was asked for.
struct RecordLineOptions {
  bool with_time = false;
  bool with_stream = false;
};

// Writes every record of `entries` (stored Fluent entries) to `out` as NDJSON lines. False when
// the entries are malformed (the lines of the records before the fault are written);
// *records counts the lines written.
bool WriteRecordLines(std::string_view entries, std::string_view stream_id,
                      const RecordLineOptions& options, std::FILE* out, std::uint64_t* records);

}  // namespace amactl

#endif  // AMAHOST_TOOLS_AMACTL_RECORD_LINES_H_
