#ifndef AMAHOST_HTTPSERVER_LISTEN_ADDRESS_H_
#define AMAHOST_HTTPSERVER_LISTEN_ADDRESS_H_

#include <asio/ip/address.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace httpserver {

// Where a server listens: an IP address and a TCP port (0 = any free port). Plain data.
struct ListenAddress {
  asio::ip::address address;
  std::uint16_t port = 0;

  // "127.0.0.1:9464", "[::1]:9464".
  std::string ToString() const;
};

// Parses "ADDR:PORT": ADDR an IPv4 literal ("127.0.0.1") or an IPv6 literal in brackets
// ("[::1]"), PORT a decimal number 0–65535. Host names are refused (a listener binds an
// address; resolving a name could pick one nobody meant). False with a message in `error`.
// Pure.
bool ParseListenAddress(std::string_view text, ListenAddress* out, std::string* error);

// Whether `address` is loopback: 127.0.0.0/8, ::1, or an IPv4-mapped 127.x address.
bool IsLoopback(const asio::ip::address& address);

}  // namespace httpserver

#endif  // AMAHOST_HTTPSERVER_LISTEN_ADDRESS_H_
