#include "codec/msgpack_reader.h"

#include <catch2/catch.hpp>
#include <string>

#include "support/bytes.h"

using codec::DecodeStatus;
using codec::MsgpackType;
using testing::Bytes;

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

TEST_CASE("DecodeHead knows every type byte's head size and waits for all of it",
          "[codec][msgpack]") {
  // The head sizes of 0xc0-0xdf from the msgpack spec, written out independently of the
  // decoder (0 for 0xc1, never used); every other type byte is a whole head.
  constexpr int kSizes[32] = {
      1, 0, 1, 1,     // nil, never used, false, true
      2, 3, 5,        // bin 8/16/32
      3, 4, 6,        // ext 8/16/32
      5, 9,           // float 32/64
      2, 3, 5, 9,     // uint 8/16/32/64
      2, 3, 5, 9,     // int 8/16/32/64
      2, 2, 2, 2, 2,  // fixext 1/2/4/8/16
      2, 3, 5,        // str 8/16/32
      3, 5,           // array 16/32
      3, 5,           // map 16/32
  };
  auto expected_size = [&](int byte) {
    return byte >= 0xc0 && byte <= 0xdf ? kSizes[byte - 0xc0] : 1;
  };
  codec::MsgpackHead head;
  CHECK(codec::DecodeHead({}, &head) == DecodeStatus::kNeedMore);
  for (int byte = 0; byte <= 0xff; ++byte) {
    CAPTURE(byte);
    // Zero lengths, so that no limit or payload is involved.
    std::string bytes = Bytes({byte}) + std::string(9, '\0');
    int size = expected_size(byte);
    if (size == 0) {
      CHECK(codec::DecodeHead(std::string_view(bytes).substr(0, 1), &head) ==
            DecodeStatus::kInvalid);
      continue;
    }
    for (int n = 1; n < size; ++n) {
      CHECK(codec::DecodeHead(std::string_view(bytes).substr(0, n), &head) ==
            DecodeStatus::kNeedMore);
    }
    REQUIRE(codec::DecodeHead(std::string_view(bytes).substr(0, size), &head) == DecodeStatus::kOk);
    CHECK(head.head_size == size);
  }
}

