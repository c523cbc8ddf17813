#include "dpkg_collector.h"

#include <charconv>

#include "base/files.h"

namespace ctagent {
namespace {

// dpkg's status file on a large server is a few MiB.
constexpr std::size_t kMaxStatusFile = 256 * 1024 * 1024;

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

void AddPackage(const std::map<std::string, std::string, std::less<>>& stanza, Items* items) {
  auto get = [&](std::string_view name) -> std::string {
    auto found = stanza.find(name);
    return found == stanza.end() ? std::string() : found->second;
  };
  const std::string name = get("Package");
  const std::string status = get("Status");
  if (name.empty() || !status.ends_with(" installed")) return;
  Item item;
  item.key = name + ":" + get("Architecture");
  item.fields["SoftwareName"] = name;
  item.fields["CurrentVersion"] = get("Version");
  item.fields["Architecture"] = get("Architecture");
  item.fields["Publisher"] = get("Maintainer");
  item.fields["SoftwareDescription"] = get("Description");
  item.fields["SoftwareType"] = "Package";
  const std::string size = get("Installed-Size");
  std::int64_t kib = 0;
  auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), kib);
  if (ec == std::errc() && end == size.data() + size.size() && kib >= 0 &&
      kib < (std::int64_t{1} << 40)) {
    item.fields["Size"] = std::to_string(kib * 1024);
  }
  std::string key = item.key;
  (*items)[key] = std::move(item);
}

}  // namespace

void ParseDpkgStatus(std::string_view text, Items* items) {
  items->clear();
  std::map<std::string, std::string, std::less<>> stanza;
  std::string last;
  while (true) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) {
      AddPackage(stanza, items);
      stanza.clear();
      last.clear();
    } else if (line[0] == ' ' || line[0] == '\t') {
      // A continuation line: only the first line of a Description is kept (its summary).
    } else if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
      last = std::string(line.substr(0, colon));
      stanza[last] = std::string(Trim(line.substr(colon + 1)));
    }
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  AddPackage(stanza, items);
}

std::error_code DpkgCollector::Collect(Items* items) {
  const std::filesystem::path path = UnderRoot(root_, "/var/lib/dpkg/status");
  std::string text;
  if (std::error_code ec = base::ReadFile(path, kMaxStatusFile, &text)) {
    if (ec == std::errc::no_such_file_or_directory) {
      logger_.Debug("ctagent", "no dpkg database at {}: no packages", path.string());
      items->clear();
      return {};
    }
    return ec;
  }
  ParseDpkgStatus(text, items);
  return {};
}

}  // namespace ctagent
