#ifndef AMAHOST_DCR_CONFIG_CACHE_H_
#define AMAHOST_DCR_CONFIG_CACHE_H_

#include <filesystem>
#include <string_view>
#include <system_error>
#include <vector>

#include "dcr/diagnostics.h"
#include "dcr/model.h"

namespace dcr {

// The config-chunk cache of docs/protocol.md §2, under <config-dir>/config-cache/:
//   configchunks/<configurationId>.json   the content of each configuration (the source of truth
//                                         for content)
//   mcsconfig.lkg.json                    {"configurations":[…]}: the last known good set, with
//                                         eTags (and a copy of each content, for comparison)
// A configurationId that is not a safe file name ([A-Za-z0-9._-], not starting with '.') is
// refused, never used in a path. Thread-compatible; one process at a time (nothing is locked).
//
// Crash consistency. Every file is replaced atomically (base::WriteFileAtomically: temporary
// file, fsync, rename, fsync of the folder), so each file always holds a whole old or a whole new
// version. Save writes in this order: (1) the chunk files of the new set, (2) removal of the
// chunk files not in the new set, (3) the lkg. Load then sees one of these states after a crash:
//  - during (1): the old lkg, some chunks new. A configuration of the old set whose chunk is
//    already new has lkg content ≠ chunk content: the chunk is used, warned, and its eTag dropped
//    (the old eTag describes the old content), so the next fetch returns it in full. A chunk of a
//    configuration the old lkg does not list is not read.
//  - during (2): also, chunks of configurations the new set removed may be missing: those
//    configurations are skipped with an error (the new set drops them anyway).
//  - after (3): the new set, consistent.
// So Load never returns a configuration made of two versions, and never keeps an eTag for content
// it does not hold; at worst it returns a mix of old and new configurations that the next fetch
// (without those eTags) repairs. Damage beyond crashes (a truncated or edited file) is reported,
// and affects only the configurations it touches.
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

  // Appends the cached set to `out`, every configuration with its chunk file as source.
  //  - The lkg lists the configurations (configurationId, eTag; "op" other than "added" is warned
  //    and the entry ignored). Each one's content is read from its chunk file, with the lkg eTag.
  //    A chunk file that is missing, unreadable, larger than kMaxDocumentBytes or not a valid
  //    content makes that configuration skipped, with errors naming the chunk file (and the JSON
  //    path) and a last error at "$" naming the configuration; the others are used. When the lkg
  //    entry also carries a content that differs from the chunk's (or is not valid), the chunk
  //    is used, with an empty eTag and a warning. Chunk files the lkg does not list are not read.
  //  - When the lkg is missing, unreadable or not a {"configurations":[…]} document, every
  //    "<safe id>.json" regular file of configchunks/ is loaded instead (id = file stem, in name
  //    order), with empty eTags so that the next fetch returns every configuration in full: an
  //    error naming the lkg file and a warning naming the chunk folder say so. A missing lkg with
  //    no chunk file is a first start: nothing is reported.
  // Returns true when it recovered a set: at least one configuration, or a valid lkg listing
  // none (the last set was empty). False otherwise (nothing cached, or nothing usable).
  bool Load(std::vector<Configuration>* out, Diagnostics* diagnostics) const;

  // Empty for an id that is not a safe file name.
  std::filesystem::path ChunkPath(std::string_view configuration_id) const;
  std::filesystem::path LkgPath() const;
  std::filesystem::path ChunkFolder() const;
  const std::filesystem::path& folder() const { return folder_; }

 private:
  // The ids of the "<safe id>.json" regular files of configchunks/, sorted. A missing folder is
  // an empty list.
  std::error_code ListChunkIds(std::vector<std::string>* ids) const;
  // Reads and parses one chunk file; reports and returns false when it is unusable.
  bool LoadChunk(const std::string& id, const std::string& etag, Configuration* out,
                 Diagnostics* diagnostics) const;
  bool LoadFromChunksOnly(std::vector<Configuration>* out, Diagnostics* diagnostics,
                          const std::vector<std::string>& ids) const;

  std::filesystem::path folder_;  // <config-dir>/config-cache
};

// True if `id` may be used as a file name: 1-200 characters of [A-Za-z0-9._-], not starting
// with '.'.
bool IsSafeFileName(std::string_view id);

}  // namespace dcr

#endif  // AMAHOST_DCR_CONFIG_CACHE_H_
