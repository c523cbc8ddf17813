#ifndef AMAHOST_DCR_CHECK_CONFIG_H_
#define AMAHOST_DCR_CHECK_CONFIG_H_

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "dcr/diagnostics.h"
#include "dcr/parse.h"

namespace dcr {

// The library part of `amahost check-config <file or folder>`: validates DCR files exactly as the
// host loads them (LoadFile / LoadDirectory, then Resolve). Pure apart from reading the files;
// thread-safe.

struct CheckReport {
  // Every problem, in the order found: file by file (a folder in name order), then those of
  // Resolve (several DCRs for one extension, data sources amahost does not serve, …). Each names
  // its file and JSON path.
  Diagnostics diagnostics;
  // The files read: the file itself, or the *.json files of the folder that LoadDirectory reads.
  std::vector<std::filesystem::path> files;
  // The usable configurations, in load order.
  std::vector<std::string> configuration_ids;
  // What the host would serve from them (Resolve): extension names and stream ids, sorted.
  std::vector<std::string> extensions;
  std::vector<std::string> streams;

  std::size_t ErrorCount() const;
  std::size_t WarningCount() const;
};

// Checks `path`: a folder is loaded with LoadDirectory (every *.json regular file, not
// recursive, dot files skipped; a folder without any is a warning), anything else with LoadFile.
// Then Resolve runs on the usable configurations. A path that does not exist, cannot be read or is
// neither a regular file nor a folder is an error in the report. Fills `report` (cleared first).
// Returns true when the report has no error (warnings allowed).
bool CheckConfigPath(const std::filesystem::path& path, const TranslationOptions& options,
                     CheckReport* report);

// The report as the CLI prints it: one line per diagnostic (Diagnostic::ToString), then one
// summary line, e.g.
//   3 files read, 2 configurations usable, 2 extensions (A, B), 6 streams; 1 error, 2 warnings
// Every line ends with '\n'.
std::string FormatCheckReport(const CheckReport& report);

// The exit status of check-config: 0 when the report has no error (warnings allowed), 1 otherwise.
int CheckExitCode(const CheckReport& report);

}  // namespace dcr

#endif  // AMAHOST_DCR_CHECK_CONFIG_H_
