// amactl wait: until an extension is configured and its data socket takes connections.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/args.h"
#include "commands.h"
#include "readiness.h"
#include "socket_flags.h"

namespace amactl {
namespace {

std::string Help() {
  return "Usage: amactl wait --extension NAME [--extension NAME…] [options]\n\n"
         "Waits until the host serves each extension's configuration on the config socket and\n"
         "its data socket takes connections, then prints its streams and exits 0; exits 1 with\n"
         "the last reason (the host's own words) when --timeout passes first. For test suites:\n"
         "run it after starting the host and before the first record.\n\n"
         "Options:\n"
         "  --extension NAME         the extension to wait for (repeatable)\n"
         "  --timeout SECONDS        how long to wait (default 30)\n"
         "  --quiet                  print nothing on success\n" +
         SocketFlagsHelp();
}

}  // namespace

int WaitCommand(const std::vector<std::string>& argv, std::FILE* out, std::FILE* err) {
  base::ArgReader args(argv);
  pipes::SocketNaming naming = DefaultSocketNaming();
  std::vector<std::string> extensions;
  std::chrono::milliseconds timeout(30000);
  bool quiet = false;
  while (!args.Done()) {
    std::string value;
    if (args.TakeFlag("--help")) {
      std::fputs(Help().c_str(), out);
      return 0;
    }
    if (args.TakeOption("--extension", &value)) {
      extensions.push_back(value);
      continue;
    }
    if (args.TakeFlag("--quiet")) {
      quiet = true;
      continue;
    }
    if (args.TakeSeconds("--timeout", 0, 86400, &timeout)) continue;
    if (TakeSocketFlag(args, &naming)) continue;
    args.RejectCurrent();
  }
  if (args.error().empty() && extensions.empty()) {
    std::fprintf(err, "amactl wait: which extension? e.g. --extension ChangeTracking-Linux\n%s",
                 Help().c_str());
    return 2;
  }
  if (!args.error().empty()) {
    std::fprintf(err, "amactl wait: %s\n%s", args.error().c_str(), Help().c_str());
    return 2;
  }
  for (const std::string& extension : extensions) {
    if (!pipes::IsValidExtensionName(extension)) {
      std::fprintf(err,
                   "amactl wait: '%s' cannot be an extension name (1-64 characters of "
                   "A-Z a-z 0-9 . _ -)\n",
                   extension.c_str());
      return 2;
    }
  }
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (const std::string& extension : extensions) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    ExtensionReadiness ready =
        WaitForExtension(naming, extension, std::max(left, std::chrono::milliseconds(0)));
    if (!ready.configured) {
      std::fprintf(err, "amactl wait: %s is not ready after %.1f s: %s\n", extension.c_str(),
                   static_cast<double>(timeout.count()) / 1000.0, ready.why.c_str());
      return 1;
    }
    if (quiet) continue;
    std::string streams;
    for (const auto& [data_type, stream_id] : ready.streams) {
      if (!streams.empty()) streams += ", ";
      streams += data_type;
    }
    std::fprintf(out, "%s is ready: data socket %s, streams %s\n", extension.c_str(),
                 ready.data_socket.Display().c_str(), streams.empty() ? "(none)" : streams.c_str());
  }
  return 0;
}

}  // namespace amactl
