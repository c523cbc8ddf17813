#ifndef AMAHOST_TOOLS_CTAGENT_SERVICE_COLLECTOR_H_
#define AMAHOST_TOOLS_CTAGENT_SERVICE_COLLECTOR_H_

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "collector.h"
#include "command.h"

namespace ctagent {

// systemd services from their unit files on disk, so that it works in containers and on
// fixture roots: `*.service` in <root>/etc/systemd/system, /run/systemd/system,
// /lib/systemd/system and /usr/lib/systemd/system, the first folder naming a unit winning, as
// systemd's own search path does. Template units (`name@.service`) are left out. Fields:
// SvcName, SvcDisplayName and SvcDescription (Description=), SvcPath (the FragmentPath, as a
// machine path), SvcStartupType (enabled when a `*.wants/` or `*.requires/` folder of
// /etc/systemd/system links it, masked when /etc links it to /dev/null, static when it has no
// [Install] section, else disabled), SvcState "Unknown". Key: the unit name.
// Given `live` (systemd runs this machine), SvcState is the unit's SubState and SvcStartupType
// its UnitFileState (when it has one) as `systemctl show` reports them, asked for 256 units at a
// time; a failed `systemctl show` fails the collection (its states would otherwise all turn
// Unknown and back). Thread-compatible.
struct LiveSystemd {
  std::filesystem::path systemctl;
  CommandLimits limits{.max_output = 16 * 1024 * 1024, .timeout = std::chrono::seconds(30)};
};

class ServiceCollector final : public Collector {
 public:
  ServiceCollector(std::filesystem::path root, base::Logger& logger,
                   std::optional<LiveSystemd> live = std::nullopt)
      : root_(std::move(root)), logger_(logger), live_(std::move(live)) {}
  Kind kind() const override { return Kind::kDaemons; }
  std::error_code Collect(Items* items) override;

 private:
  std::error_code ReadLiveState(Items* items);

  std::filesystem::path root_;
  base::Logger& logger_;
  std::optional<LiveSystemd> live_;
};

// The live path for `root`: when it is "/", /run/systemd/system exists (systemd runs) and
// systemctl is found; else nullopt.
std::optional<LiveSystemd> LiveSystemdFor(const std::filesystem::path& root);

// A unit's live state from `systemctl show`.
struct UnitState {
  std::string sub_state;        // SubState: running, exited, dead, …
  std::string unit_file_state;  // UnitFileState: enabled, static, disabled, masked, …
};

// Parses `systemctl show -p Names,WantedBy,Description,SubState,FragmentPath,UnitFileState`
// output (blocks of Key=Value lines, a blank line between units) into the state of every name a
// block's Names lists. Lines without '=' and other keys are ignored; values are cut at 4 KiB and
// control characters dropped; at most 100,000 names. Pure.
std::map<std::string, UnitState> ParseSystemctlShow(std::string_view text);

}  // namespace ctagent

#endif  // AMAHOST_TOOLS_CTAGENT_SERVICE_COLLECTOR_H_
