// libFuzzer target: the config request exchange of docs/protocol.md §3 on its own.
//
// Input: one control byte (see chunk_sizes.h), then a request as a client sends it: a raw JSON
// object, or its text in a msgpack str or bin. Anything else goes to ParseConfigRequest as it
// is, so the parser also sees text no scanner would pass on. Besides the checks of
// fuzz::CheckConfigExchange, a scanner fed in pieces must reach the verdict it reaches on the
// same bytes at once.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chunk_sizes.h"
#include "codec/msgpack_reader.h"
#include "invariants.h"
#include "pipes/config_request.h"
#include "pipes/framing.h"

namespace {

using JsonStatus = pipes::JsonObjectScanner::Status;

// JsonObjectScanner counts brackets without pairing them (the parser refuses a mismatch), so an
// object may end at ']' as well as at '}'.
bool IsCloser(char last) { return last == '}' || last == ']'; }

void RawJson(std::string_view stream, fuzz::ChunkSizes& chunks) {
  pipes::JsonObjectScanner scanner;
  JsonStatus status = JsonStatus::kNeedMore;
  std::size_t received = 0;
  while (status == JsonStatus::kNeedMore && received < stream.size()) {
    received += chunks.Next(stream.size() - received);
    status = scanner.Scan(stream.substr(0, received));
  }
  pipes::JsonObjectScanner at_once;
  fuzz::Require(at_once.Scan(stream.substr(0, received)) == status,
                "JsonObjectScanner's verdict depends on how the bytes arrive");
  if (status != JsonStatus::kComplete) return;
  fuzz::Require(at_once.size() == scanner.size(),
                "JsonObjectScanner's size depends on how the bytes arrive");
  fuzz::Require(
      scanner.size() >= 2 && scanner.size() <= received && IsCloser(stream[scanner.size() - 1]),
      "JsonObjectScanner accepted an object it was not given");
  fuzz::CheckConfigExchange(stream.substr(0, scanner.size()));
}

void MsgpackRequest(std::string_view stream, fuzz::ChunkSizes& chunks) {
  const codec::MsgpackLimits limits{
      .max_length = static_cast<std::uint32_t>(pipes::kMaxConfigRequestBytes), .max_depth = 1};
  codec::MsgpackScanner scanner(limits);
  codec::DecodeStatus status = codec::DecodeStatus::kNeedMore;
  std::size_t received = 0;
  while (status == codec::DecodeStatus::kNeedMore && received < stream.size()) {
    received += chunks.Next(stream.size() - received);
    status = scanner.Scan(stream.substr(0, received));
  }
  codec::MsgpackScanner at_once(limits);
  fuzz::Require(at_once.Scan(stream.substr(0, received)) == status,
                "MsgpackScanner's verdict depends on how the bytes arrive");
  if (status != codec::DecodeStatus::kOk) return;
  fuzz::Require(at_once.size() == scanner.size() && scanner.size() <= received,
                "MsgpackScanner's size depends on how the bytes arrive");
  codec::MsgpackCursor cursor(stream.substr(0, scanner.size()));
  std::string_view json;
  fuzz::Require(cursor.ReadStrOrBin(&json) && cursor.AtEnd(),
                "a scanned msgpack config request is not one str or bin");
  fuzz::CheckConfigExchange(json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  fuzz::ChunkSizes chunks(data[0]);
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (stream.empty()) return 0;
  auto first = static_cast<unsigned char>(stream[0]);
  if (first == '{') {
    RawJson(stream, chunks);
  } else if (pipes::ClassifyFirstByte(first) == pipes::ItemKind::kMsgpackRequest) {
    MsgpackRequest(stream, chunks);
  } else {
    fuzz::CheckConfigExchange(stream);
  }
  return 0;
}
