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
// for the never-used byte 0xc1.
DecodeStatus DecodeHead(std::string_view data, MsgpackHead* head);

// AMA's limits (PROTOCOL.md §3).
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
  DecodeStatus Fail(std::string message);

  MsgpackLimits limits_;
  bool started_ = false;
  std::size_t pos_ = 0;
  // Items still to read in each open container; the first entry is the value itself.
  std::vector<std::uint64_t> pending_;
  std::string error_;
};

// Reads msgpack items in order from bytes, normally bytes a MsgpackScanner has accepted. Every
// read is still bounds-checked: on malformed or truncated input a read returns false and the
// cursor stays failed.
class MsgpackCursor {
 public:
  explicit MsgpackCursor(std::string_view data) : data_(data) {}

  // Reads the next head. For str/bin/ext, follow with Payload().
  bool Next(MsgpackHead* head);
  // Consumes the payload of the str/bin/ext whose head Next() just returned.
  bool Payload(const MsgpackHead& head, std::string_view* bytes);
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
  std::string_view rest() const { return data_.substr(offset_); }

 private:
  bool Fail() {
    failed_ = true;
    return false;
  }

  std::string_view data_;
  std::size_t offset_ = 0;
  bool failed_ = false;
};

}  // namespace codec

#endif  // AMAHOST_CODEC_MSGPACK_READER_H_
