#include "codec/msgpack_json.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "codec/fluent_entries.h"
#include "codec/json_parse.h"
#include "rapidjson/document.h"

namespace {

template <typename Fn>
std::string ToJson(Fn&& build) {
  std::string bytes;
  codec::MsgpackWriter writer(&bytes);
  build(writer);
  codec::MsgpackCursor cursor(bytes);
  std::string json;
  REQUIRE(codec::AppendMsgpackAsJson(cursor, &json));
  CHECK(cursor.AtEnd());
  return json;
}

}  // namespace

TEST_CASE("AppendMsgpackAsJson converts each msgpack type as documented", "[codec][json]") {
  using W = codec::MsgpackWriter;
  CHECK(ToJson([](W& w) { w.Nil(); }) == "null");
  CHECK(ToJson([](W& w) { w.Bool(false); }) == "false");
  CHECK(ToJson([](W& w) { w.Uint(UINT64_MAX); }) == "18446744073709551615");
  CHECK(ToJson([](W& w) { w.Int(INT64_MIN); }) == "-9223372036854775808");
  CHECK(ToJson([](W& w) { w.Double(0.1); }) == "0.1");
  CHECK(ToJson([](W& w) { w.Double(std::numeric_limits<double>::quiet_NaN()); }) == "null");
  CHECK(ToJson([](W& w) { w.Double(-std::numeric_limits<double>::infinity()); }) == "null");
  CHECK(ToJson([](W& w) { w.Str("a\"b"); }) == "\"a\\\"b\"");
  CHECK(ToJson([](W& w) { w.Bin("foo"); }) == "\"Zm9v\"");
  CHECK(ToJson([](W& w) {
          codec::WriteEventTime(w, {1700000000, 5});
        }) == "\"2023-11-14T22:13:20.000000005Z\"");
  CHECK(ToJson([](W& w) { w.Ext(7, "foo"); }) == "\"Zm9v\"");
  CHECK(ToJson([](W& w) {
          w.Map(3);
          w.Str("k");
          w.Array(2);
          w.Int(1);
          w.Str("x");
          w.Int(5);
          w.Str("five");
          w.Nil();
          w.Map(0);
        }) == "{\"k\":[1,\"x\"],\"5\":\"five\",\"null\":{}}");
}

TEST_CASE("AppendMsgpackAsJson fails on truncated input and absurd nesting", "[codec][json]") {
  std::string truncated("\x82\xa1k", 3);
  codec::MsgpackCursor cursor(truncated);
  std::string json;
  CHECK_FALSE(codec::AppendMsgpackAsJson(cursor, &json));
  std::string deep(100, '\x91');
  deep.push_back('\x01');
  codec::MsgpackCursor deep_cursor(deep);
  json.clear();
  CHECK_FALSE(codec::AppendMsgpackAsJson(deep_cursor, &json));
}

// Found by fuzz_msgpack in a 10-million-run: 65 nested arrays were converted, and ParseJson
// (64 at most) refused the JSON that came out.
TEST_CASE("AppendMsgpackAsJson nests as deep as ParseJson reads back, and no deeper",
          "[codec][json]") {
  for (int levels : {64, 65}) {
    CAPTURE(levels);
    std::string nested(static_cast<std::size_t>(levels), '\x91');  // arrays of one element
    nested.push_back('\x01');
    codec::MsgpackCursor cursor(nested);
    std::string json;
    const bool converted = codec::AppendMsgpackAsJson(cursor, &json);
    CHECK(converted == (levels <= 64));
    if (!converted) continue;
    rapidjson::Document document;
    std::string error;
    CHECK(codec::ParseJson(json, &document, &error));
    CHECK(json == std::string(64, '[') + "1" + std::string(64, ']'));
  }
  // A map nests alike.
  std::string maps;
  for (int i = 0; i < 65; ++i) maps += "\x81\xa1k";
  maps.push_back('\x01');
  codec::MsgpackCursor cursor(maps);
  std::string json;
  CHECK_FALSE(codec::AppendMsgpackAsJson(cursor, &json));
}

TEST_CASE("JSON → msgpack → JSON gives the same document", "[codec][json]") {
  const char* text =
      R"({"Computer":"vm1","Size":12345,"Neg":-7,"Ratio":0.5,"Ok":true,"Nothing":null,)"
      R"("List":[1,"two",[3]],"Nested":{"a":{"b":"c"}}})";
  rapidjson::Document document;
  document.Parse(text);
  REQUIRE_FALSE(document.HasParseError());
  std::string bytes;
  codec::MsgpackWriter writer(&bytes);
  REQUIRE(codec::AppendJsonAsMsgpack(document, writer));
  codec::MsgpackCursor cursor(bytes);
  std::string json;
  REQUIRE(codec::AppendMsgpackAsJson(cursor, &json));
  CHECK(json == text);
}

TEST_CASE("AppendJsonAsMsgpack refuses documents nested beyond its limit", "[codec][json]") {
  rapidjson::Document document;
  document.Parse("[[[[1]]]]");
  std::string bytes;
  codec::MsgpackWriter writer(&bytes);
  CHECK_FALSE(codec::AppendJsonAsMsgpack(document, writer, 2));
  CHECK(codec::AppendJsonAsMsgpack(document, writer, 4));
}

TEST_CASE("Map and array keys are refused rather than escaped level after level", "[codec][json]") {
  // Found by fuzzing: {{{nil: nil}: nil}: nil}… doubled the text at every level, 45 bytes of
  // msgpack became 8 MB of JSON.
  std::string bomb(22, '\x81');
  bomb.append(23, '\xc0');
  codec::MsgpackCursor cursor(bomb);
  std::string json;
  CHECK_FALSE(codec::AppendMsgpackAsJson(cursor, &json));
  CHECK(json.size() < 64);
  codec::MsgpackCursor take(bomb);
  std::string_view value;
  CHECK_FALSE(take.TakeWithScalarKeys(&value));
  // Scalar keys of every kind are fine.
  std::string scalars;
  codec::MsgpackWriter writer(&scalars);
  writer.Map(4);
  writer.Int(-1);
  writer.Nil();
  writer.Bool(true);
  writer.Int(1);
  writer.Bin("k");
  writer.Int(2);
  writer.Double(1.5);
  writer.Map(1);
  writer.Str("nested");
  writer.Int(3);
  codec::MsgpackCursor ok(scalars);
  CHECK(ok.TakeWithScalarKeys(&value));
  CHECK(value.size() == scalars.size());
  codec::MsgpackCursor convert(scalars);
  json.clear();
  REQUIRE(codec::AppendMsgpackAsJson(convert, &json));
  CHECK(json == "{\"-1\":null,\"true\":1,\"aw==\":2,\"1.5\":{\"nested\":3}}");
}

TEST_CASE("TakeWithScalarKeys refuses nesting deeper than 64", "[codec][msgpack]") {
  std::string deep(65, '\x91');
  deep.push_back('\x01');
  codec::MsgpackCursor cursor(deep);
  std::string_view value;
  CHECK_FALSE(cursor.TakeWithScalarKeys(&value));
  std::string fine(64, '\x91');
  fine.push_back('\x01');
  codec::MsgpackCursor ok(fine);
  CHECK(ok.TakeWithScalarKeys(&value));
}
