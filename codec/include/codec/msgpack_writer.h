#ifndef AMAHOST_CODEC_MSGPACK_WRITER_H_
#define AMAHOST_CODEC_MSGPACK_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace codec {

// Appends msgpack items to a string the caller owns, always in the smallest encoding.
// The caller is responsible for writing as many items after Array()/Map() as it declared.
class MsgpackWriter {
 public:
  explicit MsgpackWriter(std::string* out) : out_(out) {}

  void Nil();
  void Bool(bool value);
  void Int(std::int64_t value);  // non-negative values are written as uint, as msgpack-c does
  void Uint(std::uint64_t value);
  void Double(double value);
  void Str(std::string_view text);
  void Bin(std::string_view bytes);
  void Array(std::uint32_t count);
  void Map(std::uint32_t pairs);
  void Ext(std::int8_t type, std::string_view data);
  // Bytes that already are msgpack.
  void Raw(std::string_view bytes) { out_->append(bytes); }

 private:
  void Byte(std::uint8_t byte) { out_->push_back(static_cast<char>(byte)); }
  void BigEndian(std::uint64_t value, int bytes);

  std::string* out_;
};

}  // namespace codec

#endif  // AMAHOST_CODEC_MSGPACK_WRITER_H_
