#include "dcr/config_cache.h"

#include <set>

#include "base/files.h"
#include "dcr/parse.h"
#include "json_util.h"

namespace dcr {
namespace {

constexpr char kChunkFolder[] = "configchunks";
constexpr char kLkgFile[] = "mcsconfig.lkg.json";
constexpr char kChunkSuffix[] = ".json";

}  // namespace

bool IsSafeFileName(std::string_view id) {
  return internal::IsSafeName(id, 200) && id.front() != '.';
}

ConfigCache::ConfigCache(std::filesystem::path config_dir)
    : folder_(std::move(config_dir) / "config-cache") {}

std::filesystem::path ConfigCache::ChunkPath(std::string_view configuration_id) const {
  if (!IsSafeFileName(configuration_id)) return {};
  return folder_ / kChunkFolder / (std::string(configuration_id) + kChunkSuffix);
}

std::filesystem::path ConfigCache::LkgPath() const { return folder_ / kLkgFile; }

std::error_code ConfigCache::Save(const std::vector<Configuration>& configurations) {
  std::filesystem::path chunks = folder_ / kChunkFolder;
  if (std::error_code ec = base::CreateDirectories(chunks, 0755)) return ec;
  std::error_code first_error;
  std::set<std::string> kept;
  std::vector<Configuration> saved;
  for (const Configuration& configuration : configurations) {
    if (!IsSafeFileName(configuration.configuration_id)) {
      if (!first_error) first_error = std::make_error_code(std::errc::invalid_argument);
      continue;
    }
    if (!kept.insert(configuration.configuration_id).second) continue;
    std::error_code ec = base::WriteFileAtomically(ChunkPath(configuration.configuration_id),
                                                   SerializeContent(configuration), 0644);
    if (ec) {
      if (!first_error) first_error = ec;
      kept.erase(configuration.configuration_id);
      continue;
    }
    saved.push_back(configuration);
  }

  std::error_code ec;
  std::vector<std::filesystem::path> stale;
  for (std::filesystem::directory_iterator it(chunks, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() <= sizeof(kChunkSuffix) - 1 || !name.ends_with(kChunkSuffix)) continue;
    std::string id = name.substr(0, name.size() - (sizeof(kChunkSuffix) - 1));
    // Only files this cache could have written: anything else in the folder is not ours.
    if (!IsSafeFileName(id) || kept.count(id) != 0) continue;
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) stale.push_back(it->path());
  }
  if (ec && !first_error) first_error = ec;
  for (const std::filesystem::path& path : stale) {
    if (std::error_code remove_ec = base::RemoveFileDurably(path); remove_ec && !first_error) {
      first_error = remove_ec;
    }
  }

  if (std::error_code lkg_ec =
          base::WriteFileAtomically(LkgPath(), SerializeConfigurations(saved), 0644)) {
    return lkg_ec;
  }
  return first_error;
}

bool ConfigCache::Load(std::vector<Configuration>* out, Diagnostics* diagnostics) const {
  std::string path = LkgPath().string();
  internal::Reporter reporter(path, diagnostics);
  std::string text;
  if (std::error_code ec = base::ReadFile(LkgPath(), kMaxDocumentBytes, &text)) {
    if (ec != std::errc::no_such_file_or_directory) {
      reporter.Error("$", "cannot read the last known good configurations: " + ec.message());
    }
    return false;
  }
  ConfigurationsResponse response;
  if (!ParseConfigurationsResponse(text, path, &response, diagnostics)) return false;
  for (Configuration& configuration : response.added) {
    if (!IsSafeFileName(configuration.configuration_id)) {
      reporter.Error("$", "configurationId \"" + configuration.configuration_id +
                              "\" is not a safe file name; skipped");
      continue;
    }
    out->push_back(std::move(configuration));
  }
  return true;
}

}  // namespace dcr
