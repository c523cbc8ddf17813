#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "base/args.h"
#include "base/uuid.h"
#include "commands.h"
#include "localstore/table_name.h"
#include "pipes/client.h"
#include "pipes/routing_table.h"
#include "rapidjson/document.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"
#include "socket_flags.h"

namespace amactl {
namespace {

std::string Help() {
  return "Usage: amactl status [options]\n\n"
         "Asks a running host for its status over the config socket. The first line names the\n"
         "worst current problem, or says healthy; the other problems follow (\"also: …\"). Then\n"
         "its sockets, what it has received, committed and acknowledged, what it dropped and why\n"
         "(unknown_stream, malformed, overload, store_error, quota, expired), each stream's\n"
         "backlog and upload figures and its table file (for amactl dump), what extensions\n"
         "reported on the diagnostics socket (each reporter's count and last record), and each\n"
         "open connection with its peer and counters. While the host has no configuration yet, "
         "the\n"
         "first line says \"waiting for a configuration\" and why.\n\n"
         "Options:\n"
         "  --json                   print the whole status document as JSON\n"
         "  --timeout SECONDS        how long to wait for the reply (default 10)\n" +
         SocketFlagsHelp();
}

std::uint64_t U(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsUint64() ? it->value.GetUint64() : 0;
}

std::string S(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

// The member `name` of `object` if it is an object, else null (absent in an older host's reply).
const rapidjson::Value* Object(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsObject() ? &it->value : nullptr;
}

// The first line: the worst current problem, or "healthy" (the host computes it: a --json
// reader finds the same in host.health), then the other problems.
std::string HealthLines(const rapidjson::Value& status) {
  const rapidjson::Value* health = Object(status["host"], "health");
  if (health == nullptr) return "health unknown (the host is older than this amactl)\n";
  std::string text = S(*health, "summary") + "\n";
  auto problems = health->FindMember("problems");
  if (problems == health->MemberEnd() || !problems->value.IsArray()) return text;
  bool first = true;
  for (const auto& problem : problems->value.GetArray()) {
    if (!first) text += "also: " + S(problem, "message") + "\n";
    first = false;
  }
  return text;
}

void PrintSummary(const rapidjson::Value& status, std::FILE* out) {
  std::string text = HealthLines(status);
  text += fmt::format("amahost {}\n", S(status, "version"));
  text += "sockets:";
  for (const auto& socket : status["sockets"].GetArray()) {
    text += fmt::format("\n  {}", socket.IsString() ? socket.GetString() : "?");
  }
  const auto& c = status["counters"];
  const auto& dropped = c["dropped"];
  const auto& host = status["host"];
  const rapidjson::Value* store_member = Object(host, "store");
  const rapidjson::Value* retention = store_member ? Object(*store_member, "retention") : nullptr;
  // Every drop reason on one line: the sockets' own, then the store's (README, "Counters").
  text += fmt::format(
      "\nconnections: {} open ({} accepted, {} refused, {} closed when idle)\n"
      "records: {} received in {} messages, {} committed, {} acks sent\n"
      "dropped: unknown_stream {}, malformed {}, overload {}, store_error {}, quota {}, "
      "expired {}\n"
      "memory: {} bytes awaiting commit (peak {}), {} bytes of read buffers (peak {})\n",
      U(c, "connectionsOpen"), U(c, "connectionsAccepted"), U(c, "connectionsRefused"),
      U(c, "connectionsIdleClosed"), U(c, "recordsReceived"), U(c, "messages"),
      U(c, "recordsCommitted"), U(c, "acksSent"), U(dropped, "unknown_stream"),
      U(dropped, "malformed"), U(dropped, "overload"), U(dropped, "store_error"),
      store_member ? U(*store_member, "quotaDroppedRecords") : 0,
      retention ? U(*retention, "expiredRecords") : 0, U(c, "inflightBytes"),
      U(c, "inflightBytesPeak"), U(c, "bufferBytes"), U(c, "bufferBytesPeak"));
  if (const rapidjson::Value* source = Object(host, "configSource")) {
    const std::string kind = S(*source, "kind");
    if (kind == "controlPlane" || kind == "directory") {
      text += fmt::format(
          "configuration: {} {}, last read {}{}\n",
          kind == "controlPlane" ? "control plane" : "DCR folder", S(*source, "location"),
          S(*source, "lastSuccess").empty() ? "never" : S(*source, "lastSuccess"),
          S(*source, "failingSince").empty()
              ? ""
              : fmt::format(", failing since {} ({} attempts): {}", S(*source, "failingSince"),
                            U(*source, "failures"), S(*source, "lastError")));
    }
  }
  if (store_member != nullptr) {
    const auto& store = *store_member;
    bool disk_full =
        store.HasMember("diskFull") && store["diskFull"].IsBool() && store["diskFull"].GetBool();
    text += fmt::format("store: {} of {} bytes of quota used; {} records dropped by the quota\n",
                        U(store, "storedBytes"), U(store, "quotaBytes"),
                        U(store, "quotaDroppedRecords"));
    text += fmt::format("store: {} batches ({} bytes) waiting to commit{}\n",
                        U(store, "queuedBatches"), U(store, "queuedBytes"),
                        disk_full ? fmt::format(", DISK FULL: {} batches held, not acknowledged",
                                                U(store, "heldBatches"))
                                  : "");
    const std::uint64_t tables = U(store, "tables");
    const std::uint64_t commits = U(store, "commits");
    text += fmt::format("store: {} {}, {} open (the others closed while idle); {} {}\n", tables,
                        tables == 1 ? "table" : "tables", U(store, "openTables"), commits,
                        commits == 1 ? "commit" : "commits");
    if (retention != nullptr && !S(*retention, "maxAge").empty()) {
      text += fmt::format(
          "store: records older than {} (event time) are removed: {} expired, {} dead letters\n",
          S(*retention, "maxAge"), U(*retention, "expiredRecords"),
          U(*retention, "expiredDeadLetters"));
    }
  }
  if (host.IsObject() && host.HasMember("streams") && host["streams"].IsArray()) {
    text += "streams:\n";
    for (const auto& stream : host["streams"].GetArray()) {
      if (S(stream, "streamId") == pipes::kDiagnosticsStreamId) {
        text += fmt::format("  {} (the diagnostics socket's records: kept here, never uploaded)\n",
                            S(stream, "streamId"));
        text += fmt::format("    table {}/Tables/{}; {} records\n", S(host, "stateDir"),
                            S(stream, "table"), U(stream, "backlogRecords"));
        continue;
      }
      text += fmt::format(
          "  {}\n    backlog {} records ({} bytes), uploaded {}, rejected {}, dropped by quota {}, "
          "expired {}, retries {}, last HTTP {}{}\n",
          S(stream, "streamId"), U(stream, "backlogRecords"), U(stream, "backlogBytes"),
          U(stream, "recordsUploaded"), U(stream, "recordsRejected"),
          U(stream, "quotaDroppedRecords"), U(stream, "expiredRecords"), U(stream, "retries"),
          U(stream, "lastStatus"),
          // An error is shown while it is current: a success since clears it.
          S(stream, "failingSince").empty()
              ? (S(stream, "lastError").empty()
                     ? ""
                     : ", last error since the last success: " + S(stream, "lastError"))
              : ", failing since " + S(stream, "failingSince") + ": " + S(stream, "lastError"));
      const auto parked = stream.FindMember("parked");
      if (parked != stream.MemberEnd() && parked->value.IsBool() && parked->value.GetBool()) {
        text += fmt::format(
            "    parked (no route): no active DCR routes this stream; its {} records wait for "
            "one that does, and its table is closed once empty\n",
            U(stream, "backlogRecords"));
      }
      // The file to give `amactl dump`; a stream that has received nothing has none yet.
      const std::string table = S(stream, "table");
      text += fmt::format("    table {}/Tables/{}{}\n", S(host, "stateDir"),
                          table.empty() ? localstore::TableFileName(S(stream, "streamId")) : table,
                          table.empty() ? " (not created yet: no record stored)" : "");
      if (U(stream, "deadLetters") > 0) {
        text += fmt::format(
            "    dead letters: {} ({} records, {} bytes); see amactl deadletter list\n",
            U(stream, "deadLetters"), U(stream, "deadLetterRecords"), U(stream, "deadLetterBytes"));
      }
    }
  }
  if (const rapidjson::Value* diagnostics = Object(status, "diagnostics")) {
    // "1 record", "2 records".
    auto records = [](std::uint64_t n) { return fmt::format("{} record{}", n, n == 1 ? "" : "s"); };
    text += fmt::format("diagnostics: {} on {}{}\n", records(U(*diagnostics, "records")),
                        S(*diagnostics, "socket"),
                        U(*diagnostics, "records") == 0 ? " (no extension has reported an error)"
                                                        : "; the last of each reporter:");
    auto sources = diagnostics->FindMember("sources");
    if (sources != diagnostics->MemberEnd() && sources->value.IsArray()) {
      for (const auto& source : sources->value.GetArray()) {
        text += fmt::format("  {}: {}, last at {}\n    {}\n", S(source, "tag"),
                            records(U(source, "records")), S(source, "lastTime"),
                            S(source, "lastRecord"));
      }
    }
  }
  const auto& connections = status["connections"];
  if (connections.IsArray() && !connections.Empty()) {
    text += "connections:\n";
    for (const auto& connection : connections.GetArray()) {
      text += fmt::format(
          "  #{} on {} from {} since {}\n    {} messages, {} records received, {} committed, {} "
          "acks, {} with no output stream\n",
          U(connection, "id"), S(connection, "socket"), S(connection, "peer"),
          S(connection, "opened"), U(connection, "messages"), U(connection, "recordsReceived"),
          U(connection, "recordsCommitted"), U(connection, "acksSent"),
          U(connection, "unknownStream"));
    }
  }
  std::fputs(text.c_str(), out);
}

}  // namespace

int StatusCommand(const std::vector<std::string>& argv, std::FILE* out, std::FILE* err) {
  base::ArgReader args(argv);
  pipes::SocketNaming naming = DefaultSocketNaming();
  bool json = false;
  std::chrono::milliseconds timeout(10000);
  while (!args.Done()) {
    if (args.TakeFlag("--help")) {
      std::fputs(Help().c_str(), out);
      return 0;
    }
    if (args.TakeFlag("--json")) {
      json = true;
      continue;
    }
    if (args.TakeSeconds("--timeout", 0.001, 3600, &timeout)) continue;
    if (TakeSocketFlag(args, &naming)) continue;
    args.RejectCurrent();
  }
  if (!args.error().empty()) {
    std::fprintf(err, "amactl status: %s\n%s", args.error().c_str(), Help().c_str());
    return 2;
  }
  pipes::SocketAddress address = pipes::ConfigSocketAddress(naming);
  std::unique_ptr<pipes::Client> client;
  std::string buffer, reply;
  std::error_code ec = pipes::Client::Connect(address, &client);
  if (!ec) {
    ec = client->SendAll(R"({"Request":"AmahostStatus","RequestId":")" + base::NewUuid() +
                         R"(","Version":"1"})");
  }
  if (!ec) ec = client->ReadJsonObject(&buffer, &reply, timeout);
  if (ec) {
    std::fprintf(err, "amactl status: no reply from %s: %s%s\n", address.Display().c_str(),
                 ec.message().c_str(), ConnectHint(naming, ec).c_str());
    return 1;
  }
  rapidjson::Document document;
  document.Parse(reply.c_str(), reply.size());
  if (!document.IsObject() || !document.HasMember("Status") || !document["Status"].IsObject()) {
    std::fprintf(err, "amactl status: the host did not answer with a status:\n%s\n", reply.c_str());
    return 1;
  }
  if (json) {
    rapidjson::StringBuffer pretty;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(pretty);
    writer.SetIndent(' ', 2);
    document["Status"].Accept(writer);
    std::fprintf(out, "%s\n", pretty.GetString());
  } else {
    PrintSummary(document["Status"], out);
  }
  return 0;
}

}  // namespace amactl
