#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/args.h"
#include "base/files.h"
#include "base/logger.h"
#include "base/uuid.h"
#include "codec/fluent_entries.h"
#include "codec/json_text.h"
#include "codec/msgpack_json.h"
#include "commands.h"
#include "localstore/store.h"
#include "localstore/table_reader.h"
#include "pipes/client.h"
#include "rapidjson/document.h"
#include "state_folder.h"

namespace amactl {
namespace {

constexpr char kHelp[] = R"(Usage: amactl deadletter <list|show|resend|drop> [ID|--all] [options]

A batch that a receiver refuses for good (an HTTP 4xx other than 401, 403, 408 and 429) or a
Logs Ingestion record larger than a call may carry is not deleted: its records are kept as a
dead letter in their stream's table, with the status, the start of the response and the time.

  list               every dead letter: its id, stream, when it was refused, the HTTP status,
                     records, bytes and the start of the response
  show ID            one dead letter in full, then its records as NDJSON
  resend ID|--all    put the records back at the end of their stream: the host sends them again
  drop ID|--all      delete them for good

Works on the state folder, whether a host runs on it or not: lists read the tables directly;
resend and drop are done by the running host (asked on the socket it writes into its lock
file; only root or the host's own user may), or, with no host running, in the tables
themselves (the next host start sends what was resent).

Options:
  --state-dir DIR       the host's state folder (default ./amahost-state)
  --stream ID|DATATYPE  only this stream's dead letters (needed when an ID is in several streams)
  --all                 resend or drop every dead letter (of --stream, if given)
  --json                list and show print JSON
)";

// One dead letter and the stream whose table holds it.
struct Found {
  std::string stream;
  std::filesystem::path table;
  localstore::DeadLetter letter;
};

// Every dead letter in the state folder's tables whose stream matches `filter`.
bool Collect(const std::filesystem::path& state_dir, const std::string& filter,
             std::vector<Found>* found, std::FILE* err) {
  std::vector<std::filesystem::path> files;
  std::string error;
  if (!ListTables(state_dir, &files, &error)) {
    std::fprintf(err, "amactl deadletter: %s\n", error.c_str());
    return false;
  }
  for (const std::filesystem::path& file : files) {
    std::unique_ptr<localstore::TableReader> reader;
    if (std::error_code open = localstore::TableReader::Open(file, &reader)) {
      std::fprintf(err, "amactl deadletter: cannot read %s: %s; skipped\n", file.c_str(),
                   open.message().c_str());
      continue;
    }
    if (!StreamMatches(reader->stream_id(), filter)) continue;
    std::vector<localstore::DeadLetter> letters;
    if (std::error_code read = reader->DeadLetters(&letters)) {
      std::fprintf(err, "amactl deadletter: cannot read the dead letters of %s: %s\n", file.c_str(),
                   read.message().c_str());
      continue;
    }
    for (localstore::DeadLetter& letter : letters) {
      found->push_back(Found{reader->stream_id(), file, std::move(letter)});
    }
  }
  return true;
}

std::string LetterJson(const Found& found) {
  const localstore::DeadLetter& letter = found.letter;
  std::string json = fmt::format("{{\"id\":{},\"stream\":", letter.id);
  codec::AppendJsonString(&json, found.stream);
  json += ",\"table\":";
  codec::AppendJsonString(&json, found.table.filename().string());
  json += ",\"refused\":";
  codec::AppendJsonString(&json, ShortTime(letter.created_unix_ns));
  json += ",\"received\":";
  codec::AppendJsonString(&json, ShortTime(letter.received_unix_ns));
  json += fmt::format(",\"status\":{},\"records\":{},\"bytes\":{},\"requestId\":", letter.status,
                      letter.count, letter.bytes);
  codec::AppendJsonString(&json, letter.request_id);
  json += ",\"endpoint\":";
  codec::AppendJsonString(&json, letter.endpoint);
  json += ",\"response\":";
  codec::AppendJsonString(&json, letter.response);
  json += '}';
  return json;
}

// The letters an ID (or --all) names; explains and returns false when it is none or ambiguous.
bool Select(const std::vector<Found>& all, std::int64_t id, bool every, std::vector<Found>* out,
            std::FILE* err) {
  for (const Found& found : all) {
    if (every || found.letter.id == id) out->push_back(found);
  }
  if (every) return true;
  if (out->empty()) {
    std::fprintf(err,
                 "amactl deadletter: no dead letter %lld (amactl deadletter list shows them)\n",
                 static_cast<long long>(id));
    return false;
  }
  if (out->size() > 1) {
    std::string streams;
    for (const Found& found : *out) streams += "\n  " + found.stream;
    std::fprintf(err, "amactl deadletter: dead letter %lld is in %zu streams; add --stream:%s\n",
                 static_cast<long long>(id), out->size(), streams.c_str());
    return false;
  }
  return true;
}

// Resends or drops in a running host, over the socket its lock file names.
int AskHost(const std::string& socket, const std::string& action, const std::vector<Found>& targets,
            bool every, std::FILE* out, std::FILE* err) {
  pipes::SocketAddress address;
  if (!socket.empty() && socket.front() == '@') {
    address = {pipes::SocketMode::kAbstract, socket.substr(1)};
  } else {
    address = {pipes::SocketMode::kPath, socket};
  }
  // One request per stream with --all, else one per letter.
  std::vector<std::pair<std::string, std::int64_t>> requests;
  std::set<std::string> streams;
  for (const Found& found : targets) {
    if (every) {
      if (streams.insert(found.stream).second) requests.emplace_back(found.stream, 0);
    } else {
      requests.emplace_back(found.stream, found.letter.id);
    }
  }
  std::uint64_t letters = 0, records = 0;
  for (const auto& [stream, id] : requests) {
    std::string json = R"({"Request":"AmahostDeadLetter","RequestId":")" + base::NewUuid() +
                       R"(","Version":"1","Action":")" + action + R"(","Stream":)";
    codec::AppendJsonString(&json, stream);
    json += id > 0 ? fmt::format(",\"Id\":{}}}", id) : std::string(",\"All\":true}");
    std::unique_ptr<pipes::Client> client;
    std::string buffer, reply;
    std::error_code ec = pipes::Client::Connect(address, &client);
    if (!ec) ec = client->SendAll(json);
    if (!ec) ec = client->ReadJsonObject(&buffer, &reply, std::chrono::seconds(30));
    if (ec) {
      std::fprintf(err,
                   "amactl deadletter: the host on this state folder does not answer on %s: %s\n",
                   address.Display().c_str(), ec.message().c_str());
      return 1;
    }
    rapidjson::Document document;
    document.Parse(reply.c_str(), reply.size());
    if (!document.IsObject() || !document.HasMember("Success") || !document["Success"].IsBool()) {
      std::fprintf(err, "amactl deadletter: unexpected reply: %s\n", reply.c_str());
      return 1;
    }
    if (!document["Success"].GetBool()) {
      std::fprintf(err, "amactl deadletter: the host refused: %s\n",
                   document.HasMember("Description") && document["Description"].IsString()
                       ? document["Description"].GetString()
                       : "");
      return 1;
    }
    letters += document["Letters"].GetUint64();
    records += document["Records"].GetUint64();
  }
  std::fprintf(out, "%s %llu dead letters (%llu records)%s\n",
               action == "resend" ? "resent" : "dropped", static_cast<unsigned long long>(letters),
               static_cast<unsigned long long>(records),
               action == "resend" ? "; the host sends them now" : "");
  return 0;
}

