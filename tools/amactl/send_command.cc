#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "base/args.h"
#include "codec/fluent_entries.h"
#include "codec/json_parse.h"
#include "codec/msgpack_json.h"
#include "commands.h"
#include "pipes/client.h"
#include "pipes/forward_encoder.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "socket_flags.h"

namespace amactl {
namespace {

using std::chrono::milliseconds;

constexpr std::size_t kMaxInputBytes = 1024ull * 1024 * 1024;
// Records nest inside a message (array → entries → entry → record), and AMA allows nesting 10.
constexpr int kMaxRecordNesting = 6;

std::string Help() {
  return "Usage: amactl send --stream <id> [options] < records.ndjson\n\n"
         "Reads one JSON object per line and sends them as Fluent Forward messages to an\n"
         "extension's data socket, as the extension would. Nothing is sent if any line is bad.\n\n"
         "Options:\n"
         "  --stream ID              the tag: an output stream id\n"
         "                           (dcr-…:CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2) or a "
         "DATATYPE\n"
         "                           that names one stream of the extension\n"
         "  --extension NAME         whose data socket to use (default ChangeTracking-Linux)\n"
         "  --ack                    ask for acks and wait until every record is stored\n"
         "  --mode MODE              forward (default), message, packed or compressed\n"
         "  --batch N                records per message (default 100; message mode sends one)\n"
         "  --timeout SECONDS        how long to wait for acks (default 30)\n"
         "  --file FILE              read records from FILE instead of stdin\n" +
         SocketFlagsHelp();
}

bool ReadAll(std::FILE* in, std::string* out) {
  char buffer[65536];
  for (;;) {
    std::size_t n = std::fread(buffer, 1, sizeof(buffer), in);
    if (n == 0) return !std::ferror(in);
    if (out->size() + n > kMaxInputBytes) return false;
    out->append(buffer, n);
  }
}

// Parses NDJSON into msgpack record maps; returns false with a message naming the line.
bool ParseRecords(const std::string& input, std::vector<std::string>* records, std::string* error) {
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < input.size()) {
    std::size_t end = input.find('\n', start);
    if (end == std::string::npos) end = input.size();
    std::string_view line(input.data() + start, end - start);
    start = end + 1;
    ++line_number;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    rapidjson::Document document;
    document.Parse<rapidjson::kParseIterativeFlag>(line.data(), line.size());
    if (document.HasParseError()) {
      *error = fmt::format("line {}: not valid JSON: {} (at column {})", line_number,
                           rapidjson::GetParseError_En(document.GetParseError()),
                           document.GetErrorOffset() + 1);
      return false;
    }
    if (!document.IsObject()) {
      *error = fmt::format("line {}: a record must be a JSON object", line_number);
      return false;
    }
    std::string record;
    codec::MsgpackWriter writer(&record);
    if (!codec::AppendJsonAsMsgpack(document, writer, kMaxRecordNesting)) {
      *error = fmt::format("line {}: nested deeper than the host accepts ({} levels)", line_number,
                           kMaxRecordNesting + 1);
      return false;
    }
    records->push_back(std::move(record));
  }
  return true;
}

bool ParseMode(const std::string& text, pipes::ForwardMode* mode) {
  if (text == "forward") {
    *mode = pipes::ForwardMode::kForward;
  } else if (text == "message") {
    *mode = pipes::ForwardMode::kMessage;
  } else if (text == "packed") {
    *mode = pipes::ForwardMode::kPackedForward;
  } else if (text == "compressed") {
    *mode = pipes::ForwardMode::kCompressedPackedForward;
  } else {
    return false;
  }
  return true;
}

// Reads the chunk of an {"ack": chunk} reply.
bool AckChunk(std::string_view ack, std::string* chunk) {
  codec::MsgpackCursor cursor(ack);
  std::uint32_t pairs = 0;
  std::string_view key, value;
  if (!cursor.ReadMapHead(&pairs) || pairs != 1 || !cursor.ReadStr(&key) || key != "ack" ||
      !cursor.ReadStr(&value)) {
    return false;
  }
  chunk->assign(value);
  return true;
}

}  // namespace

