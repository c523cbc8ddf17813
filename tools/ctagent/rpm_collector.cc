#include "rpm_collector.h"

#include <charconv>

namespace ctagent {
namespace {

constexpr std::size_t kMaxValue = 4096;
constexpr std::size_t kMaxPackages = 100000;
constexpr const char* kDatabaseFolders[] = {"/var/lib/rpm", "/usr/lib/sysimage/rpm"};
enum Field { kName, kSummary, kPackager, kInstallTime, kSize, kVersion, kState, kArch, kFields };

std::string Clean(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\n')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\n')) value.remove_suffix(1);
  if (value == "(none)") return {};
  std::string text(value.substr(0, kMaxValue));
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return text;
}

// "(none):1.2-3" and "0:1.2-3" are "1.2-3"; "2:1.2-3" stays.
std::string Version(std::string_view evr) {
  const std::size_t colon = evr.find(':');
  if (colon != std::string_view::npos) {
    const std::string_view epoch = evr.substr(0, colon);
    if (epoch == "(none)" || epoch == "0" || epoch.empty()) evr.remove_prefix(colon + 1);
  }
  return Clean(evr);
}

}  // namespace

std::string RpmQueryFormat() {
  const char* names[] = {"NAME", "SUMMARY", "PACKAGER", "INSTALLTIME",
                         "SIZE", nullptr,   nullptr,    "ARCH"};
  std::string format;
  for (int i = 0; i < kFields; ++i) {
    if (i > 0) format += kRpmFieldSeparator;
    if (i == kVersion) {
      format += "%{EPOCH}:%{VERSION}-%{RELEASE}";
    } else if (i == kState) {
      format += "installed";
    } else {
      format += std::string("%{") + names[i] + "}";
    }
  }
  return format + kRpmRecordSeparator;
}

void ParseRpmOutput(std::string_view text, Items* items) {
  items->clear();
  std::vector<Item> packages;
  std::map<std::string, int> per_key;
  while (!text.empty() && packages.size() < kMaxPackages) {
    const std::size_t end = text.find(kRpmRecordSeparator);
    std::string_view record = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    std::vector<std::string_view> fields;
    while (fields.size() < kFields) {
      const std::size_t separator = record.find(kRpmFieldSeparator);
      fields.push_back(record.substr(0, separator));
      if (separator == std::string_view::npos) break;
      record.remove_prefix(separator + 1);
    }
    if (fields.size() < kFields) continue;
    Item item;
    const std::string name = Clean(fields[kName]);
    const std::string arch = Clean(fields[kArch]);
    if (name.empty()) continue;
    item.fields["SoftwareName"] = name;
    item.fields["CurrentVersion"] = Version(fields[kVersion]);
    item.fields["Architecture"] = arch;
    item.fields["Publisher"] = Clean(fields[kPackager]);
    item.fields["SoftwareDescription"] = Clean(fields[kSummary]);
    item.fields["SoftwareType"] = "Package";
    const std::string size = Clean(fields[kSize]);
    std::int64_t bytes = 0;
    auto [size_end, ec] = std::from_chars(size.data(), size.data() + size.size(), bytes);
    if (ec == std::errc() && size_end == size.data() + size.size() && bytes >= 0) {
      item.fields["Size"] = std::to_string(bytes);
    }
    item.key = "rpm/" + name + ":" + arch;
    ++per_key[item.key];
    packages.push_back(std::move(item));
  }
  for (Item& item : packages) {
    if (per_key[item.key] > 1) {
      item.key = "rpm/" + item.fields["SoftwareName"] + "-" + item.fields["CurrentVersion"] + ":" +
                 item.fields["Architecture"];
    }
    std::string key = item.key;
    (*items)[key] = std::move(item);
  }
}

std::vector<std::string> RpmCollector::Command(const std::filesystem::path& rpm,
                                               const std::string& dbpath) const {
  std::vector<std::string> argv = {rpm.string(), "-qa"};
  if (root_ != "/") {
    argv.insert(argv.end(), {"--root", root_.string(), "--dbpath", dbpath});
  }
  argv.insert(argv.end(), {"--queryformat", RpmQueryFormat()});
  return argv;
}

std::error_code RpmCollector::Collect(Items* items) {
  items->clear();
  std::string dbpath;
  for (const char* folder : kDatabaseFolders) {
    std::error_code ec;
    if (std::filesystem::is_directory(UnderRoot(root_, folder), ec)) {
      dbpath = folder;
      break;
    }
  }
  if (dbpath.empty()) {
    logger_.Debug("ctagent", "no rpm database under {}: no rpm packages", root_.string());
    return {};
  }
  const std::optional<std::filesystem::path> rpm = rpm_ ? rpm_ : FindProgram("rpm");
  if (!rpm) {
    logger_.Warning("ctagent", "an rpm database is at {} but no rpm program: no rpm packages",
                    dbpath);
    return {};
  }
  std::string output;
  if (std::error_code ec = RunCommand(Command(*rpm, dbpath), limits_, &output)) {
    logger_.Warning("ctagent", "{} -qa: {}", rpm->string(), ec.message());
    return ec;
  }
  ParseRpmOutput(output, items);
  return {};
}

}  // namespace ctagent
