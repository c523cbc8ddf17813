#ifndef AMAHOST_TOOLS_CTAGENT_SERVICE_COLLECTOR_H_
#define AMAHOST_TOOLS_CTAGENT_SERVICE_COLLECTOR_H_

#include <filesystem>

#include "collector.h"

namespace ctagent {

// systemd services from their unit files on disk, so that it works in containers and on
// fixture roots: `*.service` in <root>/etc/systemd/system, /run/systemd/system,
// /lib/systemd/system and /usr/lib/systemd/system, the first folder naming a unit winning, as
// systemd's own search path does. Template units (`name@.service`) are left out. Fields:
// SvcName, SvcDisplayName and SvcDescription (Description=), SvcPath (the FragmentPath, as a
// machine path), SvcStartupType (enabled when a `*.wants/` or `*.requires/` folder of
// /etc/systemd/system links it, masked when /etc links it to /dev/null, static when it has no
// [Install] section, else disabled), SvcState "Unknown" (no live state read). Key: the unit
// name. Thread-compatible.
class ServiceCollector final : public Collector {
 public:
  ServiceCollector(std::filesystem::path root, base::Logger& logger)
      : root_(std::move(root)), logger_(logger) {}
  Kind kind() const override { return Kind::kDaemons; }
  std::error_code Collect(Items* items) override;

 private:
  std::filesystem::path root_;
  base::Logger& logger_;
};

}  // namespace ctagent

#endif  // AMAHOST_TOOLS_CTAGENT_SERVICE_COLLECTOR_H_
