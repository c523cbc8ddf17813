// `amahost check-config`: the host's own loading path, reported instead of logged.

#include "dcr/check_config.h"

#include <algorithm>
#include <system_error>

#include "dcr/active_config.h"
#include "dcr/loader.h"
#include "json_util.h"
#include "loader_internal.h"

namespace dcr {
namespace {

std::string Count(std::size_t n, const char* singular, const char* plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

}  // namespace

std::size_t CheckReport::ErrorCount() const {
  return std::count_if(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) {
    return d.severity == Diagnostic::Severity::kError;
  });
}

std::size_t CheckReport::WarningCount() const { return diagnostics.size() - ErrorCount(); }

bool CheckConfigPath(const std::filesystem::path& path, const TranslationOptions& options,
                     CheckReport* report) {
  *report = CheckReport();
  std::error_code ec;
  std::filesystem::file_status status = std::filesystem::status(path, ec);
  std::vector<Configuration> configurations;
  if (ec || !std::filesystem::exists(status)) {
    internal::Reporter(path.string(), &report->diagnostics)
        .Error("$",
               "cannot read: " +
                   (ec ? ec.message()
                       : std::make_error_code(std::errc::no_such_file_or_directory).message()));
    return false;
  }
  if (std::filesystem::is_directory(status)) {
    if (internal::LoadDirectory(path, options, &configurations, &report->diagnostics,
                                &report->files) &&
        report->files.empty()) {
      internal::Reporter(path.string(), &report->diagnostics)
          .Warning("$", "no *.json file: the host would serve no extension from this folder");
    }
  } else if (!std::filesystem::is_regular_file(status)) {
    // A FIFO or a device could block the read or never end.
    internal::Reporter(path.string(), &report->diagnostics)
        .Error("$", "not a regular file or a folder");
    return false;
  } else {
    report->files.push_back(path);
    LoadFile(path, options, &configurations, &report->diagnostics);
  }
  for (const Configuration& configuration : configurations) {
    report->configuration_ids.push_back(configuration.configuration_id);
  }
  report->active = Resolve(configurations, &report->diagnostics);
  for (const auto& [name, entry] : report->active.extensions) report->extensions.push_back(name);
  for (const auto& [id, route] : report->active.streams) report->streams.push_back(id);
  return !HasErrors(report->diagnostics);
}

std::string FormatCheckReport(const CheckReport& report, const TableFileNamer& table_file) {
  std::string out;
  for (const Diagnostic& diagnostic : report.diagnostics) {
    out += diagnostic.ToString();
    out += '\n';
  }
  // What the host would serve: what a client author needs to write a client and find its data.
  for (const auto& [name, entry] : report.active.extensions) {
    out += "extension " + name + ": configuration " + entry.configuration_id + "\n";
    bool any = false;
    for (const auto& [id, route] : report.active.streams) {
      if (route.extension_name != name) continue;
      any = true;
      out += "  stream " + route.data_type + ": " + id + " (solution " + route.solution + ")\n";
      for (const Channel& channel : route.channels) {
        out += "    to " + channel.id + ": ";
        if (channel.protocol == "ods") {
          out += "ODS " + channel.endpoint;
        } else if (channel.protocol == "gig") {
          out += "Logs Ingestion " + channel.endpoint_uri_template;
        } else {
          out += channel.protocol + " (not uploaded by amahost)";
        }
        out += '\n';
      }
      if (route.channels.empty()) out += "    to no channel: kept, not uploaded\n";
      if (table_file) {
        const std::string table = table_file(id);
        if (!table.empty()) out += "    table Tables/" + table + "\n";
      }
    }
    if (!any) out += "  no output stream\n";
  }
  out += Count(report.files.size(), "file", "files") + " read, " +
         Count(report.configuration_ids.size(), "configuration", "configurations") + " usable, " +
         Count(report.extensions.size(), "extension", "extensions");
  if (!report.extensions.empty()) {
    out += " (";
    for (std::size_t i = 0; i < report.extensions.size(); ++i) {
      if (i != 0) out += ", ";
      out += report.extensions[i];
    }
    out += ')';
  }
  out += ", " + Count(report.streams.size(), "stream", "streams") + "; " +
         Count(report.ErrorCount(), "error", "errors") + ", " +
         Count(report.WarningCount(), "warning", "warnings") + "\n";
  return out;
}

int CheckExitCode(const CheckReport& report) { return report.ErrorCount() == 0 ? 0 : 1; }

}  // namespace dcr
