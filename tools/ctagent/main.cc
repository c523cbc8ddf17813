// ctagent: a reference Change Tracking agent for amahost (docs/ctagent.md).

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "agent.h"
#include "base/args.h"
#include "base/files.h"
#include "base/logger.h"
#include "diagnostics_reporter.h"

namespace {

constexpr char kHelp[] =
    "Usage: ctagent [options]\n\n"
    "A Change Tracking agent for amahost, as the real ChangeTracking-Linux extension behaves:\n"
    "it asks amahost's config socket for its settings (AgentTaggedData), collects this\n"
    "machine's packages (dpkg, rpm), services (systemd units) and the files the settings'\n"
    "fileInfo patterns match, at the frequencies the settings give, compares each collection\n"
    "with the last one kept in its state folder, and sends CONFIG_CHANGE_BLOB_V2 change records\n"
    "and CONFIG_DATA_BLOB_V2 inventory records to amahost in Fluent Forward mode, forgetting a\n"
    "record only once the host acknowledged it. Its own errors go to the log and to the host's\n"
    "diagnostics socket. docs/ctagent.md describes every record.\n\n"
    "Options:\n"
    "  --instance NAME          the host's --instance (default: $AMAHOST_INSTANCE, else none)\n"
    "  --state-dir DIR          the snapshot, the unsent records and Packages.json,\n"
    "                           Services.json, File.json (default /var/lib/ctagent as root,\n"
    "                           else ./ctagent-state)\n"
    "  --root DIR               collect from DIR as if it were / (a fixture: DIR/var/lib/dpkg/\n"
    "                           status, DIR/lib/systemd/system, DIR/etc/...); nothing outside\n"
    "                           DIR is read (default /)\n"
    "  --once                   run every enabled collector once, send, exit (0 when every\n"
    "                           record was acknowledged)\n"
    "  --dry-run                print the records as NDJSON on stdout instead of sending them,\n"
    "                           and keep nothing; without a host, use the bundled\n"
    "                           ChangeTracking-Linux settings\n"
    "  --config-refresh SECONDS how often to ask for the configuration again (default 300)\n"
    "  --max-pending N          unsent records kept while the host is away (default 100000;\n"
    "                           past that the oldest go, counted and logged)\n"
    "  --settings FILE          use this TaggedData JSON instead of asking the host (for\n"
    "                           tests and benchmarks)\n"
    "  --log-level LEVEL        debug, info, warning or error (default info)\n"
    "  --help                   this text\n\n"
    "Example, beside a sandbox (amactl sandbox up):\n"
    "  ctagent --once --state-dir /tmp/ct\n"
    "  amactl items --data-type CONFIG_DATA_BLOB_V2 --count 10 --json\n";

// The Computer column: the fixture's /etc/hostname under --root, else this machine's name.
std::string ComputerName(const std::filesystem::path& root) {
  std::string name;
  if (root != "/" && !base::ReadFile(root / "etc/hostname", 256, &name)) {
    name = name.substr(0, name.find_first_of("\r\n"));
  }
  if (name.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof(host) - 1) == 0) name = host;
  }
  for (char& c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '_';
  }
  return name.empty() ? "localhost" : name;
}

}  // namespace

int main(int argc, char** argv) {
  ctagent::AgentOptions options;
  if (const char* instance = std::getenv("AMAHOST_INSTANCE")) options.instance = instance;
  options.state_dir = ::geteuid() == 0 ? "/var/lib/ctagent" : "ctagent-state";
  std::string state_dir, root, settings_file, level_text = "info";
  std::chrono::milliseconds refresh(300000);
  std::int64_t max_pending = 100000;
  base::ArgReader args(argv + 1, argv + argc);
  while (!args.Done()) {
    if (args.TakeFlag("--help")) {
      std::fputs(kHelp, stdout);
      return 0;
    }
    if (args.TakeOption("--instance", &options.instance)) continue;
    if (args.TakeOption("--state-dir", &state_dir)) continue;
    if (args.TakeOption("--root", &root)) continue;
    if (args.TakeFlag("--once")) {
      options.once = true;
      continue;
    }
    if (args.TakeFlag("--dry-run")) {
      options.dry_run = true;
      continue;
    }
    if (args.TakeSeconds("--config-refresh", 1, 86400, &refresh)) continue;
    if (args.TakeNumber("--max-pending", 1, 100000000, &max_pending)) continue;
    if (args.TakeOption("--log-level", &level_text)) continue;
    if (args.TakeOption("--settings", &settings_file)) continue;
    args.RejectCurrent();
  }
  base::LogLevel level = base::LogLevel::kInfo;
  if (args.error().empty() && !base::ParseLogLevel(level_text, &level)) {
    std::fprintf(stderr, "ctagent: --log-level must be debug, info, warning or error\n");
    return 2;
  }
  if (!args.error().empty()) {
    std::fprintf(stderr, "ctagent: %s\n\n%s", args.error().c_str(), kHelp);
    return 2;
  }
  if (!state_dir.empty()) options.state_dir = state_dir;
  if (!root.empty()) {
    std::error_code ec;
    options.root = std::filesystem::canonical(root, ec);
    if (ec || !std::filesystem::is_directory(options.root)) {
      std::fprintf(stderr, "ctagent: --root %s is not a folder\n", root.c_str());
      return 2;
    }
  }
  if (!settings_file.empty()) {
    if (std::error_code ec =
            base::ReadFile(settings_file, 4 * 1024 * 1024, &options.settings_text)) {
      std::fprintf(stderr, "ctagent: --settings %s: %s\n", settings_file.c_str(),
                   ec.message().c_str());
      return 2;
    }
  }
  options.config_refresh = std::chrono::duration_cast<std::chrono::seconds>(refresh);
  if (options.config_refresh.count() < 1) options.config_refresh = std::chrono::seconds(1);
  options.max_pending = static_cast<std::size_t>(max_pending);
  options.computer = ComputerName(options.root);

  base::StderrLogger logger(level);
  // Errors also go to the host's diagnostics socket, except in a dry run, which sends nothing.
  std::unique_ptr<ctagent::ErrorReporter> errors;
  try {
    if (options.dry_run) {
      errors = std::make_unique<ctagent::LogErrorReporter>(logger);
    } else {
      errors = std::make_unique<ctagent::DiagnosticsReporter>(
          ctagent::DiagnosticsReporter::Options{.instance = options.instance,
                                                .computer = options.computer},
          logger);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ctagent: %s\n", error.what());
    return 2;
  }
  // SIGINT and SIGTERM are taken synchronously by the loop's wait: nothing runs in a handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  try {
    ctagent::Agent agent(options, logger, *errors);
    return agent.Run([&](std::chrono::milliseconds delay) {
      timespec timeout{static_cast<time_t>(delay.count() / 1000),
                       static_cast<long>(delay.count() % 1000) * 1000000};
      const int signal_number = sigtimedwait(&signals, nullptr, &timeout);
      if (signal_number == SIGINT || signal_number == SIGTERM) {
        logger.Info("ctagent", "stopping (signal {})", signal_number);
        return false;
      }
      return true;
    });
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ctagent: %s\n", error.what());
    return 1;
  }
}
