#ifndef AMAHOST_DCR_CONFIG_CACHE_H_
#define AMAHOST_DCR_CONFIG_CACHE_H_

#include <filesystem>
#include <string_view>
#include <system_error>
#include <vector>

#include "dcr/diagnostics.h"
#include "dcr/model.h"

namespace dcr {

// The config-chunk cache of PROTOCOL.md §2, under <config-dir>/config-cache/:
//   configchunks/<configurationId>.json   the content of each configuration
//   mcsconfig.lkg.json                    {"configurations":[…]} with eTags: the last known good
//   set
// Every file is written atomically (base::WriteFileAtomically). A configurationId that is not a
// safe file name ([A-Za-z0-9._-], not starting with '.') is refused, never used in a path.
// Thread-compatible.
class ConfigCache {
 public:
  explicit ConfigCache(std::filesystem::path config_dir);

  // Makes the cache hold exactly `configurations`: writes their chunk files (SerializeContent),
  // removes the chunk files of configurations not in the set (only files named
  // "<safe file name>.json"; anything else in configchunks/ is left alone), then writes
  // mcsconfig.lkg.json (SerializeConfigurations, eTags included) with the configurations whose
  // chunk was written. A configuration with an unsafe id is skipped, nothing is written for it,
  // and the result is std::errc::invalid_argument once everything else is saved; a repeated id
  // is saved once. Other errors are those of the file system (the first one is returned).
  std::error_code Save(const std::vector<Configuration>& configurations);

  // Appends the configurations of mcsconfig.lkg.json to `out` (their source is the lkg path).
  // Returns false when there is none (not reported) or it cannot be read or parsed (reported,
  // naming the file); configurations with errors are reported and skipped.
  bool Load(std::vector<Configuration>* out, Diagnostics* diagnostics) const;

  // Empty for an id that is not a safe file name.
  std::filesystem::path ChunkPath(std::string_view configuration_id) const;
  std::filesystem::path LkgPath() const;
  const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path folder_;  // <config-dir>/config-cache
};

// True if `id` may be used as a file name: 1-200 characters of [A-Za-z0-9._-], not starting
// with '.'.
bool IsSafeFileName(std::string_view id);

}  // namespace dcr

#endif  // AMAHOST_DCR_CONFIG_CACHE_H_
