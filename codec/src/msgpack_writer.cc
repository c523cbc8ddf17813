#include "codec/msgpack_writer.h"

#include <bit>

namespace codec {

void MsgpackWriter::BigEndian(std::uint64_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    Byte(static_cast<std::uint8_t>(value >> shift));
  }
}

void MsgpackWriter::Nil() { Byte(0xc0); }

void MsgpackWriter::Bool(bool value) { Byte(value ? 0xc3 : 0xc2); }

void MsgpackWriter::Uint(std::uint64_t value) {
  if (value <= 0x7f) {
    Byte(static_cast<std::uint8_t>(value));
  } else if (value <= 0xff) {
    Byte(0xcc);
    BigEndian(value, 1);
  } else if (value <= 0xffff) {
    Byte(0xcd);
    BigEndian(value, 2);
  } else if (value <= 0xffffffffu) {
    Byte(0xce);
    BigEndian(value, 4);
  } else {
    Byte(0xcf);
    BigEndian(value, 8);
  }
}

void MsgpackWriter::Int(std::int64_t value) {
  if (value >= 0) {
    Uint(static_cast<std::uint64_t>(value));
  } else if (value >= -32) {
    Byte(static_cast<std::uint8_t>(value));
  } else if (value >= INT8_MIN) {
    Byte(0xd0);
    BigEndian(static_cast<std::uint64_t>(value), 1);
  } else if (value >= INT16_MIN) {
    Byte(0xd1);
    BigEndian(static_cast<std::uint64_t>(value), 2);
  } else if (value >= INT32_MIN) {
    Byte(0xd2);
    BigEndian(static_cast<std::uint64_t>(value), 4);
  } else {
    Byte(0xd3);
    BigEndian(static_cast<std::uint64_t>(value), 8);
  }
}

void MsgpackWriter::Double(double value) {
  Byte(0xcb);
  BigEndian(std::bit_cast<std::uint64_t>(value), 8);
}

void MsgpackWriter::Str(std::string_view text) {
  std::size_t n = text.size();
  if (n <= 31) {
    Byte(static_cast<std::uint8_t>(0xa0 | n));
  } else if (n <= 0xff) {
    Byte(0xd9);
    BigEndian(n, 1);
  } else if (n <= 0xffff) {
    Byte(0xda);
    BigEndian(n, 2);
  } else {
    Byte(0xdb);
    BigEndian(n, 4);
  }
  out_->append(text);
}

void MsgpackWriter::Bin(std::string_view bytes) {
  std::size_t n = bytes.size();
  if (n <= 0xff) {
    Byte(0xc4);
    BigEndian(n, 1);
  } else if (n <= 0xffff) {
    Byte(0xc5);
    BigEndian(n, 2);
  } else {
    Byte(0xc6);
    BigEndian(n, 4);
  }
  out_->append(bytes);
}

void MsgpackWriter::Array(std::uint32_t count) {
  if (count <= 15) {
    Byte(static_cast<std::uint8_t>(0x90 | count));
  } else if (count <= 0xffff) {
    Byte(0xdc);
    BigEndian(count, 2);
  } else {
    Byte(0xdd);
    BigEndian(count, 4);
  }
}

void MsgpackWriter::Map(std::uint32_t pairs) {
  if (pairs <= 15) {
    Byte(static_cast<std::uint8_t>(0x80 | pairs));
  } else if (pairs <= 0xffff) {
    Byte(0xde);
    BigEndian(pairs, 2);
  } else {
    Byte(0xdf);
    BigEndian(pairs, 4);
  }
}

void MsgpackWriter::Ext(std::int8_t type, std::string_view data) {
  std::size_t n = data.size();
  switch (n) {
    case 1:
      Byte(0xd4);
      break;
    case 2:
      Byte(0xd5);
      break;
    case 4:
      Byte(0xd6);
      break;
    case 8:
      Byte(0xd7);
      break;
    case 16:
      Byte(0xd8);
      break;
    default:
      if (n <= 0xff) {
        Byte(0xc7);
        BigEndian(n, 1);
      } else if (n <= 0xffff) {
        Byte(0xc8);
        BigEndian(n, 2);
      } else {
        Byte(0xc9);
        BigEndian(n, 4);
      }
  }
  Byte(static_cast<std::uint8_t>(type));
  out_->append(data);
}

}  // namespace codec
