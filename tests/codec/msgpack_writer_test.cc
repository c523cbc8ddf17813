#include "codec/msgpack_writer.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "codec/msgpack_reader.h"

namespace {

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

template <typename Fn>
std::string Write(Fn&& fn) {
  std::string out;
  codec::MsgpackWriter writer(&out);
  fn(writer);
  return Hex(out);
}

}  // namespace

TEST_CASE("MsgpackWriter picks the smallest encoding", "[codec][msgpack]") {
  using W = codec::MsgpackWriter;
  CHECK(Write([](W& w) { w.Int(0); }) == "00");
  CHECK(Write([](W& w) { w.Int(127); }) == "7f");
  CHECK(Write([](W& w) { w.Int(128); }) == "cc80");
  CHECK(Write([](W& w) { w.Int(65535); }) == "cdffff");
  CHECK(Write([](W& w) { w.Int(65536); }) == "ce00010000");
  CHECK(Write([](W& w) { w.Uint(1ull << 32); }) == "cf0000000100000000");
  CHECK(Write([](W& w) { w.Int(-1); }) == "ff");
  CHECK(Write([](W& w) { w.Int(-32); }) == "e0");
  CHECK(Write([](W& w) { w.Int(-33); }) == "d0df");
  CHECK(Write([](W& w) { w.Int(-129); }) == "d1ff7f");
  CHECK(Write([](W& w) { w.Int(-32769); }) == "d2ffff7fff");
  CHECK(Write([](W& w) { w.Int(INT64_MIN); }) == "d38000000000000000");
  CHECK(Write([](W& w) { w.Str("abc"); }) == "a3616263");
  CHECK(Write([](W& w) { w.Str(std::string(32, 'a')); }).substr(0, 4) == "d920");
  CHECK(Write([](W& w) { w.Str(std::string(256, 'a')); }).substr(0, 6) == "da0100");
  CHECK(Write([](W& w) { w.Bin("\x01"); }) == "c40101");
  CHECK(Write([](W& w) { w.Array(15); }) == "9f");
  CHECK(Write([](W& w) { w.Array(16); }) == "dc0010");
  CHECK(Write([](W& w) { w.Array(65536); }) == "dd00010000");
  CHECK(Write([](W& w) { w.Map(1); }) == "81");
  CHECK(Write([](W& w) { w.Map(70000); }) == "df00011170");
  CHECK(Write([](W& w) { w.Ext(0, "12345678"); }) == "d7003132333435363738");
  CHECK(Write([](W& w) { w.Ext(5, "abc"); }) == "c70305616263");
  CHECK(Write([](W& w) { w.Nil(); }) == "c0");
  CHECK(Write([](W& w) { w.Bool(true); }) == "c3");
  CHECK(Write([](W& w) { w.Double(1.5); }) == "cb3ff8000000000000");
}

TEST_CASE("MsgpackWriter output reads back through MsgpackCursor", "[codec][msgpack]") {
  std::string out;
  codec::MsgpackWriter writer(&out);
  const std::int64_t ints[] = {0,      1,         -1,        127,       128,      -32,   -33,
                               255,    256,       -128,      -129,      65535,    65536, -32768,
                               -32769, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
  for (std::int64_t v : ints) writer.Int(v);
  writer.Double(-0.25);
  codec::MsgpackCursor cursor(out);
  for (std::int64_t v : ints) {
    codec::MsgpackHead head;
    REQUIRE(cursor.Next(&head));
    if (head.type == codec::MsgpackType::kUint) {
      CHECK(head.uint_value == static_cast<std::uint64_t>(v));
    } else {
      CHECK(head.int_value == v);
    }
  }
  codec::MsgpackHead head;
  REQUIRE(cursor.Next(&head));
  CHECK(head.float_value == -0.25);
  CHECK(cursor.AtEnd());
}
