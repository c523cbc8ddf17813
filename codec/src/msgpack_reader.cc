#include "codec/msgpack_reader.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace codec {
namespace {

std::uint64_t LoadBigEndian(const unsigned char* p, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | p[i];
  return value;
}

// Fills a head whose fixed-size part is `bytes` big-endian bytes after the type byte.
DecodeStatus Fixed(std::string_view data, int bytes, std::uint64_t* value, MsgpackHead* head) {
  if (data.size() < static_cast<std::size_t>(1 + bytes)) return DecodeStatus::kNeedMore;
  *value = LoadBigEndian(reinterpret_cast<const unsigned char*>(data.data()) + 1, bytes);
  head->head_size = static_cast<std::uint8_t>(1 + bytes);
  return DecodeStatus::kOk;
}

DecodeStatus Sized(std::string_view data, MsgpackType type, int length_bytes, MsgpackHead* head) {
  std::uint64_t length = 0;
  DecodeStatus status = Fixed(data, length_bytes, &length, head);
  if (status != DecodeStatus::kOk) return status;
  head->type = type;
  head->length = static_cast<std::uint32_t>(length);
  return DecodeStatus::kOk;
}

DecodeStatus Ext(std::string_view data, int length_bytes, MsgpackHead* head) {
  // ext 8/16/32: type byte, length, then the ext type.
  DecodeStatus status = Sized(data, MsgpackType::kExt, length_bytes, head);
  if (status != DecodeStatus::kOk) return status;
  if (data.size() < static_cast<std::size_t>(head->head_size) + 1) return DecodeStatus::kNeedMore;
  head->ext_type = static_cast<std::int8_t>(data[head->head_size]);
  head->head_size = static_cast<std::uint8_t>(head->head_size + 1);
  return DecodeStatus::kOk;
}

DecodeStatus FixExt(std::string_view data, std::uint32_t length, MsgpackHead* head) {
  if (data.size() < 2) return DecodeStatus::kNeedMore;
  head->type = MsgpackType::kExt;
  head->length = length;
  head->ext_type = static_cast<std::int8_t>(data[1]);
  head->head_size = 2;
  return DecodeStatus::kOk;
}

}  // namespace

namespace internal {

DecodeStatus DecodeHeadSlow(std::string_view data, MsgpackHead* head) {
  *head = MsgpackHead{};
  const auto byte = static_cast<unsigned char>(data[0]);
  head->head_size = 1;
  std::uint64_t value = 0;
  DecodeStatus status = DecodeStatus::kOk;
  switch (byte) {
    case 0xc0:
      head->type = MsgpackType::kNil;
      return DecodeStatus::kOk;
    case 0xc2:
    case 0xc3:
      head->type = MsgpackType::kBool;
      head->boolean = byte == 0xc3;
      return DecodeStatus::kOk;
    case 0xc4:
      return Sized(data, MsgpackType::kBin, 1, head);
    case 0xc5:
      return Sized(data, MsgpackType::kBin, 2, head);
    case 0xc6:
      return Sized(data, MsgpackType::kBin, 4, head);
    case 0xc7:
      return Ext(data, 1, head);
    case 0xc8:
      return Ext(data, 2, head);
    case 0xc9:
      return Ext(data, 4, head);
    case 0xca:
      status = Fixed(data, 4, &value, head);
      head->type = MsgpackType::kFloat;
      head->float_value = std::bit_cast<float>(static_cast<std::uint32_t>(value));
      return status;
    case 0xcb:
      status = Fixed(data, 8, &value, head);
      head->type = MsgpackType::kFloat;
      head->float_value = std::bit_cast<double>(value);
      return status;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
      status = Fixed(data, 1 << (byte - 0xcc), &value, head);
      head->type = MsgpackType::kUint;
      head->uint_value = value;
      return status;
    case 0xd0:
      status = Fixed(data, 1, &value, head);
      head->type = MsgpackType::kInt;
      head->int_value = static_cast<std::int8_t>(value);
      return status;
    case 0xd1:
      status = Fixed(data, 2, &value, head);
      head->type = MsgpackType::kInt;
      head->int_value = static_cast<std::int16_t>(value);
      return status;
    case 0xd2:
      status = Fixed(data, 4, &value, head);
      head->type = MsgpackType::kInt;
      head->int_value = static_cast<std::int32_t>(value);
      return status;
    case 0xd3:
      status = Fixed(data, 8, &value, head);
      head->type = MsgpackType::kInt;
      head->int_value = static_cast<std::int64_t>(value);
      return status;
    case 0xd4:
      return FixExt(data, 1, head);
    case 0xd5:
      return FixExt(data, 2, head);
    case 0xd6:
      return FixExt(data, 4, head);
    case 0xd7:
      return FixExt(data, 8, head);
    case 0xd8:
      return FixExt(data, 16, head);
    case 0xd9:
      return Sized(data, MsgpackType::kStr, 1, head);
    case 0xda:
      return Sized(data, MsgpackType::kStr, 2, head);
    case 0xdb:
      return Sized(data, MsgpackType::kStr, 4, head);
    case 0xdc:
      return Sized(data, MsgpackType::kArray, 2, head);
    case 0xdd:
      return Sized(data, MsgpackType::kArray, 4, head);
    case 0xde:
      return Sized(data, MsgpackType::kMap, 2, head);
    case 0xdf:
      return Sized(data, MsgpackType::kMap, 4, head);
    default:  // 0xc1, never used (and the one-byte heads, which DecodeHead handles)
      return DecodeStatus::kInvalid;
  }
}

}  // namespace internal

