#include "socket_flags.h"

#include <cstdlib>

namespace amactl {

bool TakeSocketFlag(base::ArgReader& args, pipes::SocketNaming* naming) {
  std::string value;
  if (args.TakeOption("--instance", &naming->instance)) return true;
  if (args.TakeOption("--run-dir", &value)) {
    naming->run_dir = value;
    return true;
  }
  if (args.TakeOption("--socket-mode", &value)) {
    if (value == "abstract") {
      naming->mode = pipes::SocketMode::kAbstract;
    } else if (value == "path") {
      naming->mode = pipes::SocketMode::kPath;
    } else {
      args.RejectCurrent();
    }
    return true;
  }
  return false;
}

pipes::SocketNaming DefaultSocketNaming() {
  pipes::SocketNaming naming;
  if (const char* instance = std::getenv("AMAHOST_INSTANCE"); instance != nullptr) {
    naming.instance = instance;
  }
  return naming;
}

std::string SocketFlagsHelp() {
  return "  --instance NAME          the host's --instance\n"
         "  --socket-mode abstract|path\n"
         "                           the host's --socket-mode (default abstract)\n"
         "  --run-dir DIR            the host's --run-dir (default /run/azuremonitoragent)\n";
}

}  // namespace amactl
