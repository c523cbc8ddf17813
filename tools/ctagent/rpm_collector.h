#ifndef AMAHOST_TOOLS_CTAGENT_RPM_COLLECTOR_H_
#define AMAHOST_TOOLS_CTAGENT_RPM_COLLECTOR_H_

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector.h"
#include "command.h"

namespace ctagent {

// The fields ctagent asks rpm for, in the seed's order (NAME, SUMMARY, PACKAGER, INSTALLTIME,
// SIZE, EPOCH:VERSION-RELEASE, "installed", ARCH), separated by kRpmFieldSeparator and each
// package ended by kRpmRecordSeparator. The real agent separates them with "; " and "\n@@",
// which a summary holding "; " makes ambiguous; control characters cannot be in any of them.
inline constexpr char kRpmFieldSeparator = '\x1f';
inline constexpr char kRpmRecordSeparator = '\x1e';
std::string RpmQueryFormat();

// Installed packages from rpm's database, when <root>/var/lib/rpm or <root>/usr/lib/sysimage/rpm
// exists: runs `rpm -qa --queryformat …` (with `--root <root> --dbpath <that folder>` under a
// fixture root), bounded in time and output, and parses what it prints (ParseRpmOutput). No
// database: an empty list. A database but no rpm program: an empty list, logged. Keys start
// with "rpm/" so that they never meet dpkg's. Thread-compatible.
class RpmCollector final : public Collector {
 public:
  // `rpm`: the program to run; nullopt finds it (FindProgram("rpm")).
  RpmCollector(std::filesystem::path root, base::Logger& logger,
               std::optional<std::filesystem::path> rpm = std::nullopt, CommandLimits limits = {})
      : root_(std::move(root)), logger_(logger), rpm_(std::move(rpm)), limits_(limits) {}
  Kind kind() const override { return Kind::kSoftware; }
  std::error_code Collect(Items* items) override;

  // The argv it runs for a database at `dbpath` (a machine path). Pure.
  std::vector<std::string> Command(const std::filesystem::path& rpm,
                                   const std::string& dbpath) const;

 private:
  std::filesystem::path root_;
  base::Logger& logger_;
  std::optional<std::filesystem::path> rpm_;
  CommandLimits limits_;
};

// Parses what `rpm -qa --queryformat RpmQueryFormat()` prints into `items` (replaced). A package
// without a name or with fewer than eight fields is left out; "(none)" is an empty value (an
// epoch of "(none)" or 0 is not shown: "1.2-3", else "2:1.2-3"); control characters become
// spaces, each value is cut at 4 KiB, at most 100,000 packages. Fields as dpkg's:
// SoftwareName, CurrentVersion, Architecture, Publisher (PACKAGER), SoftwareDescription
// (SUMMARY), SoftwareType "Package", Size (SIZE, bytes). Key "rpm/name:arch"; packages installed
// several times under one name and arch (kernels) are keyed "rpm/name-version:arch". Pure.
void ParseRpmOutput(std::string_view text, Items* items);

}  // namespace ctagent

#endif  // AMAHOST_TOOLS_CTAGENT_RPM_COLLECTOR_H_
