// amactl tables: what each table of a state folder holds.

#include <fmt/format.h>

#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "base/args.h"
#include "codec/fluent_entries.h"
#include "codec/json_text.h"
#include "commands.h"
#include "localstore/table_name.h"
#include "localstore/table_reader.h"
#include "progress.h"
#include "state_folder.h"

namespace amactl {
namespace {

constexpr char kHelp[] = R"(Usage: amactl tables STATE_DIR [--json] [--stream ID|DATATYPE]

Lists the tables of a state folder (STATE_DIR/Tables/*.tsf), read-only (safe beside a running
host): for each, its stream and DATATYPE, the records and bytes it holds, the oldest and newest
event time among them, when its oldest and newest rows were received, and its dead letters.
Reads every record's time (the tables do not index it), so a large store takes a moment.

Options:
  --json                   one JSON document: {"tables":[{…}]}
  --stream ID|DATATYPE     only this stream (a full stream id or its DATATYPE)
)";

struct TableFacts {
  std::filesystem::path path;
  std::string stream_id;
  int schema_version = 0;
  std::uint64_t rows = 0;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;       // of entries, uncompressed
  std::uint64_t file_bytes = 0;  // on disk, WAL included
  std::uint64_t damaged_rows = 0;
  std::int64_t oldest_event_ns = std::numeric_limits<std::int64_t>::max();
  std::int64_t newest_event_ns = std::numeric_limits<std::int64_t>::min();
  std::int64_t oldest_received_ns = 0;
  std::int64_t newest_received_ns = 0;
  std::uint64_t dead_letters = 0;
  std::uint64_t dead_letter_records = 0;
  std::string error;  // the table could not be read
};

TableFacts Inspect(const std::filesystem::path& path) {
  TableFacts facts;
  facts.path = path;
  std::error_code size_error;
  facts.file_bytes = std::filesystem::file_size(path, size_error);
  std::filesystem::path wal = path;
  wal += "-wal";
  if (std::uint64_t wal_bytes = std::filesystem::file_size(wal, size_error); !size_error) {
    facts.file_bytes += wal_bytes;
  }
  std::unique_ptr<localstore::TableReader> reader;
  if (std::error_code ec = localstore::TableReader::Open(path, &reader)) {
    facts.error = ec.message();
    return facts;
  }
  facts.stream_id = reader->stream_id();
  facts.schema_version = reader->schema_version();
  std::error_code ec = reader->ForEachRow([&](const localstore::StoredRow& row) {
    if (facts.rows == 0) facts.oldest_received_ns = row.received_unix_ns;
    facts.newest_received_ns = row.received_unix_ns;
    ++facts.rows;
    facts.records += row.count;
    facts.bytes += row.entries.size();
    if (row.damaged) {
      ++facts.damaged_rows;
      return true;
    }
    codec::MsgpackCursor cursor(row.entries);
    while (!cursor.AtEnd()) {
      codec::EventTime time;
      if (!codec::ReadEntryHead(cursor, &time) || !cursor.Skip()) {
        ++facts.damaged_rows;
        break;
      }
      const std::int64_t ns = codec::EventTimeToUnixNs(time);
      facts.oldest_event_ns = std::min(facts.oldest_event_ns, ns);
      facts.newest_event_ns = std::max(facts.newest_event_ns, ns);
    }
    return true;
  });
  if (ec) {
    facts.error = "reading its rows failed: " + ec.message();
    return facts;
  }
  std::vector<localstore::DeadLetter> letters;
  if (std::error_code letters_error = reader->DeadLetters(&letters)) {
    facts.error = "reading its dead letters failed: " + letters_error.message();
    return facts;
  }
  facts.dead_letters = letters.size();
  for (const localstore::DeadLetter& letter : letters) facts.dead_letter_records += letter.count;
  return facts;
}

std::string Json(const std::vector<TableFacts>& all) {
  std::string json = "{\"tables\":[";
  bool first = true;
  for (const TableFacts& t : all) {
    if (!first) json += ',';
    first = false;
    json += "{\"table\":";
    codec::AppendJsonString(&json, t.path.filename().string());
    if (!t.error.empty()) {
      json += ",\"error\":";
      codec::AppendJsonString(&json, t.error);
      json += '}';
      continue;
    }
    json += ",\"stream\":";
    codec::AppendJsonString(&json, t.stream_id);
    json += ",\"dataType\":";
    codec::AppendJsonString(&json, std::string(localstore::DataTypeOf(t.stream_id)));
    json += fmt::format(
        ",\"schemaVersion\":{},\"rows\":{},\"records\":{},\"bytes\":{},\"fileBytes\":{},"
        "\"damagedRows\":{},\"deadLetters\":{},\"deadLetterRecords\":{}",
        t.schema_version, t.rows, t.records, t.bytes, t.file_bytes, t.damaged_rows, t.dead_letters,
        t.dead_letter_records);
    auto time = [&json](const char* name, std::int64_t ns, bool known) {
      json += fmt::format(",\"{}\":", name);
      if (!known) {
        json += "null";
        return;
      }
      codec::AppendJsonString(&json, FullTime(ns));
    };
    const bool events = t.oldest_event_ns <= t.newest_event_ns;
    time("oldestEventTime", t.oldest_event_ns, events);
    time("newestEventTime", t.newest_event_ns, events);
    time("oldestReceived", t.oldest_received_ns, t.rows != 0);
    time("newestReceived", t.newest_received_ns, t.rows != 0);
    json += '}';
  }
  json += "]}\n";
  return json;
}

}  // namespace

int TablesCommand(const std::vector<std::string>& argv, std::FILE* out, std::FILE* err) {
  base::ArgReader args(argv);
  std::string state_dir;
  std::string stream;
  bool json = false;
  while (!args.Done()) {
    if (args.TakeFlag("--help")) {
      std::fputs(kHelp, out);
      return 0;
    }
    if (args.TakeFlag("--json")) {
      json = true;
      continue;
    }
    if (args.TakeOption("--stream", &stream)) continue;
    if (state_dir.empty() && args.TakePositional(&state_dir)) continue;
    args.RejectCurrent();
  }
  if (!args.error().empty() || state_dir.empty()) {
    std::fprintf(
        err, "amactl tables: %s\nTry 'amactl tables --help'.\n",
        args.error().empty() ? "which state folder? give STATE_DIR" : args.error().c_str());
    return 2;
  }
  std::vector<std::filesystem::path> paths;
  std::string error;
  if (!ListTables(state_dir, &paths, &error)) {
    std::fprintf(err, "amactl tables: %s\n", error.c_str());
    return 1;
  }
  std::vector<TableFacts> all;
  bool failed = false;
  for (const std::filesystem::path& path : paths) {
    TableFacts facts = Inspect(path);
    if (facts.error.empty() && !StreamMatches(facts.stream_id, stream)) continue;
    if (!facts.error.empty()) failed = true;
    all.push_back(std::move(facts));
  }
  if (json) {
    std::fputs(Json(all).c_str(), out);
    return failed ? 1 : 0;
  }
  if (all.empty()) {
    std::fprintf(out, "no tables%s in %s/Tables\n", stream.empty() ? "" : " of that stream",
                 state_dir.c_str());
    return 0;
  }
  for (const TableFacts& t : all) {
    if (!t.error.empty()) {
      std::fprintf(out, "%s\n  cannot be read: %s\n\n", t.path.filename().c_str(), t.error.c_str());
      continue;
    }
    std::string text =
        fmt::format("{}\n  stream       {}\n  DATATYPE     {}\n", t.path.filename().string(),
                    t.stream_id, localstore::DataTypeOf(t.stream_id));
    text += fmt::format("  records      {} in {} rows, {} ({} on disk)\n", t.records, t.rows,
                        HumanBytes(t.bytes), HumanBytes(t.file_bytes));
    if (t.oldest_event_ns <= t.newest_event_ns) {
      text += fmt::format("  event time   {} … {}\n", ShortTime(t.oldest_event_ns),
                          ShortTime(t.newest_event_ns));
    }
    if (t.rows != 0) {
      text += fmt::format("  received     {} … {}\n", ShortTime(t.oldest_received_ns),
                          ShortTime(t.newest_received_ns));
    }
    text += fmt::format("  dead letters {}", t.dead_letters);
    if (t.dead_letters != 0) text += fmt::format(" ({} records)", t.dead_letter_records);
    text += '\n';
    if (t.damaged_rows != 0) {
      text += fmt::format("  damaged      {} rows cannot be read back\n", t.damaged_rows);
    }
    std::fputs((text + "\n").c_str(), out);
  }
  return failed ? 1 : 0;
}

}  // namespace amactl