TEST_CASE("DecodeHead sets every field, zero where the type has no use for it",
          "[codec][msgpack]") {
  using codec::MsgpackHead;
  struct Case {
    std::string bytes;
    MsgpackHead expected;
  };
  // The edges of each one-byte head class, and their neighbours that take the longer path.
  const Case cases[] = {
      {Bytes({0x00}), {.type = MsgpackType::kUint, .head_size = 1}},
      {Bytes({0x7f}), {.type = MsgpackType::kUint, .uint_value = 127, .head_size = 1}},
      {Bytes({0x80}), {.type = MsgpackType::kMap, .head_size = 1}},
      {Bytes({0x8f}), {.type = MsgpackType::kMap, .length = 15, .head_size = 1}},
      {Bytes({0x90}), {.type = MsgpackType::kArray, .head_size = 1}},
      {Bytes({0x9f}), {.type = MsgpackType::kArray, .length = 15, .head_size = 1}},
      {Bytes({0xa0}), {.type = MsgpackType::kStr, .head_size = 1}},
      {Bytes({0xbf}), {.type = MsgpackType::kStr, .length = 31, .head_size = 1}},
      {Bytes({0xc0}), {.type = MsgpackType::kNil, .head_size = 1}},
      {Bytes({0xc2}), {.type = MsgpackType::kBool, .head_size = 1}},
      {Bytes({0xc3}), {.type = MsgpackType::kBool, .boolean = true, .head_size = 1}},
      {Bytes({0xe0}), {.type = MsgpackType::kInt, .int_value = -32, .head_size = 1}},
      {Bytes({0xff}), {.type = MsgpackType::kInt, .int_value = -1, .head_size = 1}},
      {Bytes({0xcc, 0x80}), {.type = MsgpackType::kUint, .uint_value = 128, .head_size = 2}},
      {Bytes({0xd9, 0xff}), {.type = MsgpackType::kStr, .length = 255, .head_size = 2}},
      {Bytes({0xd7, 0x00}), {.type = MsgpackType::kExt, .length = 8, .head_size = 2}},
      {Bytes({0xd4, 0x80}),
       {.type = MsgpackType::kExt, .length = 1, .ext_type = -128, .head_size = 2}},
      {Bytes({0xdf, 0x00, 0x00, 0x00, 0x10}),
       {.type = MsgpackType::kMap, .length = 16, .head_size = 5}},
      {Bytes({0xca, 0x00, 0x00, 0x00, 0x00}), {.type = MsgpackType::kFloat, .head_size = 5}},
  };
  for (const Case& c : cases) {
    CAPTURE(static_cast<int>(static_cast<unsigned char>(c.bytes[0])));
    // Decoded over a head left full by an earlier decode, so a stale field would show.
    MsgpackHead head{.type = MsgpackType::kFloat,
                     .boolean = true,
                     .uint_value = 7,
                     .int_value = -7,
                     .float_value = 7.5,
                     .length = 7,
                     .ext_type = 7,
                     .head_size = 7};
    REQUIRE(codec::DecodeHead(c.bytes, &head) == DecodeStatus::kOk);
    CHECK(head.type == c.expected.type);
    CHECK(head.boolean == c.expected.boolean);
    CHECK(head.uint_value == c.expected.uint_value);
    CHECK(head.int_value == c.expected.int_value);
    CHECK(head.float_value == c.expected.float_value);
    CHECK(head.length == c.expected.length);
    CHECK(head.ext_type == c.expected.ext_type);
    CHECK(head.head_size == c.expected.head_size);
  }
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

TEST_CASE("MsgpackScanner resumes at every byte of nested containers and long heads",
          "[codec][msgpack]") {
  // ["t", [[EventTime, {"k": str 8 of 40, "n": uint 16, "d": [[1]], "e": {}}]], {}]
  std::string value = Bytes({0x93, 0xa1, 't', 0xdc, 0x00, 0x01, 0x92, 0xd7, 0x00}) +
                      std::string(8, '\x01') + Bytes({0x84, 0xa1, 'k', 0xd9, 40}) +
                      std::string(40, 'x') +
                      Bytes({0xa1, 'n', 0xcd, 0x01, 0x00, 0xa1, 'd', 0x91, 0x91, 0x01, 0xa1, 'e',
                             0x80, 0xde, 0x00, 0x00});
  std::string trailing = value + Bytes({0xc0});
  for (std::size_t split = 0; split < value.size(); ++split) {
    CAPTURE(split);
    // Two pieces, split anywhere...
    codec::MsgpackScanner twice;
    REQUIRE(twice.Scan(std::string_view(trailing).substr(0, split)) == DecodeStatus::kNeedMore);
    REQUIRE(twice.Scan(trailing) == DecodeStatus::kOk);
    CHECK(twice.size() == value.size());
  }
  // ...or one byte at a time, by a scanner that goes on to values as deep and shallower.
  codec::MsgpackScanner scanner;
  for (int round = 0; round < 2; ++round) {
    for (std::size_t n = 0; n < value.size(); ++n) {
      REQUIRE(scanner.Scan(std::string_view(trailing).substr(0, n)) == DecodeStatus::kNeedMore);
    }
    REQUIRE(scanner.Scan(trailing) == DecodeStatus::kOk);
    CHECK(scanner.size() == value.size());
    scanner.Reset();
    REQUIRE(scanner.Scan(Bytes({0x01})) == DecodeStatus::kOk);
    CHECK(scanner.size() == 1);
    scanner.Reset();
  }
}

TEST_CASE("MsgpackScanner counts depth again after containers close", "[codec][msgpack]") {
  codec::MsgpackLimits limits{.max_length = 3, .max_depth = 3};
  struct Case {
    std::string bytes;
    const char* error;  // nullptr when the value is within the limits
  };
  const Case cases[] = {
      {Bytes({0x92, 0x91, 0x91, 0x01, 0x91, 0x91, 0x01}), nullptr},  // [[[1]], [[1]]]
      {Bytes({0x92, 0x91, 0x91, 0x01, 0x91, 0x91, 0x91, 0x01}), "nesting deeper than 3"},
      {Bytes({0x92, 0x90, 0x91, 0x80}), nullptr},                    // [[], [{}]]
      {Bytes({0x81, 0x01, 0x81, 0x02, 0x81, 0x03, 0x04}), nullptr},  // {1: {2: {3: 4}}}
      {Bytes({0x81, 0x01, 0x81, 0x02, 0x81, 0x03, 0x80}), "nesting deeper than 3"},
      // The limits hold for one-byte heads as for the longer ones.
      {Bytes({0xa3, 'a', 'b', 'c'}), nullptr},
      {Bytes({0xa4, 'a', 'b', 'c', 'd'}), "msgpack str/bin/ext of 4 bytes at offset 0 exceeds"},
      {Bytes({0x91, 0xd9, 0x04, 'a', 'b', 'c', 'd'}), "str/bin/ext of 4 bytes at offset 1"},
      {Bytes({0x94, 0x01, 0x01, 0x01, 0x01}), "msgpack array of 4 elements at offset 0 exceeds"},
      {Bytes({0x91, 0x84}), "msgpack map of 4 elements at offset 1 exceeds"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.bytes.size());
    codec::MsgpackScanner at_once(limits);
    codec::MsgpackScanner bytewise(limits);
    DecodeStatus status = DecodeStatus::kNeedMore;
    for (std::size_t n = 1; n <= c.bytes.size() && status == DecodeStatus::kNeedMore; ++n) {
      status = bytewise.Scan(std::string_view(c.bytes).substr(0, n));
    }
    for (codec::MsgpackScanner* scanner : {&at_once, &bytewise}) {
      if (c.error == nullptr) {
        CHECK(scanner->Scan(c.bytes) == DecodeStatus::kOk);
        CHECK(scanner->size() == c.bytes.size());
      } else {
        CHECK(scanner->Scan(c.bytes) == DecodeStatus::kInvalid);
        CHECK_THAT(scanner->error(), Catch::Contains(c.error));
      }
    }
  }
}

TEST_CASE("TakeWithScalarKeys tells keys from values at every depth", "[codec][msgpack]") {
  struct Case {
    std::string bytes;
    bool ok;
  };
  const Case cases[] = {
      {Bytes({0x81, 0x91, 0x01, 0x01}), false},                         // {[1]: 1}
      {Bytes({0x81, 0x80, 0x01}), false},                               // {{}: 1}
      {Bytes({0x82, 0x01, 0x91, 0x01, 0x02, 0x80}), true},              // {1: [1], 2: {}}
      {Bytes({0x82, 0x01, 0x02, 0x80, 0x03}), false},                   // {1: 2, {}: 3}
      {Bytes({0x91, 0x81, 0xa1, 'k', 0x91, 0x81, 0x01, 0x02}), true},   // [{"k": [{1: 2}]}]
      {Bytes({0x92, 0x80, 0x81, 0x81, 0x01, 0x02, 0x03}), false},       // [{}, {{1: 2}: 3}]
      {Bytes({0x81, 0x01, 0x81, 0x02, 0x91, 0x81, 0x03, 0x04}), true},  // {1: {2: [{3: 4}]}}
      // When a container closes, the one around it goes on where it was.
      {Bytes({0x92, 0x81, 0x01, 0x02, 0x90}), true},               // [{1: 2}, []]
      {Bytes({0x82, 0x01, 0x81, 0x02, 0x03, 0x04, 0x90}), true},   // {1: {2: 3}, 4: []}
      {Bytes({0x82, 0x01, 0x81, 0x02, 0x03, 0x90, 0x04}), false},  // {1: {2: 3}, []: 4}
      // {1: [{2: 3}], {4: 5}: 6}
      {Bytes({0x82, 0x01, 0x91, 0x81, 0x02, 0x03, 0x81, 0x04, 0x05, 0x06}), false},
      // {"a": EventTime, "b": [256, bin], nil: true}
      {Bytes({0x83, 0xa1, 'a', 0xd7, 0x00}) + std::string(8, '\x01') +
           Bytes({0xd9, 0x01, 'b', 0x92, 0xcd, 0x01, 0x00, 0xc4, 0x00, 0xc0, 0xc3}),
       true},
      {Bytes({0x82, 0x01}), false},                   // truncated map
      {Bytes({0x81, 0xa3, 'a'}), false},              // truncated key
      {Bytes({0x81, 0x01, 0xd9, 0x05, 'a'}), false},  // truncated value
  };
  for (const Case& c : cases) {
    CAPTURE(c.bytes.size());
    // A scalar after the value shows that the cursor stops right after it.
    std::string data = c.bytes + Bytes({0x07});
    codec::MsgpackCursor cursor(c.ok ? std::string_view(data) : std::string_view(c.bytes));
    std::string_view value;
    REQUIRE(cursor.TakeWithScalarKeys(&value) == c.ok);
    CHECK(cursor.failed() == !c.ok);
    if (c.ok) {
      CHECK(value == c.bytes);
      CHECK(cursor.offset() == c.bytes.size());
      codec::MsgpackHead head;
      REQUIRE(cursor.Next(&head));
      CHECK(head.uint_value == 7);
    }
  }
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
  // A payload that ends exactly at the end of the bytes is whole; one byte more is not.
  std::string exact = Bytes({0xa2, 'h', 'i'});
  codec::MsgpackCursor whole(exact);
  REQUIRE(whole.ReadStr(&text));
  CHECK(text == "hi");
  CHECK(whole.AtEnd());
  CHECK(whole.rest().empty());
  codec::MsgpackCursor short_by_one(std::string_view(exact).substr(0, 2));
  codec::MsgpackHead head;
  REQUIRE(short_by_one.Next(&head));
  CHECK(short_by_one.rest() == "h");
  CHECK_FALSE(short_by_one.Payload(head, &text));
  CHECK(short_by_one.failed());
  CHECK(short_by_one.offset() == 1);
  // A failed cursor stays failed, even where the bytes would read.
  CHECK_FALSE(short_by_one.Next(&head));
}
