#ifndef AMAHOST_TOOLS_CTAGENT_DPKG_COLLECTOR_H_
#define AMAHOST_TOOLS_CTAGENT_DPKG_COLLECTOR_H_

#include <filesystem>
#include <string_view>

#include "collector.h"

namespace ctagent {

// Installed packages from dpkg's database, `<root>/var/lib/dpkg/status`, parsed here (no
// dpkg-query). A package counts when its Status ends in "installed". Fields: SoftwareName,
// CurrentVersion, Architecture, Publisher (Maintainer), SoftwareDescription (the summary line),
// SoftwareType "Package", Size (Installed-Size KiB × 1024). Key: "name:architecture".
// No status file: an empty list. Thread-compatible.
class DpkgCollector final : public Collector {
 public:
  DpkgCollector(std::filesystem::path root, base::Logger& logger)
      : root_(std::move(root)), logger_(logger) {}
  Kind kind() const override { return Kind::kSoftware; }
  std::error_code Collect(Items* items) override;

 private:
  std::filesystem::path root_;
  base::Logger& logger_;
};

// Parses the text of a dpkg status file into `items`. Pure.
void ParseDpkgStatus(std::string_view text, Items* items);

}  // namespace ctagent

#endif  // AMAHOST_TOOLS_CTAGENT_DPKG_COLLECTOR_H_
