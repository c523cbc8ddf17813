#ifndef AMAHOST_TOOLS_AMACTL_READINESS_H_
#define AMAHOST_TOOLS_AMACTL_READINESS_H_

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "pipes/socket_address.h"

namespace amactl {

// What a test waits for before it sends: the host serves the extension's configuration and its
// data socket takes connections.
struct ExtensionReadiness {
  bool configured = false;
  // Why not, in a user's words (the host's Description, or the socket error); empty when ready.
  std::string why;
  // DATATYPE → stream id, from the configuration's outputStreams.
  std::vector<std::pair<std::string, std::string>> streams;
  pipes::SocketAddress data_socket;
};

// One look: asks the config socket for `extension`'s configuration (waiting up to
// `reply_timeout` for the reply) and, when it is served, connects to the data socket once.
ExtensionReadiness CheckExtension(
    const pipes::SocketNaming& naming, const std::string& extension,
    std::chrono::milliseconds reply_timeout = std::chrono::seconds(5));

// Looks again every 100 ms until the extension is ready or `deadline` has passed; the last
// look's result either way.
ExtensionReadiness WaitForExtension(const pipes::SocketNaming& naming, const std::string& extension,
                                    std::chrono::milliseconds deadline);

}  // namespace amactl

#endif  // AMAHOST_TOOLS_AMACTL_READINESS_H_
