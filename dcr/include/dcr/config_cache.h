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
//   mcsconfig.lkg.json                    {"configurations":[…]} with eTags: the last known good set
// Every file is written atomically (base::WriteFileAtomically). A configurationId that is not a
// safe file name ([A-Za-z0-9._-], not starting with '.') is refused, never used in a path.
// Thread-compatible.
class ConfigCache {
 public:
  explicit ConfigCache(std::filesystem::path config_dir);

  // Makes the cache hold exactly `configurations`: writes their chunk files, removes chunk files
  // of configurations not in the set, then writes mcsconfig.lkg.json.
  std::error_code Save(const std::vector<Configuration>& configurations);

  // Loads mcsconfig.lkg.json. Returns false when there is none or it cannot be parsed (reported);
  // configurations with errors are reported and skipped.
  bool Load(std::vector<Configuration>* out, Diagnostics* diagnostics) const;

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