DecodeStatus MsgpackScanner::Suspend(std::size_t pos, std::size_t depth, std::uint64_t items) {
  pos_ = pos;
  depth_ = depth;
  pending_[depth - 1] = items;
  return DecodeStatus::kNeedMore;
}

DecodeStatus MsgpackScanner::Fail(std::size_t pos, std::string message) {
  pos_ = pos;
  error_ = std::move(message);
  return DecodeStatus::kInvalid;
}

void MsgpackScanner::Reset() {
  started_ = false;
  pos_ = 0;
  pending_.clear();
  depth_ = 0;
  error_.clear();
}

DecodeStatus MsgpackScanner::Scan(std::string_view data) {
  if (!error_.empty()) return DecodeStatus::kInvalid;
  if (!started_) {
    started_ = true;
    pending_.assign(1, 1);
    depth_ = 1;
  }
  if (depth_ == 0) return DecodeStatus::kOk;  // the value was complete already
  // The loop works on locals, which stay in registers, and stores them into the members only
  // when it stops: the position, the depth and the count of items left in the innermost open
  // container (pending_ keeps the counts of the containers around it).
  std::string_view rest = data.substr(pos_);
  std::size_t depth = depth_;
  std::uint64_t items = pending_[depth - 1];
  while (true) {
    if (items == 0) {
      if (--depth == 0) break;
      items = pending_[depth - 1];
      continue;
    }
    const std::size_t pos = data.size() - rest.size();
    MsgpackHead head;
    DecodeStatus status = DecodeHead(rest, &head);
    if (status == DecodeStatus::kNeedMore) return Suspend(pos, depth, items);
    if (status == DecodeStatus::kInvalid) {
      return Fail(pos, fmt::format("invalid msgpack type byte 0xc1 at offset {}", pos));
    }
    switch (head.type) {
      case MsgpackType::kStr:
      case MsgpackType::kBin:
      case MsgpackType::kExt: {
        if (head.length > limits_.max_length) {
          return Fail(pos, fmt::format("msgpack str/bin/ext of {} bytes at offset {} exceeds the "
                                       "limit of {}",
                                       head.length, pos, limits_.max_length));
        }
        // Wait for the whole payload before moving on; the head is decoded again next time,
        // which is cheap.
        const std::size_t size = head.head_size + static_cast<std::size_t>(head.length);
        if (rest.size() < size) return Suspend(pos, depth, items);
        rest.remove_prefix(size);
        --items;
        break;
      }
      case MsgpackType::kArray:
      case MsgpackType::kMap: {
        if (head.length > limits_.max_length) {
          return Fail(
              pos, fmt::format("msgpack {} of {} elements at offset {} exceeds the limit of {}",
                               head.type == MsgpackType::kArray ? "array" : "map", head.length, pos,
                               limits_.max_length));
        }
        // depth counts the root slot plus one per open container.
        if (depth > limits_.max_depth) {
          return Fail(pos, fmt::format("msgpack nesting deeper than {} at offset {}",
                                       limits_.max_depth, pos));
        }
        rest.remove_prefix(head.head_size);
        pending_[depth - 1] = items - 1;
        items = head.type == MsgpackType::kArray ? head.length
                                                 : 2 * static_cast<std::uint64_t>(head.length);
        // The vector keeps its size when the depth falls, so it grows only when the value nests
        // deeper than it has so far.
        if (depth == pending_.size()) pending_.push_back(0);
        ++depth;
        break;
      }
      default:
        rest.remove_prefix(head.head_size);
        --items;
        break;
    }
  }
  pos_ = data.size() - rest.size();
  depth_ = 0;
  return DecodeStatus::kOk;
}

