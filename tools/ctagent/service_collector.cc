#include "service_collector.h"

#include <algorithm>
#include <set>

#include "base/files.h"

namespace ctagent {
namespace {

constexpr std::size_t kMaxUnitFile = 1024 * 1024;
constexpr std::size_t kMaxUnits = 100000;
constexpr std::size_t kUnitsPerShow = 256;
constexpr std::size_t kMaxShowValue = 4096;
constexpr const char* kUnitFolders[] = {"/etc/systemd/system", "/run/systemd/system",
                                        "/lib/systemd/system", "/usr/lib/systemd/system"};

struct UnitFile {
  std::string description;
  bool has_install = false;
};

UnitFile ParseUnitFile(std::string_view text) {
  UnitFile unit;
  std::string section;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = std::string(line.substr(1, line.size() - 2));
      continue;
    }
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    std::string_view key = line.substr(0, equals);
    while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
    std::string_view value = line.substr(equals + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (section == "Unit" && key == "Description") unit.description = std::string(value);
    if (section == "Install" &&
        (key == "WantedBy" || key == "RequiredBy" || key == "Alias" || key == "Also")) {
      unit.has_install = unit.has_install || !value.empty();
    }
  }
  return unit;
}

bool IsServiceName(const std::string& name) {
  if (name.size() <= 8 || name.size() > 256 || !name.ends_with(".service")) return false;
  if (name.find('@') != std::string::npos && name.find("@.") != std::string::npos) return false;
  for (char c : name) {
    if (c == '/' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

// Unit names linked from /etc/systemd/system/*.wants/ and *.requires/.
std::set<std::string> EnabledUnits(const std::filesystem::path& etc) {
  std::set<std::string> enabled;
  std::error_code ec;
  for (const auto& folder : std::filesystem::directory_iterator(etc, ec)) {
    const std::string name = folder.path().filename().string();
    if (!name.ends_with(".wants") && !name.ends_with(".requires")) continue;
    std::error_code inner;
    for (const auto& link : std::filesystem::directory_iterator(folder.path(), inner)) {
      enabled.insert(link.path().filename().string());
      if (enabled.size() >= kMaxUnits) return enabled;
    }
  }
  return enabled;
}

std::string ShowValue(std::string_view value) {
  std::string text;
  for (char c : value.substr(0, kMaxShowValue)) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) text += c;
  }
  return text;
}

}  // namespace

std::map<std::string, UnitState> ParseSystemctlShow(std::string_view text) {
  std::map<std::string, UnitState> units;
  std::string names;
  UnitState state;
  auto finish = [&] {
    std::string_view rest = names;
    while (!rest.empty() && units.size() < kMaxUnits) {
      const std::size_t space = rest.find(' ');
      const std::string_view name = rest.substr(0, space);
      if (!name.empty()) units[std::string(name)] = state;
      rest.remove_prefix(space == std::string_view::npos ? rest.size() : space + 1);
    }
    names.clear();
    state = {};
  };
  while (true) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      finish();
    } else if (const std::size_t equals = line.find('='); equals != std::string_view::npos) {
      const std::string_view key = line.substr(0, equals);
      const std::string value = ShowValue(line.substr(equals + 1));
      if (key == "Names") names = value;
      if (key == "SubState") state.sub_state = value;
      if (key == "UnitFileState") state.unit_file_state = value;
    }
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  finish();
  return units;
}

std::optional<LiveSystemd> LiveSystemdFor(const std::filesystem::path& root) {
  std::error_code ec;
  if (root != "/" || !std::filesystem::is_directory("/run/systemd/system", ec)) {
    return std::nullopt;
  }
  std::optional<std::filesystem::path> systemctl = FindProgram("systemctl");
  if (!systemctl) return std::nullopt;
  return LiveSystemd{.systemctl = *systemctl};
}

std::error_code ServiceCollector::ReadLiveState(Items* items) {
  std::vector<std::string> names;
  for (const auto& [name, item] : *items) names.push_back(name);
  for (std::size_t first = 0; first < names.size(); first += kUnitsPerShow) {
    std::vector<std::string> argv = {
        live_->systemctl.string(),
        "show",
        "--no-pager",
        "-p",
        "Names,WantedBy,Description,SubState,FragmentPath,UnitFileState",
        "--"};
    const std::size_t last = std::min(names.size(), first + kUnitsPerShow);
    argv.insert(argv.end(), names.begin() + first, names.begin() + last);
    std::string output;
    if (std::error_code ec = RunCommand(argv, live_->limits, &output)) {
      logger_.Warning("ctagent", "{} show: {}", live_->systemctl.string(), ec.message());
      return ec;
    }
    for (const auto& [name, state] : ParseSystemctlShow(output)) {
      auto found = items->find(name);
      if (found == items->end()) continue;
      if (!state.sub_state.empty()) found->second.fields["SvcState"] = state.sub_state;
      if (!state.unit_file_state.empty()) {
        found->second.fields["SvcStartupType"] = state.unit_file_state;
      }
    }
  }
  return {};
}

std::error_code ServiceCollector::Collect(Items* items) {
  items->clear();
  const std::set<std::string> enabled = EnabledUnits(UnderRoot(root_, "/etc/systemd/system"));
  for (const char* machine_folder : kUnitFolders) {
    std::error_code ec;
    const std::filesystem::path folder = UnderRoot(root_, machine_folder);
    for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
      const std::string name = entry.path().filename().string();
      if (!IsServiceName(name) || items->count(name) || items->size() >= kMaxUnits) continue;
      std::error_code link_ec;
      const bool is_link = entry.is_symlink(link_ec);
      Item item;
      item.key = name;
      item.fields["SvcName"] = name;
      item.fields["SvcState"] = "Unknown";
      item.fields["SvcPath"] = std::string(machine_folder) + "/" + name;
      if (is_link) {
        // A unit linked to /dev/null is masked; any other link is followed only inside the
        // root (an absolute target is a machine path: read it under the root).
        const std::filesystem::path target = std::filesystem::read_symlink(entry.path(), link_ec);
        if (target == "/dev/null") {
          item.fields["SvcStartupType"] = "masked";
          (*items)[name] = std::move(item);
          continue;
        }
      }
      std::string text;
      std::filesystem::path file = entry.path();
      if (is_link) {
        const std::filesystem::path target = std::filesystem::read_symlink(entry.path(), link_ec);
        if (link_ec) continue;
        if (target.is_absolute()) {
          file = UnderRoot(root_, target.string());
          item.fields["SvcPath"] = target.lexically_normal().string();
        } else {
          file = (entry.path().parent_path() / target).lexically_normal();
        }
        // lexically_normal removed every "..": the file must still be under the root.
        const std::string root_text = root_.lexically_normal().string();
        if (root_text != "/" && !file.lexically_normal().string().starts_with(root_text)) {
          logger_.Debug("ctagent", "unit {} links outside the root; left out", name);
          continue;
        }
      }
      if (base::ReadFile(file, kMaxUnitFile, &text)) {
        logger_.Debug("ctagent", "unit file {} unreadable; left out", file.string());
        continue;
      }
      const UnitFile unit = ParseUnitFile(text);
      item.fields["SvcDisplayName"] = unit.description;
      item.fields["SvcDescription"] = unit.description;
      item.fields["SvcStartupType"] = enabled.count(name) ? "enabled"
                                      : unit.has_install  ? "disabled"
                                                          : "static";
      (*items)[name] = std::move(item);
    }
  }
  return live_ ? ReadLiveState(items) : std::error_code();
}

}  // namespace ctagent
