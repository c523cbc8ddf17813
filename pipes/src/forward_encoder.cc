#include "pipes/forward_encoder.h"

#include <stdexcept>

#include "base/base64.h"
#include "base/uuid.h"
#include "codec/compression.h"
#include "codec/fluent_entries.h"
#include "codec/msgpack_writer.h"

namespace pipes {
namespace {

void WriteOptions(codec::MsgpackWriter& writer, std::string_view chunk, std::uint32_t count,
                  bool gzip) {
  writer.Map((chunk.empty() ? 0 : 2) + (gzip ? 1 : 0));
  if (!chunk.empty()) {
    writer.Str("chunk");
    writer.Str(chunk);
    writer.Str("size");
    writer.Uint(count);
  }
  if (gzip) {
    writer.Str("compressed");
    writer.Str("gzip");
  }
}

}  // namespace

std::string EncodeForwardMessage(std::string_view tag, std::string_view entries,
                                 std::uint32_t count, ForwardMode mode, std::string_view chunk) {
  std::string out;
  out.reserve(entries.size() + tag.size() + 64);
  codec::MsgpackWriter writer(&out);
  bool options = !chunk.empty() || mode == ForwardMode::kCompressedPackedForward;
  switch (mode) {
    case ForwardMode::kMessage: {
      codec::MsgpackCursor cursor(entries);
      std::uint32_t elements = 0;
      if (count != 1 || !cursor.ReadArrayHead(&elements) || elements != 2) {
        throw std::invalid_argument("Message mode takes exactly one [time, record] entry");
      }
      std::string_view time, record;
      cursor.Take(&time);
      cursor.Take(&record);
      writer.Array(options ? 4 : 3);
      writer.Str(tag);
      writer.Raw(time);
      writer.Raw(record);
      break;
    }
    case ForwardMode::kForward:
      writer.Array(options ? 3 : 2);
      writer.Str(tag);
      writer.Array(count);
      writer.Raw(entries);
      break;
    case ForwardMode::kPackedForward:
      writer.Array(options ? 3 : 2);
      writer.Str(tag);
      writer.Bin(entries);
      break;
    case ForwardMode::kCompressedPackedForward:
      writer.Array(3);
      writer.Str(tag);
      writer.Bin(codec::Compress(entries, codec::Compression::kGzip));
      break;
  }
  if (options) WriteOptions(writer, chunk, count, mode == ForwardMode::kCompressedPackedForward);
  return out;
}

std::string NewChunkId() { return base::Base64Encode(base::RandomBytes(16)); }

}  // namespace pipes
