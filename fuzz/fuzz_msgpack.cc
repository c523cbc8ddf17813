// libFuzzer target: the msgpack reader on arbitrary bytes.
//
// Input: one control byte (see chunk_sizes.h) that splits the rest into the pieces a
// MsgpackScanner is fed, then the bytes. The scanner (default limits) must reach the verdict
// and size it reaches on the same bytes at once, and what it accepts must read back whole
// (fuzz::CheckScannedMsgpack). The cursor and the JSON conversion then run on the raw bytes,
// which no scanner has checked: they must stay within them, and JSON they produce must parse.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chunk_sizes.h"
#include "codec/json_parse.h"
#include "codec/msgpack_json.h"
#include "codec/msgpack_reader.h"
#include "invariants.h"

namespace {

void Scan(std::string_view bytes, fuzz::ChunkSizes& chunks) {
  codec::MsgpackScanner scanner;
  codec::DecodeStatus status = codec::DecodeStatus::kNeedMore;
  std::size_t received = 0;
  while (status == codec::DecodeStatus::kNeedMore && received < bytes.size()) {
    received += chunks.Next(bytes.size() - received);
    status = scanner.Scan(bytes.substr(0, received));
  }
  codec::MsgpackScanner at_once;
  fuzz::Require(at_once.Scan(bytes.substr(0, received)) == status,
                "MsgpackScanner's verdict depends on how the bytes arrive");
  if (status == codec::DecodeStatus::kInvalid) {
    fuzz::Require(!scanner.error().empty(), "MsgpackScanner refused without a reason");
  }
  if (status != codec::DecodeStatus::kOk) return;
  fuzz::Require(at_once.size() == scanner.size(),
                "MsgpackScanner's size depends on how the bytes arrive");
  fuzz::Require(scanner.size() >= 1 && scanner.size() <= received,
                "MsgpackScanner accepted a value larger than its input");
  fuzz::CheckScannedMsgpack(bytes.substr(0, scanner.size()));
}

// Unchecked bytes: every read stays in bounds, and each successful one makes progress.
void Read(std::string_view bytes) {
  codec::MsgpackCursor skipping(bytes);
  while (!skipping.AtEnd()) {
    std::size_t before = skipping.offset();
    if (!skipping.Skip()) break;
    fuzz::Require(skipping.offset() > before && skipping.offset() <= bytes.size(),
                  "Skip made no progress or ran past the input");
  }
  codec::MsgpackCursor heads(bytes);
  codec::MsgpackHead head;
  while (heads.Next(&head)) {
    bool has_payload = head.type == codec::MsgpackType::kStr ||
                       head.type == codec::MsgpackType::kBin ||
                       head.type == codec::MsgpackType::kExt;
    std::string_view payload;
    if (has_payload && !heads.Payload(head, &payload)) break;
    fuzz::Require(heads.offset() <= bytes.size(), "a cursor read ran past the input");
  }
  codec::MsgpackCursor converting(bytes);
  std::string json;
  if (codec::AppendMsgpackAsJson(converting, &json)) {
    rapidjson::Document document;
    std::string error;
    fuzz::Require(codec::ParseJson(json, &document, &error),
                  "AppendMsgpackAsJson produced JSON that ParseJson refuses");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  fuzz::ChunkSizes chunks(data[0]);
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  Scan(bytes, chunks);
  Read(bytes);
  return 0;
}
