#include "socket_flags.h"

#include <fmt/format.h>
#include <sys/un.h>

#include <cstdlib>

namespace amactl {
namespace {

std::string InstanceFromEnvironment() {
  const char* value = std::getenv(kInstanceVariable);
  return value != nullptr ? value : "";
}

}  // namespace

pipes::SocketNaming DefaultSocketNaming() {
  pipes::SocketNaming naming;
  naming.instance = InstanceFromEnvironment();
  return naming;
}

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

std::string SocketFlagsHelp() {
  return "  --instance NAME          the host's --instance (default: $AMAHOST_INSTANCE when set,\n"
         "                           else none)\n"
         "  --socket-mode abstract|path\n"
         "                           the host's --socket-mode (default abstract)\n"
         "  --run-dir DIR            the host's --run-dir (default /run/azuremonitoragent)\n";
}

std::string ConnectHint(const pipes::SocketNaming& naming, std::error_code ec,
                        const std::string& also) {
  if (ec != std::errc::connection_refused && ec != std::errc::no_such_file_or_directory) {
    return {};
  }
  const std::string from_environment = InstanceFromEnvironment();
  std::string instance;
  if (naming.instance.empty()) {
    instance = fmt::format("this used no --instance ({} is not set)", kInstanceVariable);
  } else if (naming.instance == from_environment) {
    instance = fmt::format("this used --instance {} (from {})", naming.instance, kInstanceVariable);
  } else {
    instance = fmt::format("this used --instance {}", naming.instance);
  }
  std::string text = fmt::format(
      " (is amahost running{}, with the same --instance and "
      "--socket-mode? {}",
      also.empty() ? "" : " " + also, instance);
  if (naming.mode == pipes::SocketMode::kAbstract) {
    text += fmt::format(
        "; a client of its own must connect to the abstract name padded with NULs to the whole "
        "{}-byte sun_path, address length {}, as the host binds it: the bare name's length is "
        "refused too",
        sizeof(sockaddr_un::sun_path), sizeof(sockaddr_un));
  }
  return text + ")";
}

}  // namespace amactl
