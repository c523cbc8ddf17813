#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/args.h"
#include "commands.h"
#include "localstore/table_reader.h"
#include "record_lines.h"
#include "state_folder.h"

namespace amactl {
namespace {

constexpr char kHelp[] =
    "Usage: amactl dump <file.tsf> [--with-time]\n"
    "       amactl dump --state-dir DIR --stream ID|DATATYPE [--with-time]\n\n"
    "Prints every record a local table holds (<state-dir>/Tables/*.tsf) as one JSON object per\n"
    "line, oldest first. The table can be read while the host runs. A table holds only what is\n"
    "not uploaded yet: the host deletes records once the cloud has taken them (look for those at\n"
    "the receiver, e.g. amactl items against mockcloud; or run the host with --no-upload).\n\n"
    "Options:\n"
    "  --state-dir DIR          the host's --state-dir; with --stream, instead of a file\n"
    "  --stream ID|DATATYPE     the stream whose table to print: its stream id, or its\n"
    "                           DATATYPE when one stream of the folder has it\n"
    "  --with-time              print {\"time\":…,\"record\":{…}} with each record's event time\n";

// The table of `stream` in `state_dir`; false with *error naming the streams there.
bool FindStreamTable(const std::string& state_dir, const std::string& stream, std::string* path,
                     std::string* error) {
  std::vector<std::filesystem::path> tables;
  if (!ListTables(state_dir, &tables, error)) return false;
  std::vector<std::pair<std::string, std::string>> matches;  // stream id, path
  std::string known;
  for (const auto& table : tables) {
    std::unique_ptr<localstore::TableReader> reader;
    if (localstore::TableReader::Open(table, &reader)) continue;
    known += "\n  " + reader->stream_id() + "  (" + table.filename().string() + ")";
    if (StreamMatches(reader->stream_id(), stream)) {
      matches.emplace_back(reader->stream_id(), table.string());
    }
  }
  if (matches.size() == 1) {
    *path = matches[0].second;
    return true;
  }
  if (matches.empty()) {
    *error = "no table of " + state_dir + " holds stream '" + stream + "'" +
             (known.empty() ? std::string(" (it has no tables yet: a table is made with a "
                                          "stream's first record)")
                            : "; its streams:" + known);
  } else {
    *error = "'" + stream + "' names several streams; give the stream id:";
    for (const auto& match : matches) *error += "\n  " + match.first;
  }
  return false;
}

}  // namespace

int DumpCommand(const std::vector<std::string>& argv, std::FILE* out, std::FILE* err) {
  base::ArgReader args(argv);
  std::string path, state_dir, stream;
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
    if (args.TakeOption("--state-dir", &state_dir)) continue;
    if (args.TakeOption("--stream", &stream)) continue;
    if (path.empty() && args.TakePositional(&path)) continue;
    args.RejectCurrent();
  }
  std::string problem = args.error();
  if (problem.empty() && !path.empty() && (!state_dir.empty() || !stream.empty())) {
    problem = "give a .tsf file, or --state-dir with --stream, not both";
  } else if (problem.empty() && path.empty() && (state_dir.empty() != stream.empty())) {
    problem = state_dir.empty() ? "--stream needs --state-dir DIR (the host's)"
                                : "--state-dir needs --stream ID|DATATYPE (amactl tables DIR "
                                  "lists them)";
  } else if (problem.empty() && path.empty() && state_dir.empty()) {
    problem = "which table? give a .tsf file, or --state-dir DIR --stream ID|DATATYPE";
  }
  if (!problem.empty()) {
    std::fprintf(err, "amactl dump: %s\n%s", problem.c_str(), kHelp);
    return 2;
  }
  if (path.empty()) {
    std::string error;
    if (!FindStreamTable(state_dir, stream, &path, &error)) {
      std::fprintf(err, "amactl dump: %s\n", error.c_str());
      return 1;
    }
  }
  std::unique_ptr<localstore::TableReader> reader;
  if (std::error_code ec = localstore::TableReader::Open(path, &reader)) {
    std::fprintf(err, "amactl dump: cannot read %s: %s\n", path.c_str(), ec.message().c_str());
    return 1;
  }
  std::size_t bad_rows = 0;
  std::uint64_t printed = 0;
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
    printed += records;
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
  if (printed == 0 && bad_rows == 0) {
    // An empty answer would look like lost records; say why it is empty.
    std::fprintf(err,
                 "amactl dump: %s holds no records: the host deletes them once uploaded (look "
                 "at the receiver, e.g. amactl items; or run the host with --no-upload)\n",
                 path.c_str());
  }
  return bad_rows == 0 ? 0 : 1;
}

}  // namespace amactl
