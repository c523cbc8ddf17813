// amahost: the daemon. Parses the command line, starts the Host, prints where everything is, and
// runs until SIGTERM/SIGINT. The only place exceptions are caught.

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "ama/check_config.h"
#include "ama/curl_http_client.h"
#include "ama/host.h"
#include "ama/host_options.h"
#include "base/logger.h"
#include "base/version.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "check-config") {
    return ama::CheckConfigCommand(std::vector<std::string>(argv + 2, argv + argc), stdout, stderr);
  }
  ama::HostOptions options;
  std::string message;
  switch (
      ama::ParseHostOptions(std::vector<std::string>(argv + 1, argv + argc), &options, &message)) {
    case ama::ParseOutcome::kHelp:
      std::fputs(ama::HostUsage().c_str(), stdout);
      return 0;
    case ama::ParseOutcome::kVersion:
      std::printf("amahost %s\n", base::kVersion);
      return 0;
    case ama::ParseOutcome::kError:
      std::fprintf(stderr, "amahost: %s\nTry 'amahost --help'.\n", message.c_str());
      return 2;
    case ama::ParseOutcome::kRun:
      break;
  }
  base::StderrLogger logger(options.log_level);
  try {
    ama::CurlGlobal curl;
    ama::Host host(options, logger);
    std::string error;
    if (!host.Start(&error)) {
      std::fprintf(stderr, "amahost: %s\n", error.c_str());
      return 1;
    }
    std::fputs(host.ReadyBanner().c_str(), stdout);
    std::fflush(stdout);
    host.Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "amahost: %s\n", e.what());
    return 1;
  }
  return 0;
}