bool MsgpackCursor::Skip() {
  // Counting the items still owed avoids recursion, so depth cannot exhaust the stack.
  std::uint64_t remaining = 1;
  while (remaining > 0) {
    MsgpackHead head;
    if (!Next(&head)) return false;
    --remaining;
    switch (head.type) {
      case MsgpackType::kStr:
      case MsgpackType::kBin:
      case MsgpackType::kExt: {
        std::string_view ignored;
        if (!Payload(head, &ignored)) return false;
        break;
      }
      case MsgpackType::kArray:
        remaining += head.length;
        break;
      case MsgpackType::kMap:
        remaining += 2 * static_cast<std::uint64_t>(head.length);
        break;
      default:
        break;
    }
  }
  return true;
}

bool MsgpackCursor::Take(std::string_view* value) {
  std::size_t start = offset_;
  if (!Skip()) return false;
  *value = data_.substr(start, offset_ - start);
  return true;
}

bool MsgpackCursor::TakeWithScalarKeys(std::string_view* value) {
  // This runs once per record on the ingest path. It reads heads with DecodeHead rather than
  // Next() and Payload(), on a copy of data_ and offset_ (stored back on the way out): as far as
  // the compiler knows, the out-of-line part of DecodeHead may write to *this, so it would reload
  // the members after every such call, whereas locals stay in registers.
  if (failed_) return false;
  const std::string_view data = data_;
  const std::size_t start = offset_;
  std::size_t offset = offset_;
  auto fail = [&] {
    offset_ = offset;
    return Fail();
  };
  constexpr std::size_t kMaxDepth = 64;
  // For a map, `remaining` counts keys and values, so a key comes next when it is even.
  struct Frame {
    std::uint64_t remaining;
    bool map;
  };
  // A fixed stack, so no allocation. The innermost frame is kept apart, in `top` (registers),
  // and pushed only when a container opens inside it.
  Frame stack[kMaxDepth];
  std::size_t depth = 0;
  Frame top{1, false};
  while (true) {
    if (top.remaining == 0) {
      if (depth == 0) break;
      top = stack[--depth];
      continue;
    }
    const bool is_key = top.map && top.remaining % 2 == 0;
    --top.remaining;
    MsgpackHead head;
    const std::string_view rest(data.data() + offset, data.size() - offset);
    if (DecodeHead(rest, &head) != DecodeStatus::kOk) return fail();
    offset += head.head_size;
    switch (head.type) {
      case MsgpackType::kStr:
      case MsgpackType::kBin:
      case MsgpackType::kExt:
        if (data.size() - offset < head.length) return fail();
        offset += head.length;
        break;
      case MsgpackType::kArray:
      case MsgpackType::kMap:
        if (is_key || depth == kMaxDepth) return fail();
        stack[depth++] = top;
        top = head.type == MsgpackType::kArray
                  ? Frame{head.length, false}
                  : Frame{2 * static_cast<std::uint64_t>(head.length), true};
        break;
      default:
        break;
    }
  }
  offset_ = offset;
  *value = std::string_view(data.data() + start, offset - start);
  return true;
}

bool MsgpackCursor::ReadStr(std::string_view* text) {
  MsgpackHead head;
  if (!Next(&head)) return false;
  if (head.type != MsgpackType::kStr) return Fail();
  return Payload(head, text);
}

bool MsgpackCursor::ReadStrOrBin(std::string_view* bytes) {
  MsgpackHead head;
  if (!Next(&head)) return false;
  if (head.type != MsgpackType::kStr && head.type != MsgpackType::kBin) return Fail();
  return Payload(head, bytes);
}

bool MsgpackCursor::ReadArrayHead(std::uint32_t* count) {
  MsgpackHead head;
  if (!Next(&head)) return false;
  if (head.type != MsgpackType::kArray) return Fail();
  *count = head.length;
  return true;
}

bool MsgpackCursor::ReadMapHead(std::uint32_t* count) {
  MsgpackHead head;
  if (!Next(&head)) return false;
  if (head.type != MsgpackType::kMap) return Fail();
  *count = head.length;
  return true;
}

}  // namespace codec
