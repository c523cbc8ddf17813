#ifndef AMAHOST_MOCKCLOUD_COMMAND_LINE_H_
#define AMAHOST_MOCKCLOUD_COMMAND_LINE_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/logger.h"

namespace mockcloud {

// mockcloud's command line. Defaults are the ones --help shows.
struct CommandLine {
  std::filesystem::path state_dir = "mockcloud-state";
  std::uint16_t port = 7443;  // 0 = any free port
  std::optional<std::filesystem::path> dcr_dir;
  std::chrono::seconds token_max_age{3600};
  base::LogLevel log_level = base::LogLevel::kInfo;
  bool redirect_to_dce = false;  // start with the control plane redirected to /dce
  // Where items and requests are kept: items.db (the default), memory only (--memory), or
  // nowhere, items only counted (--discard). At most one of the two flags.
  bool memory = false;
  bool discard = false;
  std::optional<std::uint64_t> seed;  // --seed: fault probabilities drawn repeatably
  int threads = 0;                    // --threads, 1-256; 0 = DefaultThreads()
  bool require_client_cert = false;   // --require-client-cert: mutual TLS
  // --schema DATATYPE=FILE (repeatable, one per DATATYPE): table schemas to load at start.
  std::vector<std::pair<std::string, std::filesystem::path>> schemas;
  bool help = false;
};

// The number of threads without --threads: the CPUs this process may run on, at least 2.
int DefaultThreads();

// Parses the arguments after the program name (base::ArgReader: "--name value" or
// "--name=value"). Returns false with a one-line message in `error` for an unknown option, a
// missing, empty or out-of-range value, or a positional argument. Pure.
bool ParseCommandLine(const std::vector<std::string>& args, CommandLine* out, std::string* error);

// The --help text: every option and every endpoint.
std::string HelpText();

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_COMMAND_LINE_H_
