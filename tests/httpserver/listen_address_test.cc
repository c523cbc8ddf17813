#include "httpserver/listen_address.h"

#include <catch2/catch.hpp>
#include <string>

namespace httpserver {
namespace {

TEST_CASE("ParseListenAddress takes IPv4 and bracketed IPv6 literals with a port", "[listen]") {
  struct Case {
    const char* text;
    const char* address;
    std::uint16_t port;
    bool loopback;
  };
  const Case cases[] = {
      {"127.0.0.1:9464", "127.0.0.1", 9464, true},
      {"127.0.0.1:0", "127.0.0.1", 0, true},
      {"127.1.2.3:65535", "127.1.2.3", 65535, true},
      {"[::1]:9464", "::1", 9464, true},
      {"[::ffff:127.0.0.1]:1", "::ffff:127.0.0.1", 1, true},
      {"0.0.0.0:9464", "0.0.0.0", 9464, false},
      {"10.1.2.3:80", "10.1.2.3", 80, false},
      {"128.0.0.1:80", "128.0.0.1", 80, false},
      {"[::]:9464", "::", 9464, false},
      {"[::ffff:10.0.0.1]:1", "::ffff:10.0.0.1", 1, false},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    ListenAddress address;
    std::string error;
    REQUIRE(ParseListenAddress(c.text, &address, &error));
    CHECK(address.address.to_string() == c.address);
    CHECK(address.port == c.port);
    CHECK(IsLoopback(address.address) == c.loopback);
    CHECK(address.ToString() == c.text);
  }
}

TEST_CASE("ParseListenAddress refuses anything else and says why", "[listen]") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "is not ADDRESS:PORT"},
      {"127.0.0.1", "is not ADDRESS:PORT"},
      {":9464", "is not ADDRESS:PORT"},
      {"localhost:9464", "'localhost' is not an IP address"},
      {"::1:9464", "is not an IP address"},
      {"[127.0.0.1]:9464", "is not an IP address"},
      {"127.0.0.1:", "'' is not a port"},
      {"127.0.0.1:65536", "'65536' is not a port"},
      {"127.0.0.1:-1", "'-1' is not a port"},
      {"127.0.0.1:80x", "'80x' is not a port"},
      {"127.0.0.1: 80", "' 80' is not a port"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    ListenAddress address;
    std::string error;
    CHECK_FALSE(ParseListenAddress(c.text, &address, &error));
    CHECK_THAT(error, Catch::Contains(c.message));
  }
}

}  // namespace
}  // namespace httpserver
