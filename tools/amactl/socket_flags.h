#ifndef AMAHOST_TOOLS_AMACTL_SOCKET_FLAGS_H_
#define AMAHOST_TOOLS_AMACTL_SOCKET_FLAGS_H_

#include <string>

#include "base/args.h"
#include "pipes/socket_address.h"

namespace amactl {

// --instance, --socket-mode and --run-dir, with the same meaning and defaults as amahost's.
// Returns true when the current argument was one of them (args.error() tells if it was bad).
bool TakeSocketFlag(base::ArgReader& args, pipes::SocketNaming* naming);

// The naming before any flag: the instance is $AMAHOST_INSTANCE when set (amactl sandbox env
// exports it), so that every command finds a sandbox's host without --instance.
pipes::SocketNaming DefaultSocketNaming();

// The help lines for those flags.
std::string SocketFlagsHelp();

}  // namespace amactl

#endif  // AMAHOST_TOOLS_AMACTL_SOCKET_FLAGS_H_