// Resends or drops in the tables themselves, while this process holds the state folder's lock.
int Offline(const std::filesystem::path& tables, const std::string& action,
            const std::vector<Found>& targets, std::FILE* out, std::FILE* err) {
  base::StderrLogger logger(base::LogLevel::kWarning);
  localstore::StoreOptions options;
  options.tables_dir = tables;
  options.logger = &logger;
  std::unique_ptr<localstore::Store> store;
  if (std::error_code ec = localstore::Store::Open(options, &store)) {
    std::fprintf(err, "amactl deadletter: cannot open the tables in %s: %s\n", tables.c_str(),
                 ec.message().c_str());
    return 1;
  }
  std::uint64_t letters = 0, records = 0;
  for (const Found& found : targets) {
    localstore::DeadLetter letter;
    std::error_code ec = action == "resend"
                             ? store->ResendDeadLetter(found.stream, found.letter.id, &letter)
                             : store->DropDeadLetter(found.stream, found.letter.id, &letter);
    if (ec) {
      std::fprintf(err, "amactl deadletter: dead letter %lld of %s: %s\n",
                   static_cast<long long>(found.letter.id), found.stream.c_str(),
                   ec.message().c_str());
      return 1;
    }
    ++letters;
    records += letter.count;
  }
  store->Close();
  std::fprintf(
      out, "%s %llu dead letters (%llu records)%s\n", action == "resend" ? "resent" : "dropped",
      static_cast<unsigned long long>(letters), static_cast<unsigned long long>(records),
      action == "resend" ? "; no host runs on this state folder: the next one sends them" : "");
  return 0;
}

}  // namespace

