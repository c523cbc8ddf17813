#ifndef AMAHOST_TOOLS_AMACTL_SOCKET_FLAGS_H_
#define AMAHOST_TOOLS_AMACTL_SOCKET_FLAGS_H_

#include <string>
#include <system_error>

#include "base/args.h"
#include "pipes/socket_address.h"

namespace amactl {

// The environment variable that gives --instance its default (`amactl sandbox env` exports it).
inline constexpr char kInstanceVariable[] = "AMAHOST_INSTANCE";

// The naming a command starts from: amahost's defaults, with the instance from
// $AMAHOST_INSTANCE when it is set. Flags given then override it (TakeSocketFlag).
pipes::SocketNaming DefaultSocketNaming();

// --instance, --socket-mode and --run-dir, with the same meaning and defaults as amahost's.
// Returns true when the current argument was one of them (args.error() tells if it was bad).
bool TakeSocketFlag(base::ArgReader& args, pipes::SocketNaming* naming);

// The help lines for those flags.
std::string SocketFlagsHelp();

// What to check after connecting to a host's socket failed with `ec`, as " (…)" to append to
// the error: for "connection refused" and "no such file", whether a host runs with the same
// --instance (saying which one this amactl used and where it came from) and --socket-mode, and
// that an abstract name is bound padded with NULs to the whole sun_path, so a client must
// connect with that length; `also` (e.g. "with a DCR for X") is added to the first question.
// Empty for other errors.
std::string ConnectHint(const pipes::SocketNaming& naming, std::error_code ec,
                        const std::string& also = "");

}  // namespace amactl

#endif  // AMAHOST_TOOLS_AMACTL_SOCKET_FLAGS_H_