int SendCommand(const std::vector<std::string>& argv, std::FILE* in, std::FILE* out,
                std::FILE* err) {
  base::ArgReader args(argv);
  pipes::SocketNaming naming = DefaultSocketNaming();
  std::string stream, extension = "ChangeTracking-Linux", mode_text = "forward", file;
  std::int64_t batch = 100;
  bool ack = false;
  milliseconds timeout(30000);
  while (!args.Done()) {
    if (args.TakeFlag("--help")) {
      std::fputs(Help().c_str(), out);
      return 0;
    }
    if (args.TakeOption("--stream", &stream)) continue;
    if (args.TakeOption("--extension", &extension)) continue;
    if (args.TakeOption("--mode", &mode_text)) continue;
    if (args.TakeOption("--file", &file)) continue;
    if (args.TakeNumber("--batch", 1, 100000, &batch)) continue;
    if (args.TakeSeconds("--timeout", 0.001, 86400, &timeout)) continue;
    if (args.TakeFlag("--ack")) {
      ack = true;
      continue;
    }
    if (TakeSocketFlag(args, &naming)) continue;
    args.RejectCurrent();
  }
  pipes::ForwardMode mode{};
  std::string usage_error = args.error();
  if (usage_error.empty() && stream.empty()) usage_error = "--stream is required";
  if (usage_error.empty() && !ParseMode(mode_text, &mode)) {
    usage_error = "--mode takes forward, message, packed or compressed, not '" + mode_text + "'";
  }
  if (!usage_error.empty()) {
    std::fprintf(err, "amactl send: %s\n%s", usage_error.c_str(), Help().c_str());
    return 2;
  }
  if (mode == pipes::ForwardMode::kMessage) batch = 1;

  std::string input;
  std::FILE* source = in;
  if (!file.empty()) {
    source = std::fopen(file.c_str(), "rb");
    if (source == nullptr) {
      std::fprintf(err, "amactl send: cannot open %s\n", file.c_str());
      return 1;
    }
  }
  bool read_ok = ReadAll(source, &input);
  if (source != in) std::fclose(source);
  if (!read_ok) {
    std::fprintf(err, "amactl send: cannot read the records (more than 1 GiB, or a read error)\n");
    return 1;
  }
  std::vector<std::string> records;
  std::string error;
  if (!ParseRecords(input, &records, &error)) {
    std::fprintf(err, "amactl send: %s; nothing was sent\n", error.c_str());
    return 2;
  }
  if (records.empty()) {
    std::fprintf(err, "amactl send: no records on the input; nothing was sent\n");
    return 1;
  }

  pipes::SocketAddress address = pipes::ExtensionSocketAddress(naming, extension);
  std::unique_ptr<pipes::Client> client;
  if (std::error_code ec = pipes::Client::Connect(address, &client)) {
    std::fprintf(
        err, "amactl send: cannot connect to %s: %s%s\n", address.Display().c_str(),
        ec.message().c_str(),
        ConnectHint(naming, ec, "with a configuration and a DCR for " + extension).c_str());
    return 1;
  }

  std::map<std::string, std::size_t> waiting;  // chunk → records
  std::size_t acked = 0, messages = 0;
  std::string replies;
  auto drain_acks = [&](milliseconds wait) -> std::error_code {
    std::string reply, chunk;
    while (!waiting.empty()) {
      std::error_code ec = client->ReadMsgpack(&replies, &reply, wait);
      if (ec) return ec == std::errc::timed_out && wait.count() == 0 ? std::error_code() : ec;
      auto it = AckChunk(reply, &chunk) ? waiting.find(chunk) : waiting.end();
      if (it == waiting.end()) return std::make_error_code(std::errc::bad_message);
      acked += it->second;
      waiting.erase(it);
    }
    return {};
  };

  for (std::size_t first = 0; first < records.size(); first += static_cast<std::size_t>(batch)) {
    std::size_t last = std::min(records.size(), first + static_cast<std::size_t>(batch));
    std::string entries;
    codec::MsgpackWriter writer(&entries);
    for (std::size_t i = first; i < last; ++i) {
      writer.Array(2);
      codec::WriteEventTime(writer, codec::EventTimeNow());
      writer.Raw(records[i]);
    }
    std::string chunk = ack ? pipes::NewChunkId() : std::string();
    std::string message = pipes::EncodeForwardMessage(
        stream, entries, static_cast<std::uint32_t>(last - first), mode, chunk);
    if (std::error_code ec = client->SendAll(message)) {
      std::fprintf(err, "amactl send: the host closed the connection after %zu messages: %s\n",
                   messages, ec.message().c_str());
      return 1;
    }
    ++messages;
    if (ack) {
      waiting[chunk] = last - first;
      if (std::error_code ec = drain_acks(milliseconds(0))) {
        std::fprintf(err, "amactl send: reading acks failed: %s\n", ec.message().c_str());
        return 1;
      }
    }
  }
  std::fprintf(out, "sent %zu records in %zu messages to %s\n", records.size(), messages,
               address.Display().c_str());
  if (!ack) return 0;
  std::error_code ec = drain_acks(timeout);
  std::fprintf(out, "%zu of %zu records acknowledged (stored by the host)\n", acked,
               records.size());
  if (acked != records.size()) {
    std::fprintf(err,
                 "amactl send: %zu records were not acknowledged (%s); the host's log says why, "
                 "e.g. 'Failed to find an output stream for %s'\n",
                 records.size() - acked,
                 ec == std::errc::timed_out ? "timed out"
                 : ec                       ? ec.message().c_str()
                                            : "no ack",
                 stream.c_str());
    return 1;
  }
  return 0;
}

}  // namespace amactl
