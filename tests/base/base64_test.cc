#include "base/base64.h"

#include <catch2/catch.hpp>

TEST_CASE("Base64 round-trips the RFC 4648 test vectors", "[base]") {
  struct Case {
    const char* plain;
    const char* encoded;
  };
  const Case cases[] = {{"", ""},
                        {"f", "Zg=="},
                        {"fo", "Zm8="},
                        {"foo", "Zm9v"},
                        {"foob", "Zm9vYg=="},
                        {"fooba", "Zm9vYmE="},
                        {"foobar", "Zm9vYmFy"}};
  for (const Case& c : cases) {
    CAPTURE(c.plain);
    CHECK(base::Base64Encode(c.plain) == c.encoded);
    std::string decoded;
    REQUIRE(base::Base64Decode(c.encoded, &decoded));
    CHECK(decoded == c.plain);
  }
}

TEST_CASE("Base64Decode refuses bytes outside the alphabet", "[base]") {
  std::string out;
  CHECK_FALSE(base::Base64Decode("Zm9v!", &out));
  CHECK_FALSE(base::Base64Decode("Z", &out));
  CHECK(base::Base64Decode("Zm8", &out));  // padding is optional
  CHECK(out == "fo");
}
