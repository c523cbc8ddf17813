#ifndef AMAHOST_DCR_LOADER_H_
#define AMAHOST_DCR_LOADER_H_

#include <filesystem>
#include <string_view>
#include <vector>

#include "dcr/diagnostics.h"
#include "dcr/model.h"
#include "dcr/parse.h"

namespace dcr {

// Loads one DCR file. Recognises, by its keys:
//  - the ARM resource shape (has "properties") → TranslateArmDcr;
//  - a configurations response ({"configurations":[…]}) → every configuration in it;
//  - one configuration ({"configurationId","content"[,"eTag"]});
//  - a bare agent-side content object ({"dataSources",…} or {"kind":"AgentSettings",…}); its
//    configurationId is the "<dcr id>" prefix of its stream ids, else the file name's stem.
// ARM and bare content files carry no eTag: theirs is a hash of the configuration's content.
// "removed" entries of a response file are ignored with a warning. Diagnostics name the file.
// Files are limited to 16 MiB. Appends to `out`; returns false if nothing usable was in the file.
bool LoadFile(const std::filesystem::path& path, const TranslationOptions& options,
              std::vector<Configuration>* out, Diagnostics* diagnostics);

// Loads every *.json regular file of `folder` (not recursive, names starting with '.' skipped)
// in name order. A bad file is reported and skipped; the good ones are kept. A configurationId
// already loaded from an earlier file is an error for the later file, whose copy is skipped.
// Returns false only if the folder cannot be read.
bool LoadDirectory(const std::filesystem::path& folder, const TranslationOptions& options,
                   std::vector<Configuration>* out, Diagnostics* diagnostics);

}  // namespace dcr

#endif  // AMAHOST_DCR_LOADER_H_
