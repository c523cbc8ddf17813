// amahost: the daemon. Parses the command line, starts the Host, prints where everything is, and
// runs until SIGTERM/SIGINT. The only place exceptions are caught.

#include <malloc.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "ama/check_config.h"
#include "ama/host.h"
#include "ama/host_options.h"
#include "base/logger.h"
#include "base/version.h"
#include "httpclient/curl_http_client.h"

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
  base::StderrLogger logger(options.log_level, options.log_format);
  if (!options.config_file.empty()) {
    logger.Info("ama", "options from {} and the command line", options.config_file.string());
  }
  if (!options.config_unknown_keys.empty()) {
    std::string keys;
    for (const std::string& key : options.config_unknown_keys) {
      keys += (keys.empty() ? "\"" : ", \"") + key + "\"";
    }
    logger.Warning("ama", "{}: unknown keys, ignored: {} (amahost --help lists the options)",
                   options.config_file.string(), keys);
  }
  // Every message's records are a fresh buffer of tens to hundreds of KiB, made on the io thread
  // and freed on the commit thread. glibc would serve each from its own mmap (above 128 KiB) or
  // hand freed heap straight back to the kernel, so the next one pays page faults on every page:
  // a third of the io thread's time at a million records/s. Keeping such buffers on the heap
  // removes that; memory stays bounded by the in-flight budgets (docs/design.md), not by this.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
  try {
    httpclient::CurlGlobal curl;
    ama::Host host(options, logger);
    std::string error;
    if (!host.Start(&error)) {
      std::fprintf(stderr, "amahost: %s\n", error.c_str());
      return 1;
    }
    // A host that waits for its first configuration says so, then prints the ready banner
    // once the configuration arrives (on the io thread; stdout is not written elsewhere then).
    host.OnLaterReady([](const std::string& banner) {
      std::fputs(banner.c_str(), stdout);
      std::fflush(stdout);
    });
    std::fputs(host.ReadyBanner().c_str(), stdout);
    std::fflush(stdout);
    host.Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "amahost: %s\n", e.what());
    return 1;
  }
  return 0;
}
