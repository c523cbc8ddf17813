#include "pipes/socket_address.h"

#include <cstring>

namespace pipes {
namespace {

constexpr std::string_view kPrefix = "CAgentStream_CloudAgentInfo_";
constexpr std::string_view kSuffix = "_default_fluent.socket";

bool IsNameCharacters(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

SocketAddress Make(const SocketNaming& naming, std::string_view middle) {
  std::string name;
  if (!naming.instance.empty()) name = naming.instance + "_";
  name.append(kPrefix).append(middle).append(kSuffix);
  if (naming.mode == SocketMode::kPath) {
    return SocketAddress{SocketMode::kPath, (naming.run_dir / name).string()};
  }
  return SocketAddress{SocketMode::kAbstract, std::move(name)};
}

}  // namespace

std::string SocketAddress::Display() const {
  return mode == SocketMode::kAbstract ? "@" + name : name;
}

SocketAddress ConfigSocketAddress(const SocketNaming& naming) { return Make(naming, "config"); }

SocketAddress GenericSocketAddress(const SocketNaming& naming) {
  std::string name;
  if (!naming.instance.empty()) name = naming.instance + "_";
  name += "default_fluent.socket";
  if (naming.mode == SocketMode::kPath) {
    return SocketAddress{SocketMode::kPath, (naming.run_dir / name).string()};
  }
  return SocketAddress{SocketMode::kAbstract, std::move(name)};
}

SocketAddress ExtensionSocketAddress(const SocketNaming& naming, std::string_view extension) {
  return Make(naming, extension);
}

SocketAddress DiagnosticsSocketAddress(const SocketNaming& naming) {
  return Make(naming, kDiagnosticsExtension);
}

bool IsValidExtensionName(std::string_view extension) { return IsNameCharacters(extension); }

bool IsValidInstanceName(std::string_view instance) { return IsNameCharacters(instance); }

std::error_code MakeSockaddr(const SocketAddress& address, sockaddr_un* out, socklen_t* length) {
  std::memset(out, 0, sizeof(*out));
  out->sun_family = AF_UNIX;
  if (address.mode == SocketMode::kAbstract) {
    // sun_path[0] stays NUL; the name follows, the rest stays NUL padding.
    if (address.name.empty() || address.name.size() > sizeof(out->sun_path) - 1) {
      return std::make_error_code(std::errc::filename_too_long);
    }
    std::memcpy(out->sun_path + 1, address.name.data(), address.name.size());
    *length = sizeof(sockaddr_un);
    return {};
  }
  if (address.name.empty() || address.name.size() > sizeof(out->sun_path) - 1) {
    return std::make_error_code(std::errc::filename_too_long);
  }
  std::memcpy(out->sun_path, address.name.data(), address.name.size());
  *length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.name.size() + 1);
  return {};
}

}  // namespace pipes
