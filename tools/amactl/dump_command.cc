#include <cstdio>
#include <string>

#include "base/args.h"
#include "commands.h"
#include "localstore/table_reader.h"
#include "record_lines.h"

namespace amactl {
namespace {

constexpr char kHelp[] =
    "Usage: amactl dump <file.tsf> [--with-time]\n\n"
    "Prints every record of a local table (<state-dir>/Tables/*.tsf) as one JSON object per line,\n"
    "oldest first. The table can be read while the host runs.\n\n"
    "Options:\n"
    "  --with-time              print {\"time\":…,\"record\":{…}} with each record's event time\n";

}  // namespace

int DumpCommand(const std::vector<std::string>& argv, std::FILE* out, std::FILE* err) {
  base::ArgReader args(argv);
  std::string path;
  bool with_time = false;
  while (!args.Done()) {
    if (args.TakeFlag("--help")) {
      std::fputs(kHelp, out);
      return 0;
    }
    if (args.TakeFlag("--with-time")) {
      with_time = true;
      continue;
    }
    if (path.empty() && args.TakePositional(&path)) continue;
    args.RejectCurrent();
  }
  if (!args.error().empty() || path.empty()) {
    std::fprintf(err, "amactl dump: %s\n%s",
                 args.error().empty() ? "which table? give a .tsf file" : args.error().c_str(),
                 kHelp);
    return 2;
  }
  std::unique_ptr<localstore::TableReader> reader;
  if (std::error_code ec = localstore::TableReader::Open(path, &reader)) {
    std::fprintf(err, "amactl dump: cannot read %s: %s\n", path.c_str(), ec.message().c_str());
    return 1;
  }
  std::size_t bad_rows = 0;
  std::error_code ec = reader->ForEachRow([&](const localstore::StoredRow& row) {
    if (row.damaged) {
      ++bad_rows;
      std::fprintf(err,
                   "amactl dump: row %lld of %s is damaged (its compressed records fail their "
                   "checks); skipped\n",
                   static_cast<long long>(row.row_id), path.c_str());
      return true;
    }
    std::uint64_t records = 0;
    const bool ok = WriteRecordLines(row.entries, reader->stream_id(),
                                     RecordLineOptions{.with_time = with_time}, out, &records);
    if (!ok) {
      ++bad_rows;
      std::fprintf(err, "amactl dump: row %lld of %s holds malformed records; skipped\n",
                   static_cast<long long>(row.row_id), path.c_str());
    }
    return true;
  });
  if (ec) {
    std::fprintf(err, "amactl dump: reading %s failed: %s\n", path.c_str(), ec.message().c_str());
    return 1;
  }
  return bad_rows == 0 ? 0 : 1;
}

}  // namespace amactl
