#include "pipes/forward_decoder.h"

#include <fmt/format.h>

#include "codec/compression.h"
#include "codec/fluent_entries.h"
#include "codec/msgpack_writer.h"

namespace pipes {
namespace {

using codec::DecodeStatus;
using codec::MsgpackCursor;
using codec::MsgpackHead;
using codec::MsgpackType;

bool Fail(std::string* error, std::string message) {
  *error = std::move(message);
  return false;
}

// Widens the message's event-time range by one entry's time (the first sets it).
void AddEventTime(const codec::EventTime& time, ForwardMessage* out) {
  const std::int64_t ns = codec::EventTimeToUnixNs(time);
  const bool first = out->count == 0;
  if (first || ns < out->min_event_unix_ns) out->min_event_unix_ns = ns;
  if (first || ns > out->max_event_unix_ns) out->max_event_unix_ns = ns;
}

// Checks that `entries` is a run of valid entries within the msgpack limits, counts them into
// out->count and takes their time range. Used where the bytes were not covered by the message's
// own scan (packed payloads).
bool ValidatePackedEntries(std::string_view entries, const codec::MsgpackLimits& limits,
                           ForwardMessage* out, std::string* error) {
  std::size_t offset = 0;
  std::uint64_t n = 0;
  // One scanner, reset for each entry, so that its stack is allocated once and not per record.
  codec::MsgpackScanner scanner(limits);
  while (offset < entries.size()) {
    scanner.Reset();
    std::string_view rest = entries.substr(offset);
    DecodeStatus status = scanner.Scan(rest);
    if (status == DecodeStatus::kNeedMore) {
      return Fail(error, fmt::format("packed entry {} is truncated", n));
    }
    if (status == DecodeStatus::kInvalid) {
      return Fail(error, fmt::format("packed entry {}: {}", n, scanner.error()));
    }
    MsgpackCursor cursor(rest.substr(0, scanner.size()));
    codec::EventTime time;
    std::string_view record;
    if (!codec::ReadEntry(cursor, &time, &record) || !cursor.AtEnd()) {
      return Fail(error, fmt::format("packed entry {} is not [time, record map] (record keys "
                                     "may not be maps or arrays)",
                                     n));
    }
    AddEventTime(time, out);
    out->count = static_cast<std::uint32_t>(n + 1);
    offset += scanner.size();
    if (++n > limits.max_length) {
      return Fail(error, fmt::format("more than {} packed entries", limits.max_length));
    }
  }
  return true;
}

// Reads the option map into `out`; unknown keys are ignored as the spec allows.
bool ReadOptions(MsgpackCursor& cursor, ForwardMessage* out,
                 std::optional<std::string_view>* compressed, std::string* error) {
  std::uint32_t pairs = 0;
  if (!cursor.ReadMapHead(&pairs)) return Fail(error, "the option element is not a map");
  for (std::uint32_t i = 0; i < pairs; ++i) {
    std::string_view key;
    if (!cursor.ReadStr(&key)) return Fail(error, "an option key is not a string");
    if (key == "chunk") {
      std::string_view chunk;
      if (!cursor.ReadStr(&chunk)) return Fail(error, "option chunk is not a string");
      out->chunk = chunk;
    } else if (key == "size") {
      MsgpackHead head;
      if (!cursor.Next(&head) || head.type != MsgpackType::kUint) {
        return Fail(error, "option size is not a non-negative integer");
      }
      out->size = head.uint_value;
    } else if (key == "compressed") {
      std::string_view value;
      if (!cursor.ReadStr(&value)) return Fail(error, "option compressed is not a string");
      *compressed = value;
    } else if (!cursor.Skip()) {
      return Fail(error, "an option value is malformed");
    }
  }
  return true;
}

}  // namespace

std::string_view ForwardModeName(ForwardMode mode) {
  switch (mode) {
    case ForwardMode::kMessage:
      return "Message";
    case ForwardMode::kForward:
      return "Forward";
    case ForwardMode::kPackedForward:
      return "PackedForward";
    case ForwardMode::kCompressedPackedForward:
      return "CompressedPackedForward";
  }
  return "unknown";
}

bool DecodeForwardMessage(std::string_view message, const ForwardLimits& limits,
                          ForwardMessage* out, std::string* error) {
  // A message reused from call to call keeps the capacity of its owned entries.
  std::string owned = std::move(out->owned_entries);
  owned.clear();
  *out = ForwardMessage{};
  out->owned_entries = std::move(owned);
  MsgpackCursor cursor(message);
  std::uint32_t elements = 0;
  if (!cursor.ReadArrayHead(&elements)) return Fail(error, "a message must be an array");
  if (elements < 2 || elements > 4) {
    return Fail(error, fmt::format("a message must have 2 to 4 elements, not {}", elements));
  }
  if (!cursor.ReadStr(&out->tag)) return Fail(error, "the tag (element 0) must be a string");
  if (out->tag.empty()) return Fail(error, "the tag is empty");

  MsgpackHead second;
  MsgpackCursor peek = cursor;
  if (!peek.Next(&second)) return Fail(error, "element 1 is malformed");
  std::optional<std::string_view> compressed;
  std::string_view packed;

  switch (second.type) {
    case MsgpackType::kUint:
    case MsgpackType::kInt:
    case MsgpackType::kExt: {
      // Message mode: [tag, time, record, option?]
      if (elements < 3) return Fail(error, "a Message-mode message needs a record");
      out->mode = ForwardMode::kMessage;
      std::size_t time_start = cursor.offset();
      codec::EventTime time;
      if (!codec::ReadEventTime(cursor, &time)) {
        return Fail(error, "element 1 is neither an integer time nor an EventTime");
      }
      std::string_view time_bytes = message.substr(time_start, cursor.offset() - time_start);
      MsgpackCursor record_check = cursor;
      std::uint32_t pairs = 0;
      if (!record_check.ReadMapHead(&pairs)) return Fail(error, "the record must be a map");
      std::string_view record;
      if (!cursor.TakeWithScalarKeys(&record)) {
        return Fail(error, "the record is malformed or has a map or array as a key");
      }
      out->owned_entries.reserve(1 + time_bytes.size() + record.size());
      out->owned_entries.push_back('\x92');
      out->owned_entries.append(time_bytes).append(record);
      out->entries = out->owned_entries;
      AddEventTime(time, out);
      out->count = 1;
      if (elements == 4 && !ReadOptions(cursor, out, &compressed, error)) return false;
      break;
    }
    case MsgpackType::kArray: {
      // Forward mode: [tag, [[time, record]…], option?]
      if (elements > 3) return Fail(error, "a Forward-mode message has at most 3 elements");
      out->mode = ForwardMode::kForward;
      std::uint32_t count = 0;
      cursor.ReadArrayHead(&count);
      std::size_t start = cursor.offset();
      for (std::uint32_t i = 0; i < count; ++i) {
        codec::EventTime time;
        std::string_view record;
        if (!codec::ReadEntry(cursor, &time, &record)) {
          return Fail(error, fmt::format("entry {} is not [time, record map] (record keys may "
                                         "not be maps or arrays)",
                                         i));
        }
        AddEventTime(time, out);
        out->count = i + 1;
      }
      out->entries = message.substr(start, cursor.offset() - start);
      if (elements == 3 && !ReadOptions(cursor, out, &compressed, error)) return false;
      break;
    }
    case MsgpackType::kBin:
    case MsgpackType::kStr: {
      // PackedForward: [tag, bin|str, option?]
      if (elements > 3) return Fail(error, "a PackedForward message has at most 3 elements");
      out->mode = ForwardMode::kPackedForward;
      cursor.ReadStrOrBin(&packed);
      if (elements == 3 && !ReadOptions(cursor, out, &compressed, error)) return false;
      break;
    }
    default:
      return Fail(error, "element 1 is not a time, an entry array or a packed payload");
  }
  if (!cursor.AtEnd()) return Fail(error, "bytes follow the last element");

  if (out->mode == ForwardMode::kPackedForward) {
    if (compressed.has_value() && *compressed == "gzip") {
      out->mode = ForwardMode::kCompressedPackedForward;
      std::string why;
      if (codec::Decompress(packed, codec::Compression::kGzip, limits.max_decompressed_bytes,
                            &out->owned_entries, &why) != codec::DecompressResult::kOk) {
        return Fail(error, "gzip payload: " + why);
      }
      out->entries = out->owned_entries;
    } else if (compressed.has_value() && *compressed != "text") {
      return Fail(error, fmt::format("unsupported compression '{}'", *compressed));
    } else {
      out->entries = packed;
    }
    if (!ValidatePackedEntries(out->entries, limits.msgpack, out, error)) return false;
  } else if (compressed.has_value() && *compressed != "text") {
    return Fail(error, "option compressed is only valid with a packed payload");
  }
  return true;
}

std::string EncodeAck(std::string_view chunk) {
  std::string out;
  codec::MsgpackWriter writer(&out);
  writer.Map(1);
  writer.Str("ack");
  writer.Str(chunk);
  return out;
}

}  // namespace pipes
