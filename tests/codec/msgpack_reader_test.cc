#include "codec/msgpack_reader.h"

#include <catch2/catch.hpp>
#include <string>

using codec::DecodeStatus;
using codec::MsgpackType;

namespace {

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

}  // namespace

TEST_CASE("DecodeHead decodes every msgpack format family", "[codec][msgpack]") {
  struct Case {
    std::string bytes;
    MsgpackType type;
    std::uint64_t uint_value;
    std::int64_t int_value;
    std::uint32_t length;
    int head_size;
  };
  const Case cases[] = {
      {Bytes({0x00}), MsgpackType::kUint, 0, 0, 0, 1},
      {Bytes({0x7f}), MsgpackType::kUint, 127, 0, 0, 1},
      {Bytes({0xcc, 0xff}), MsgpackType::kUint, 255, 0, 0, 2},
      {Bytes({0xcd, 0x01, 0x00}), MsgpackType::kUint, 256, 0, 0, 3},
      {Bytes({0xce, 0x00, 0x01, 0x00, 0x00}), MsgpackType::kUint, 65536, 0, 0, 5},
      {Bytes({0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), MsgpackType::kUint,
       UINT64_MAX, 0, 0, 9},
      {Bytes({0xe0}), MsgpackType::kInt, 0, -32, 0, 1},
      {Bytes({0xff}), MsgpackType::kInt, 0, -1, 0, 1},
      {Bytes({0xd0, 0x80}), MsgpackType::kInt, 0, -128, 0, 2},
      {Bytes({0xd1, 0x80, 0x00}), MsgpackType::kInt, 0, -32768, 0, 3},
      {Bytes({0xd2, 0x80, 0x00, 0x00, 0x00}), MsgpackType::kInt, 0, INT32_MIN, 0, 5},
      {Bytes({0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0}), MsgpackType::kInt, 0, INT64_MIN, 0, 9},
      {Bytes({0xa3}), MsgpackType::kStr, 0, 0, 3, 1},
      {Bytes({0xd9, 0x20}), MsgpackType::kStr, 0, 0, 32, 2},
      {Bytes({0xda, 0x01, 0x00}), MsgpackType::kStr, 0, 0, 256, 3},
      {Bytes({0xdb, 0x00, 0x01, 0x00, 0x00}), MsgpackType::kStr, 0, 0, 65536, 5},
      {Bytes({0xc4, 0x05}), MsgpackType::kBin, 0, 0, 5, 2},
      {Bytes({0xc5, 0x01, 0x00}), MsgpackType::kBin, 0, 0, 256, 3},
      {Bytes({0xc6, 0x7f, 0xff, 0xff, 0xff}), MsgpackType::kBin, 0, 0, 0x7fffffff, 5},
      {Bytes({0x93}), MsgpackType::kArray, 0, 0, 3, 1},
      {Bytes({0xdc, 0x00, 0x10}), MsgpackType::kArray, 0, 0, 16, 3},
      {Bytes({0xdd, 0x00, 0x01, 0x00, 0x00}), MsgpackType::kArray, 0, 0, 65536, 5},
      {Bytes({0x82}), MsgpackType::kMap, 0, 0, 2, 1},
      {Bytes({0xde, 0x00, 0x10}), MsgpackType::kMap, 0, 0, 16, 3},
      {Bytes({0xdf, 0x00, 0x01, 0x00, 0x00}), MsgpackType::kMap, 0, 0, 65536, 5},
      {Bytes({0xd7, 0x00}), MsgpackType::kExt, 0, 0, 8, 2},
      {Bytes({0xc7, 0x08, 0x00}), MsgpackType::kExt, 0, 0, 8, 3},
      {Bytes({0xc8, 0x01, 0x00, 0x05}), MsgpackType::kExt, 0, 0, 256, 4},
      {Bytes({0xc0}), MsgpackType::kNil, 0, 0, 0, 1},
  };
  for (const Case& c : cases) {
    CAPTURE(static_cast<int>(static_cast<unsigned char>(c.bytes[0])));
    codec::MsgpackHead head;
    REQUIRE(codec::DecodeHead(c.bytes, &head) == DecodeStatus::kOk);
    CHECK(head.type == c.type);
    CHECK(head.uint_value == c.uint_value);
    CHECK(head.int_value == c.int_value);
    CHECK(head.length == c.length);
    CHECK(head.head_size == c.head_size);
    // Every proper prefix of a head asks for more bytes.
    for (std::size_t n = 0; n < c.bytes.size(); ++n) {
      CHECK(codec::DecodeHead(std::string_view(c.bytes).substr(0, n), &head) ==
            DecodeStatus::kNeedMore);
    }
  }
}

TEST_CASE("DecodeHead reads floats, booleans and ext types", "[codec][msgpack]") {
  codec::MsgpackHead head;
  REQUIRE(codec::DecodeHead(Bytes({0xca, 0x3f, 0xc0, 0x00, 0x00}), &head) == DecodeStatus::kOk);
  CHECK(head.type == MsgpackType::kFloat);
  CHECK(head.float_value == 1.5);
  REQUIRE(codec::DecodeHead(Bytes({0xcb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18}), &head) ==
          DecodeStatus::kOk);
  CHECK(head.float_value == Approx(3.141592653589793));
  REQUIRE(codec::DecodeHead(Bytes({0xc3}), &head) == DecodeStatus::kOk);
  CHECK((head.type == MsgpackType::kBool && head.boolean));
  REQUIRE(codec::DecodeHead(Bytes({0xd4, 0xff}), &head) == DecodeStatus::kOk);
  CHECK(head.ext_type == -1);
  CHECK(codec::DecodeHead(Bytes({0xc1}), &head) == DecodeStatus::kInvalid);
}

TEST_CASE("MsgpackScanner measures a value delivered one byte at a time", "[codec][msgpack]") {
  // ["tag", [[1, {"k": "v"}]], {"chunk": "abc"}]
  std::string value = Bytes({0x93, 0xa3, 't',  'a', 'g', 0x91, 0x92, 0x01, 0x81, 0xa1, 'k', 0xa1,
                             'v',  0x81, 0xa5, 'c', 'h', 'u',  'n',  'k',  0xa3, 'a',  'b', 'c'});
  std::string trailing = value + Bytes({0xc0});
  codec::MsgpackScanner scanner;
  for (std::size_t n = 0; n < value.size(); ++n) {
    REQUIRE(scanner.Scan(std::string_view(trailing).substr(0, n)) == DecodeStatus::kNeedMore);
  }
  REQUIRE(scanner.Scan(trailing) == DecodeStatus::kOk);
  CHECK(scanner.size() == value.size());
  scanner.Reset();
  REQUIRE(scanner.Scan(value) == DecodeStatus::kOk);
  CHECK(scanner.size() == value.size());
}

TEST_CASE("MsgpackScanner refuses lengths over the limit before the payload arrives",
          "[codec][msgpack]") {
  codec::MsgpackLimits limits{.max_length = 1000, .max_depth = 10};
  const std::string huge[] = {
      Bytes({0xc6, 0x7f, 0xff, 0xff, 0xff}),        // bin of 2 GiB
      Bytes({0xdb, 0x7f, 0xff, 0xff, 0xff}),        // str of 2 GiB
      Bytes({0xdd, 0x7f, 0xff, 0xff, 0xff}),        // array of 2G elements
      Bytes({0xdf, 0x00, 0x00, 0x03, 0xe9}),        // map of 1001 pairs
      Bytes({0xc9, 0x00, 0x00, 0x03, 0xe9, 0x01}),  // ext of 1001 bytes
  };
  for (const std::string& bytes : huge) {
    codec::MsgpackScanner scanner(limits);
    CHECK(scanner.Scan(bytes) == DecodeStatus::kInvalid);
    CHECK_THAT(scanner.error(), Catch::Contains("exceeds the limit"));
  }
  codec::MsgpackScanner at_limit(limits);
  std::string exactly = Bytes({0xc5, 0x03, 0xe8}) + std::string(1000, 'x');
  CHECK(at_limit.Scan(exactly) == DecodeStatus::kOk);
}

TEST_CASE("MsgpackScanner enforces the nesting limit", "[codec][msgpack]") {
  codec::MsgpackLimits limits{.max_length = 100, .max_depth = 3};
  codec::MsgpackScanner ok(limits);
  CHECK(ok.Scan(Bytes({0x91, 0x91, 0x91, 0x01})) == DecodeStatus::kOk);
  codec::MsgpackScanner deep(limits);
  CHECK(deep.Scan(Bytes({0x91, 0x91, 0x91, 0x91, 0x01})) == DecodeStatus::kInvalid);
  CHECK_THAT(deep.error(), Catch::Contains("nesting"));
  codec::MsgpackScanner deep_map(limits);
  CHECK(deep_map.Scan(Bytes({0x81, 0x01, 0x81, 0x01, 0x81, 0x01, 0x80})) == DecodeStatus::kInvalid);
}

TEST_CASE("MsgpackScanner reports the reserved byte", "[codec][msgpack]") {
  codec::MsgpackScanner scanner;
  CHECK(scanner.Scan(Bytes({0x92, 0x01, 0xc1})) == DecodeStatus::kInvalid);
  CHECK_THAT(scanner.error(), Catch::Contains("0xc1"));
}

TEST_CASE("MsgpackCursor reads, skips and takes values", "[codec][msgpack]") {
  std::string data = Bytes({0x92, 0xa2, 'h', 'i', 0x82, 0x01, 0x90, 0x02, 0xc4, 0x01, 0x7f, 0x05});
  codec::MsgpackCursor cursor(data);
  std::uint32_t count = 0;
  REQUIRE(cursor.ReadArrayHead(&count));
  CHECK(count == 2);
  std::string_view text;
  REQUIRE(cursor.ReadStr(&text));
  CHECK(text == "hi");
  std::string_view map_bytes;
  REQUIRE(cursor.Take(&map_bytes));
  CHECK(map_bytes == Bytes({0x82, 0x01, 0x90, 0x02, 0xc4, 0x01, 0x7f}));
  codec::MsgpackHead head;
  REQUIRE(cursor.Next(&head));
  CHECK(head.uint_value == 5);
  CHECK(cursor.AtEnd());
  CHECK_FALSE(cursor.Next(&head));
  CHECK(cursor.failed());
}

TEST_CASE("MsgpackCursor fails on truncated payloads and wrong types", "[codec][msgpack]") {
  std::string truncated = Bytes({0xa5, 'a', 'b'});
  codec::MsgpackCursor cursor(truncated);
  std::string_view text;
  CHECK_FALSE(cursor.ReadStr(&text));
  std::string number = Bytes({0x01});
  codec::MsgpackCursor wrong(number);
  CHECK_FALSE(wrong.ReadStr(&text));
  std::string nested = Bytes({0x92, 0x91});  // array claims two elements, has half of one
  codec::MsgpackCursor skip(nested);
  CHECK_FALSE(skip.Skip());
}
