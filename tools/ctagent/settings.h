#ifndef AMAHOST_TOOLS_CTAGENT_SETTINGS_H_
#define AMAHOST_TOOLS_CTAGENT_SETTINGS_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ctagent {

// One `fileSettings.fileInfo` entry of the DCR's extensionSettings.
struct FileInfo {
  std::string name;
  bool enabled = true;
  std::string destination_path;  // an ECMAScript regex matched against whole absolute paths
  bool recurse = true;
  std::int64_t max_contents_returnable = 5000000;  // a file's first bytes kept (0: none)
  std::int64_t max_output_size = 500000;  // bytes of items one entry may yield per collection
  bool follow_links = true;               // "links": "Follow" (anything else: Ignore)

  bool operator==(const FileInfo&) const = default;
};

// What ctagent follows from its TaggedData (docs/ctagent.md, "Configuration").
struct Settings {
  bool enable_software = true;
  bool enable_services = true;
  bool enable_files = true;
  bool enable_inventory = true;
  std::chrono::seconds software_frequency{300};
  std::chrono::seconds services_frequency{300};
  std::chrono::seconds files_frequency{900};
  std::chrono::seconds inventory_frequency{36000};
  std::vector<FileInfo> files;
  std::map<std::string, std::string> output_streams;  // DATATYPE → stream id

  bool operator==(const Settings&) const = default;
};

// The bundled ChangeTracking-Linux DCR's settings (ama/data/changetracking-linux.json), used by
// --dry-run when no host answers.
Settings DefaultSettings();

// Parses an AgentTaggedData reply's TaggedData text. The first extensionConfigurations entry is
// used (`warning` says so when there are several). Missing settings keep the defaults above;
// a frequency is clamped to [10 s, 7 days]. False with `error` for text that is not TaggedData.
// Pure.
bool ParseTaggedData(std::string_view text, Settings* settings, std::string* error,
                     std::string* warning);

}  // namespace ctagent

#endif  // AMAHOST_TOOLS_CTAGENT_SETTINGS_H_
