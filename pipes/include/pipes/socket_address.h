#ifndef AMAHOST_PIPES_SOCKET_ADDRESS_H_
#define AMAHOST_PIPES_SOCKET_ADDRESS_H_

#include <sys/socket.h>
#include <sys/un.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace pipes {

// The names of the extension sockets (docs/protocol.md §3) and how to bind and connect to them.
// Pure functions; thread-safe.

enum class SocketMode {
  // Linux abstract namespace, bound with the whole 108-byte NUL-padded sun_path as AMA does.
  kAbstract,
  // Filesystem sockets in a run folder, mode 0660.
  kPath,
};

// Where a socket lives: an abstract name (without the leading NUL) or a filesystem path.
struct SocketAddress {
  SocketMode mode = SocketMode::kAbstract;
  std::string name;  // kAbstract: the name after the NUL; kPath: the full path

  // "@CAgentStream_…_fluent.socket" for abstract names (as `ss -x` shows them), else the path.
  std::string Display() const;
  friend bool operator==(const SocketAddress&, const SocketAddress&) = default;
};

// Where sockets go and how they are named.
struct SocketNaming {
  SocketMode mode = SocketMode::kAbstract;
  std::filesystem::path run_dir = "/run/azuremonitoragent";  // kPath only
  std::string instance;  // when not empty, every name starts with "<instance>_"
};

// "CAgentStream_CloudAgentInfo_config_default_fluent.socket", where extensions ask for their
// configuration.
SocketAddress ConfigSocketAddress(const SocketNaming& naming);
// "default_fluent.socket": a socket of no single extension, as mdsd's default_fluent.socket.
SocketAddress GenericSocketAddress(const SocketNaming& naming);
// "CAgentStream_CloudAgentInfo_<extension>_default_fluent.socket", the extension's data socket.
SocketAddress ExtensionSocketAddress(const SocketNaming& naming, std::string_view extension);

// The name in the diagnostics socket, where extensions report their own errors: AMA opens
// "CAgentStream_CloudAgentInfo_MaExtensionDiagnostics_default_fluent.socket" beside the
// extensions' sockets (docs/protocol.md §3). No DCR may use it as an extension's name.
inline constexpr std::string_view kDiagnosticsExtension = "MaExtensionDiagnostics";
SocketAddress DiagnosticsSocketAddress(const SocketNaming& naming);

// True for 1-64 characters of [A-Za-z0-9._-]; extension names come from the control plane and
// become socket names, so nothing else is accepted.
bool IsValidExtensionName(std::string_view extension);
// True for 1-64 characters of [A-Za-z0-9._-].
bool IsValidInstanceName(std::string_view instance);

// Fills `address` for bind/connect. Abstract names are NUL-padded to the whole sun_path and
// `length` is sizeof(sockaddr_un), exactly as AMA binds, so a client must connect with the same
// padded length. Fails with ENAMETOOLONG when the name does not fit.
std::error_code MakeSockaddr(const SocketAddress& address, sockaddr_un* out, socklen_t* length);

}  // namespace pipes

#endif  // AMAHOST_PIPES_SOCKET_ADDRESS_H_
