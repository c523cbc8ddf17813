#include "ama/check_config.h"

#include "ama/host_options.h"
#include "base/args.h"
#include "dcr/check_config.h"
#include "localstore/table_name.h"

namespace ama {
namespace {

constexpr char kHelp[] =
    "Usage: amahost check-config <file or folder> [--resource-id ID]\n\n"
    "Checks DCR files (agent-side content, a configurations response, or the ARM resource shape)\n"
    "exactly as 'amahost --dcr-dir' loads them, resolves them as the host would (one DCR per\n"
    "extension, streams, channels), and prints every problem with its file and JSON path:\n"
    "errors make a configuration unusable, warnings (unknown keys, ignored duplicates) do not.\n"
    "Then what the host would serve: per extension its DCR, and per stream its DATATYPE (the\n"
    "tag a client may send), stream id, solution, channel and table file (under\n"
    "<state-dir>/Tables, for amactl dump), and a summary line.\n"
    "Exits 0 when there is no error, 1 otherwise. The same checks run on every configuration the\n"
    "host fetches from a control plane; a configuration that fails them is refused and the one\n"
    "in use kept.\n\n"
    "Options:\n"
    "  --resource-id ID         the agent the ARM shape is translated for (default: a VM named\n"
    "                           after this host)\n";

}  // namespace

int CheckConfigCommand(const std::vector<std::string>& argv, std::FILE* out, std::FILE* err) {
  base::ArgReader args(argv);
  std::string path;
  dcr::TranslationOptions translation;
  translation.agent_resource_id = DefaultResourceId();
  while (!args.Done()) {
    if (args.TakeFlag("--help")) {
      std::fputs(kHelp, out);
      return 0;
    }
    if (args.TakeOption("--resource-id", &translation.agent_resource_id)) continue;
    if (path.empty() && args.TakePositional(&path)) continue;
    args.RejectCurrent();
  }
  if (!args.error().empty() || path.empty()) {
    std::fprintf(err, "amahost check-config: %s\n%s",
                 args.error().empty() ? "which file or folder?" : args.error().c_str(), kHelp);
    return 2;
  }
  dcr::CheckReport report;
  dcr::CheckConfigPath(path, translation, &report);
  std::fputs(
      dcr::FormatCheckReport(
          report, [](std::string_view stream_id) { return localstore::TableFileName(stream_id); })
          .c_str(),
      out);
  return dcr::CheckExitCode(report);
}

}  // namespace ama
