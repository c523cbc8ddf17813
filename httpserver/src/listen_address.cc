#include "httpserver/listen_address.h"

#include <fmt/format.h>

#include <charconv>
#include <system_error>

namespace httpserver {

std::string ListenAddress::ToString() const {
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), port);
  return fmt::format("{}:{}", address.to_string(), port);
}

bool ParseListenAddress(std::string_view text, ListenAddress* out, std::string* error) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    *error = fmt::format("'{}' is not ADDRESS:PORT (e.g. 127.0.0.1:9464 or [::1]:9464)", text);
    return false;
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  std::error_code ec;
  asio::ip::address address = asio::ip::make_address(std::string(host), ec);
  // An IPv6 literal needs its brackets, so that "::1:80" cannot be read two ways; an IPv4 one
  // must not have them.
  if (ec || address.is_v6() != bracketed) {
    *error = fmt::format(
        "'{}' is not an IP address (give 127.0.0.1 or [::1]; host names are not resolved)",
        text.substr(0, colon));
    return false;
  }
  unsigned port = 0;
  auto [end, parse_ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || parse_ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    *error = fmt::format("'{}' is not a port (0-65535; 0 = any free port)", port_text);
    return false;
  }
  out->address = address;
  out->port = static_cast<std::uint16_t>(port);
  return true;
}

bool IsLoopback(const asio::ip::address& address) {
  if (address.is_v4()) return address.to_v4().is_loopback();
  const asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).is_loopback();
  }
  return v6.is_loopback();
}

}  // namespace httpserver
