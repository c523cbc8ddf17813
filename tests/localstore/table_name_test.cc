#include "localstore/table_name.h"

#include <catch2/catch.hpp>
#include <string>

TEST_CASE("Fnv1a64 matches the published vectors and AMA's table names", "[localstore]") {
  struct Case {
    std::string input;
    std::uint64_t expected;
  };
  const Case cases[] = {
      {"", 0xcbf29ce484222325ULL},   // the offset basis
      {"a", 0xaf63dc4c8601ec8cULL},  // FNV reference test vector
      {"CONFIG_DATA_BLOB_V2", 18299827115690051523ULL},
      {"CONFIG_CHANGE_BLOB_V2", 13148241926187733235ULL},
      {"CONFIG_CHANGE_BLOB", 11545608512621991890ULL},
  };
  for (const Case& c : cases) {
    INFO(c.input);
    CHECK(localstore::Fnv1a64(c.input) == c.expected);
  }
}

TEST_CASE("DataTypeOf takes the text after the last colon", "[localstore]") {
  struct Case {
    std::string stream_id;
    std::string expected;
  };
  const Case cases[] = {
      {"dcr-1:CTDataSource-Linux:CONFIG_CHANGE_BLOB", "CONFIG_CHANGE_BLOB"},
      {"CONFIG_CHANGE_BLOB", "CONFIG_CHANGE_BLOB"},
      {"a:", ""},
      {"", ""},
  };
  for (const Case& c : cases) {
    INFO(c.stream_id);
    CHECK(localstore::DataTypeOf(c.stream_id) == c.expected);
  }
}

TEST_CASE("TableFileName sanitises the prefix and hashes the DATATYPE", "[localstore]") {
  struct Case {
    std::string stream_id;
    std::string expected;
  };
  const Case cases[] = {
      {"dcr-cad67fc3f9024d43bafe704f83012bc6:CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2",
       "dcr-cad67fc3f9024d43bafe704f83012bc6_CTDataSource-Linux_13148241926187733235.tsf"},
      {"dcr-1:CTDataSource-Linux:CONFIG_CHANGE_BLOB",
       "dcr-1_CTDataSource-Linux_11545608512621991890.tsf"},
      {"dcr-1:ds.v2_x:CONFIG_DATA_BLOB_V2", "dcr-1_ds.v2_x_18299827115690051523.tsf"},
      // ':' '/' and spaces inside the prefix
      {"a/b c:x/y:CONFIG_CHANGE_BLOB", "a_b_c_x_y_11545608512621991890.tsf"},
      // each byte of a non-ASCII character ("é" is two bytes) becomes one '_'
      {"dcr-\xc3\xa9:ds:CONFIG_CHANGE_BLOB", "dcr-___ds_11545608512621991890.tsf"},
      // no way out of the folder, no hidden file
      {"..:CONFIG_CHANGE_BLOB", "_.._11545608512621991890.tsf"},
      {"../../etc/passwd:CONFIG_CHANGE_BLOB", "_.._.._etc_passwd_11545608512621991890.tsf"},
      {".hidden:CONFIG_CHANGE_BLOB", "_.hidden_11545608512621991890.tsf"},
      // empty prefix, and no ':' at all
      {":CONFIG_CHANGE_BLOB", "__11545608512621991890.tsf"},
      {"CONFIG_CHANGE_BLOB", "__11545608512621991890.tsf"},
      {"", "__14695981039346656037.tsf"},
  };
  for (const Case& c : cases) {
    INFO(c.stream_id);
    CHECK(localstore::TableFileName(c.stream_id) == c.expected);
  }
}

TEST_CASE("TableFileName never yields a path separator in a hostile DATATYPE", "[localstore]") {
  const std::string hostile[] = {"x:../a", "x:/etc/passwd", "x:a\\b", std::string("x:a\0b", 5)};
  for (const std::string& id : hostile) {
    std::string name = localstore::TableFileName(id);
    INFO(name);
    CHECK(name == "x_" + std::to_string(localstore::Fnv1a64(localstore::DataTypeOf(id))) + ".tsf");
    CHECK(name.find('/') == std::string::npos);
  }
}
