#ifndef AMAHOST_DCR_CHECK_CONFIG_H_
#define AMAHOST_DCR_CHECK_CONFIG_H_

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "dcr/active_config.h"
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
  // All of it: per extension its DCR, streams (DATATYPE, stream id, solution) and channels.
  ActiveConfig active;

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

// The table file name of a stream id (localstore's; dcr does not know it). May be empty.
using TableFileNamer = std::function<std::string(std::string_view stream_id)>;

// The report as the CLI prints it: one line per diagnostic (Diagnostic::ToString); then what the
// host would serve, per extension (name order): its DCR, and per stream (id order) its DATATYPE
// (the tag a client may use) and stream id, the channels it goes to, and its table file when
// `table_file` is given:
//   extension Contoso-Linux: configuration dcr-c0de…
//     stream Custom-AppEvents_CL: dcr-c0de…:ContosoSource:Custom-AppEvents_CL (solution
//     LogManagement)
//       to gig-contoso: Logs Ingestion https://…/streams/<STREAM>?api-version=2023-01-01
//       table Tables/dcr-c0de…_ContosoSource_1234.tsf
// and last one summary line, e.g.
//   3 files read, 2 configurations usable, 2 extensions (A, B), 6 streams; 1 error, 2 warnings
// Every line ends with '\n'.
std::string FormatCheckReport(const CheckReport& report, const TableFileNamer& table_file = {});

// The exit status of check-config: 0 when the report has no error (warnings allowed), 1 otherwise.
int CheckExitCode(const CheckReport& report);

}  // namespace dcr

#endif  // AMAHOST_DCR_CHECK_CONFIG_H_
