#ifndef AMAHOST_DCR_LOADER_INTERNAL_H_
#define AMAHOST_DCR_LOADER_INTERNAL_H_

// LoadDirectory with the list of files it read, for check-config's summary. Internal to dcr.

#include <filesystem>
#include <vector>

#include "dcr/diagnostics.h"
#include "dcr/model.h"
#include "dcr/parse.h"

namespace dcr::internal {

// dcr::LoadDirectory, also appending to `files` every file it passed to LoadFile, in that order.
bool LoadDirectory(const std::filesystem::path& folder, const TranslationOptions& options,
                   std::vector<Configuration>* out, Diagnostics* diagnostics,
                   std::vector<std::filesystem::path>* files);

}  // namespace dcr::internal

#endif  // AMAHOST_DCR_LOADER_INTERNAL_H_
