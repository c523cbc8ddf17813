#ifndef AMAHOST_CODEC_MSGPACK_READER_H_
#define AMAHOST_CODEC_MSGPACK_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace codec {

// Bounded, allocation-free msgpack reading over bytes the caller owns.
//
// Nothing here trusts a length prefix: a head that declares more than the limits allow is invalid
// at once, before any byte of its payload is awaited or allocated, so a 2 GB length prefix costs
// nothing. All functions are pure and thread-compatible.

enum class MsgpackType : std::uint8_t {
  kNil,
  kBool,
  kUint,   // positive fixint, uint 8/16/32/64
  kInt,    // negative fixint, int 8/16/32/64 (may hold a non-negative value)
  kFloat,  // float 32/64
  kStr,
  kBin,
  kArray,
  kMap,
  kExt,
};

// The decoded head of one msgpack item. For str, bin and ext the payload of `length` bytes
// follows the head; for array and map, `length` is the number of elements or of key/value pairs.
struct MsgpackHead {
  MsgpackType type = MsgpackType::kNil;
  bool boolean = false;
  std::uint64_t uint_value = 0;
  std::int64_t int_value = 0;
  double float_value = 0;
  std::uint32_t length = 0;
  std::int8_t ext_type = 0;
  std::uint8_t head_size = 0;
};

enum class DecodeStatus { kOk, kNeedMore, kInvalid };

// Decodes the head that starts at data[0]. kNeedMore when `data` ends inside the head; kInvalid
// for the never-used byte 0xc1. The fields that the head's type does not use are zero.
inline DecodeStatus DecodeHead(std::string_view data, MsgpackHead* head);

// AMA's limits (docs/protocol.md §3).
struct MsgpackLimits {
  // Largest str/bin/ext payload in bytes, and largest array/map in elements/pairs.
  std::uint32_t max_length = 10485760;
  // Deepest nesting of arrays and maps; a top-level array is depth 1.
  std::uint32_t max_depth = 10;
};

// Finds where one msgpack value ends, checking limits, while its bytes arrive piecemeal.
//
// Call Scan() with everything received so far for the value (each call's `data` must extend the
// previous call's); it resumes where it stopped, so a value arriving in n pieces costs O(size),
// not O(n·size). Thread-compatible.
class MsgpackScanner {
 public:
  explicit MsgpackScanner(MsgpackLimits limits = {}) : limits_(limits) {}

  // kOk once the whole value is present (size() then gives its encoded length), kNeedMore while
  // it is not, kInvalid when it breaks the format or a limit (error() says how).
  DecodeStatus Scan(std::string_view data);
  std::size_t size() const { return pos_; }
  const std::string& error() const { return error_; }
  // Forgets the value so that the next Scan() starts a new one.
  void Reset();

 private:
  // Record where the scan stopped, and why. `items` is what the innermost open container still
  // holds.
  DecodeStatus Suspend(std::size_t pos, std::size_t depth, std::uint64_t items);
  DecodeStatus Fail(std::size_t pos, std::string message);

  MsgpackLimits limits_;
  bool started_ = false;
  std::size_t pos_ = 0;
  // Items still to read in each open container; the first entry is the value itself. Only the
  // first depth_ entries are live.
  std::vector<std::uint64_t> pending_;
  std::size_t depth_ = 0;
  std::string error_;
};

// Reads msgpack items in order from bytes, normally bytes a MsgpackScanner has accepted. Every
// read is still bounds-checked: on malformed or truncated input a read returns false and the
// cursor stays failed.
class MsgpackCursor {
 public:
  explicit MsgpackCursor(std::string_view data) : data_(data) {}

  // Reads the next head. For str/bin/ext, follow with Payload().
  bool Next(MsgpackHead* head) {
    if (failed_) return false;
    if (DecodeHead(Remaining(), head) != DecodeStatus::kOk) return Fail();
    offset_ += head->head_size;
    return true;
  }
  // Consumes the payload of the str/bin/ext whose head Next() just returned.
  bool Payload(const MsgpackHead& head, std::string_view* bytes) {
    if (failed_) return false;
    if (data_.size() - offset_ < head.length) return Fail();
    *bytes = std::string_view(data_.data() + offset_, head.length);
    offset_ += head.length;
    return true;
  }
  // Skips one whole value, however deep, without recursion.
  bool Skip();
  // Skips one whole value and returns its encoded bytes.
  bool Take(std::string_view* value);
  // Like Take, but fails if any map inside the value has an array or a map as a key, or if it
  // nests deeper than 64: what a record must satisfy to become JSON (see msgpack_json.h).
  bool TakeWithScalarKeys(std::string_view* value);

  // Typed reads of the next value; false (and failed) if it has another type.
  bool ReadStr(std::string_view* text);
  bool ReadStrOrBin(std::string_view* bytes);
  bool ReadArrayHead(std::uint32_t* count);
  bool ReadMapHead(std::uint32_t* count);

  bool failed() const { return failed_; }
  bool AtEnd() const { return offset_ == data_.size(); }
  std::size_t offset() const { return offset_; }
  std::string_view rest() const { return Remaining(); }

 private:
  // The bytes from offset_ on, without substr's check: offset_ never passes the end, because
  // it only advances past bytes that DecodeHead or Payload found present.
  std::string_view Remaining() const {
    return std::string_view(data_.data() + offset_, data_.size() - offset_);
  }
  bool Fail() {
    failed_ = true;
    return false;
  }

  std::string_view data_;
  std::size_t offset_ = 0;
  bool failed_ = false;
};

// Implementation details.

namespace internal {
// DecodeHead for the type bytes 0xc0-0xdf: nil, bool, the reserved 0xc1 and every head longer
// than one byte. `data` is not empty.
DecodeStatus DecodeHeadSlow(std::string_view data, MsgpackHead* head);
}  // namespace internal

// Inline for the one-byte heads (fixints, fixmap, fixarray, fixstr), which are most of the heads
// in a Forward message: the loops that walk a message then keep each head in registers and make
// no call for it. The other heads take a call.
inline DecodeStatus DecodeHead(std::string_view data, MsgpackHead* head) {
  if (data.empty()) return DecodeStatus::kNeedMore;
  const auto byte = static_cast<unsigned char>(data[0]);
  if (byte <= 0x7f) {
    *head = MsgpackHead{.type = MsgpackType::kUint, .uint_value = byte, .head_size = 1};
    return DecodeStatus::kOk;
  }
  if (byte <= 0x8f) {
    *head = MsgpackHead{.type = MsgpackType::kMap, .length = byte & 0x0fu, .head_size = 1};
    return DecodeStatus::kOk;
  }
  if (byte <= 0x9f) {
    *head = MsgpackHead{.type = MsgpackType::kArray, .length = byte & 0x0fu, .head_size = 1};
    return DecodeStatus::kOk;
  }
  if (byte <= 0xbf) {
    *head = MsgpackHead{.type = MsgpackType::kStr, .length = byte & 0x1fu, .head_size = 1};
    return DecodeStatus::kOk;
  }
  if (byte >= 0xe0) {
    *head = MsgpackHead{
        .type = MsgpackType::kInt, .int_value = static_cast<std::int8_t>(byte), .head_size = 1};
    return DecodeStatus::kOk;
  }
  return internal::DecodeHeadSlow(data, head);
}

}  // namespace codec

#endif  // AMAHOST_CODEC_MSGPACK_READER_H_
