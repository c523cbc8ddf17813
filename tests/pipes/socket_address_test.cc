#include "pipes/socket_address.h"

#include <catch2/catch.hpp>
#include <cstring>

TEST_CASE("Socket names follow AMA's naming, with an optional instance prefix", "[pipes]") {
  pipes::SocketNaming naming;
  CHECK(pipes::ConfigSocketAddress(naming).Display() ==
        "@CAgentStream_CloudAgentInfo_config_default_fluent.socket");
  CHECK(pipes::ExtensionSocketAddress(naming, "ChangeTracking-Linux").Display() ==
        "@CAgentStream_CloudAgentInfo_ChangeTracking-Linux_default_fluent.socket");
  naming.instance = "t1";
  CHECK(pipes::ConfigSocketAddress(naming).Display() ==
        "@t1_CAgentStream_CloudAgentInfo_config_default_fluent.socket");
  naming.mode = pipes::SocketMode::kPath;
  naming.run_dir = "/run/x";
  CHECK(pipes::ExtensionSocketAddress(naming, "CT").Display() ==
        "/run/x/t1_CAgentStream_CloudAgentInfo_CT_default_fluent.socket");
}

TEST_CASE("Abstract addresses are NUL-padded to the whole sun_path", "[pipes]") {
  pipes::SocketAddress address = pipes::ExtensionSocketAddress({}, "ChangeTracking-Linux");
  sockaddr_un sockaddr{};
  socklen_t length = 0;
  REQUIRE_FALSE(pipes::MakeSockaddr(address, &sockaddr, &length));
  // AMA binds with sizeof(sockaddr_un): 2 bytes of family and 108 of path, which `ss -x` shows
  // as the 70-byte name followed by 37 '@'.
  CHECK(length == sizeof(sockaddr_un));
  CHECK(length == 110);
  CHECK(sockaddr.sun_path[0] == '\0');
  CHECK(std::string_view(sockaddr.sun_path + 1, address.name.size()) == address.name);
  CHECK(address.name.size() == 70);
  for (std::size_t i = 1 + address.name.size(); i < sizeof(sockaddr.sun_path); ++i) {
    REQUIRE(sockaddr.sun_path[i] == '\0');
  }
}

TEST_CASE("Path addresses end at their NUL and overlong names are refused", "[pipes]") {
  sockaddr_un sockaddr{};
  socklen_t length = 0;
  pipes::SocketAddress path{pipes::SocketMode::kPath, "/tmp/a.sock"};
  REQUIRE_FALSE(pipes::MakeSockaddr(path, &sockaddr, &length));
  CHECK(length == offsetof(sockaddr_un, sun_path) + 12);
  pipes::SocketAddress long_path{pipes::SocketMode::kPath, "/" + std::string(107, 'x')};
  CHECK(pipes::MakeSockaddr(long_path, &sockaddr, &length) == std::errc::filename_too_long);
  pipes::SocketAddress long_abstract{pipes::SocketMode::kAbstract, std::string(108, 'x')};
  CHECK(pipes::MakeSockaddr(long_abstract, &sockaddr, &length) == std::errc::filename_too_long);
  pipes::SocketAddress fits{pipes::SocketMode::kAbstract, std::string(107, 'x')};
  CHECK_FALSE(pipes::MakeSockaddr(fits, &sockaddr, &length));
}

TEST_CASE("Only plain names can become extension socket names", "[pipes]") {
  CHECK(pipes::IsValidExtensionName("ChangeTracking-Linux"));
  CHECK(pipes::IsValidExtensionName("a.b_c-1"));
  CHECK_FALSE(pipes::IsValidExtensionName(""));
  CHECK_FALSE(pipes::IsValidExtensionName("../etc"));
  CHECK_FALSE(pipes::IsValidExtensionName("a b"));
  CHECK_FALSE(pipes::IsValidExtensionName(std::string(65, 'a')));
  CHECK_FALSE(pipes::IsValidExtensionName(std::string("a\0b", 3)));
}