int DeadLetterCommand(const std::vector<std::string>& argv, std::FILE* out, std::FILE* err) {
  base::ArgReader args(argv);
  std::filesystem::path state_dir = "amahost-state";
  std::string action, stream, id_text, value;
  bool every = false, json = false;
  while (!args.Done()) {
    if (args.TakeFlag("--help")) {
      std::fputs(kHelp, out);
      return 0;
    }
    if (args.TakeOption("--state-dir", &value)) {
      state_dir = value;
      continue;
    }
    if (args.TakeOption("--stream", &stream)) continue;
    if (args.TakeFlag("--all")) {
      every = true;
      continue;
    }
    if (args.TakeFlag("--json")) {
      json = true;
      continue;
    }
    if (action.empty() && args.TakePositional(&action)) continue;
    if (id_text.empty() && args.TakePositional(&id_text)) continue;
    args.RejectCurrent();
  }
  auto usage = [&](const std::string& message) {
    std::fprintf(err, "amactl deadletter: %s\n%s", message.c_str(), kHelp);
    return 2;
  };
  if (!args.error().empty()) return usage(args.error());
  if (action != "list" && action != "show" && action != "resend" && action != "drop") {
    return usage(action.empty() ? "which action? list, show, resend or drop"
                                : "unknown action '" + action + "'");
  }
  std::int64_t id = 0;
  if (!id_text.empty()) {
    char* end = nullptr;
    id = std::strtoll(id_text.c_str(), &end, 10);
    if (end == id_text.c_str() || *end != '\0' || id <= 0) {
      return usage("'" + id_text + "' is not a dead letter id (a positive number)");
    }
  }
  if (action == "list" && (id != 0 || every)) return usage("list takes no ID");
  if (action == "show" && id == 0) return usage("show which dead letter? give its ID");
  if ((action == "resend" || action == "drop") && (id == 0) == !every) {
    return usage(action + " takes an ID or --all");
  }

  const std::filesystem::path tables = state_dir / "Tables";
  std::vector<Found> all;
  if (!Collect(state_dir, stream, &all, err)) return 1;

  if (action == "list") {
    if (json) {
      std::string text = "[";
      for (std::size_t i = 0; i < all.size(); ++i) {
        if (i > 0) text += ',';
        text += LetterJson(all[i]);
      }
      std::fprintf(out, "%s]\n", text.c_str());
      return 0;
    }
    if (all.empty()) {
      std::fprintf(out, "no dead letters in %s\n", tables.c_str());
      return 0;
    }
    std::fprintf(out, "%-5s %-21s %-6s %8s %10s  %s\n", "ID", "REFUSED", "STATUS", "RECORDS",
                 "BYTES", "STREAM / RESPONSE");
    for (const Found& found : all) {
      const localstore::DeadLetter& letter = found.letter;
      std::string response = letter.response.substr(0, 100);
      for (char& c : response) {
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
      }
      std::fprintf(out, "%-5lld %-21s %-6d %8u %10llu  %s\n%48s%s\n",
                   static_cast<long long>(letter.id), ShortTime(letter.created_unix_ns).c_str(),
                   letter.status, letter.count, static_cast<unsigned long long>(letter.bytes),
                   found.stream.c_str(), "", response.c_str());
    }
    return 0;
  }

  std::vector<Found> targets;
  if (!Select(all, id, every, &targets, err)) return 1;

  if (action == "show") {
    const Found& found = targets.front();
    std::unique_ptr<localstore::TableReader> reader;
    localstore::DeadLetter letter;
    std::error_code ec = localstore::TableReader::Open(found.table, &reader);
    if (!ec) ec = reader->ReadDeadLetter(found.letter.id, &letter);
    if (ec) {
      std::fprintf(err, "amactl deadletter: cannot read dead letter %lld: %s\n",
                   static_cast<long long>(id), ec.message().c_str());
      return 1;
    }
    if (json) {
      std::fprintf(out, "%s\n", LetterJson(found).c_str());
    } else {
      const localstore::DeadLetter& l = found.letter;
      std::fprintf(out,
                   "dead letter %lld of %s\n  refused   %s, HTTP %d\n  received  %s\n"
                   "  records   %u (%llu bytes)\n  request   %s\n  endpoint  %s\n"
                   "  response  %s\nrecords:\n",
                   static_cast<long long>(l.id), found.stream.c_str(),
                   ShortTime(l.created_unix_ns).c_str(), l.status,
                   ShortTime(l.received_unix_ns).c_str(), l.count,
                   static_cast<unsigned long long>(l.bytes), l.request_id.c_str(),
                   l.endpoint.c_str(), l.response.c_str());
    }
    std::string line;
    bool ok =
        codec::ForEachEntry(letter.entries, [&](const codec::EventTime&, std::string_view record) {
          line.clear();
          codec::MsgpackCursor cursor(record);
          if (!codec::AppendMsgpackAsJson(cursor, &line)) return false;
          line += '\n';
          std::fwrite(line.data(), 1, line.size(), out);
          return true;
        });
    if (!ok) std::fprintf(err, "amactl deadletter: some records are malformed; not shown\n");
    return 0;
  }

  if (targets.empty()) {
    std::fprintf(out, "no dead letters to %s\n", action.c_str());
    return 0;
  }
  // Whoever holds the lock runs on this state folder: a host (ask it), or nobody (do it here,
  // holding the lock so that no host starts meanwhile).
  const std::filesystem::path lock_path = state_dir / "amahost.lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(err, "amactl deadletter: cannot open %s: %s\n", lock_path.c_str(),
                 std::strerror(errno));
    return 1;
  }
  int result = 0;
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
    result = Offline(tables, action, targets, out, err);
  } else {
    std::string content;
    base::ReadFile(lock_path, 4096, &content);
    std::size_t newline = content.find('\n');
    std::string socket = newline == std::string::npos ? "" : content.substr(newline + 1);
    while (!socket.empty() && (socket.back() == '\n' || socket.back() == '\r')) socket.pop_back();
    if (socket.empty()) {
      std::fprintf(err,
                   "amactl deadletter: a host runs on %s but its lock file does not name its "
                   "socket (an older amahost?); stop it, or restart it with this version\n",
                   state_dir.c_str());
      result = 1;
    } else {
      result = AskHost(socket, action, targets, every, out, err);
    }
  }
  ::close(fd);
  return result;
}

}  // namespace amactl
