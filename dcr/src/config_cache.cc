#include "dcr/config_cache.h"

#include <algorithm>
#include <set>

#include "base/files.h"
#include "content_reader.h"
#include "dcr/parse.h"
#include "json_util.h"

namespace dcr {
namespace {

using internal::FindMember;
using internal::MemberPath;
using internal::Reporter;
using internal::TypeName;

constexpr char kChunkFolder[] = "configchunks";
constexpr char kLkgFile[] = "mcsconfig.lkg.json";
constexpr char kChunkSuffix[] = ".json";
constexpr std::size_t kChunkSuffixLength = sizeof(kChunkSuffix) - 1;

// Reads one cache file into `text`. Returns why it cannot be used ("missing", …), or "" when it
// was read. `*missing` tells a missing file apart.
std::string ReadCacheFile(const std::filesystem::path& path, std::string* text, bool* missing) {
  *missing = false;
  std::error_code ec;
  std::filesystem::file_status status = std::filesystem::status(path, ec);
  // A FIFO or a device in place of a cache file would block the host's start on open or read.
  if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    return "not a regular file";
  }
  ec = base::ReadFile(path, kMaxDocumentBytes, text);
  if (!ec) return "";
  if (ec == std::errc::no_such_file_or_directory) {
    *missing = true;
    return "missing";
  }
  if (ec == std::errc::file_too_large) {
    return "larger than " + std::to_string(kMaxDocumentBytes) + " bytes";
  }
  return "cannot read: " + ec.message();
}

std::string Quoted(const std::string& text) { return "\"" + text + "\""; }

}  // namespace

bool IsSafeFileName(std::string_view id) {
  return internal::IsSafeName(id, 200) && id.front() != '.';
}

ConfigCache::ConfigCache(std::filesystem::path config_dir)
    : folder_(std::move(config_dir) / "config-cache") {}

std::filesystem::path ConfigCache::ChunkPath(std::string_view configuration_id) const {
  if (!IsSafeFileName(configuration_id)) return {};
  return ChunkFolder() / (std::string(configuration_id) + kChunkSuffix);
}

std::filesystem::path ConfigCache::LkgPath() const { return folder_ / kLkgFile; }

std::filesystem::path ConfigCache::ChunkFolder() const { return folder_ / kChunkFolder; }

std::error_code ConfigCache::ListChunkIds(std::vector<std::string>* ids) const {
  std::error_code ec;
  std::filesystem::directory_iterator it(ChunkFolder(), ec);
  if (ec == std::errc::no_such_file_or_directory) return {};
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() <= kChunkSuffixLength || !name.ends_with(kChunkSuffix)) continue;
    std::string id = name.substr(0, name.size() - kChunkSuffixLength);
    // Only files this cache could have written: anything else in the folder is not ours (this
    // also leaves out the dot-named temporary files of atomic writes).
    if (!IsSafeFileName(id)) continue;
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) ids->push_back(std::move(id));
  }
  std::sort(ids->begin(), ids->end());
  return ec;
}

std::error_code ConfigCache::Save(const std::vector<Configuration>& configurations) {
  if (std::error_code ec = base::CreateDirectories(ChunkFolder(), 0755)) return ec;
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

  std::vector<std::string> present;
  if (std::error_code ec = ListChunkIds(&present); ec && !first_error) first_error = ec;
  for (const std::string& id : present) {
    if (kept.count(id) != 0) continue;
    if (std::error_code ec = base::RemoveFileDurably(ChunkPath(id)); ec && !first_error) {
      first_error = ec;
    }
  }

  // Last, so that the lkg never lists a chunk this call has not written (see the header).
  if (std::error_code lkg_ec =
          base::WriteFileAtomically(LkgPath(), SerializeConfigurations(saved), 0644)) {
    return lkg_ec;
  }
  return first_error;
}

bool ConfigCache::LoadChunk(const std::string& id, const std::string& etag, Configuration* out,
                            Diagnostics* diagnostics) const {
  std::filesystem::path path = ChunkPath(id);
  Reporter reporter(path.string(), diagnostics);
  std::string text;
  bool missing = false;
  if (std::string problem = ReadCacheFile(path, &text, &missing); !problem.empty()) {
    reporter.Error("$", problem + "; configuration " + Quoted(id) + " skipped");
    return false;
  }
  if (!ParseContent(text, path.string(), id, etag, out, diagnostics)) {
    reporter.Error("$", "not a valid content; configuration " + Quoted(id) + " skipped");
    return false;
  }
  return true;
}

bool ConfigCache::LoadFromChunksOnly(std::vector<Configuration>* out, Diagnostics* diagnostics,
                                     const std::vector<std::string>& ids) const {
  Reporter(ChunkFolder().string(), diagnostics)
      .Warning("$", "loading the " + std::to_string(ids.size()) +
                        (ids.size() == 1 ? " chunk file" : " chunk files") + " here without " +
                        kLkgFile +
                        ": their eTags are unknown, so the next fetch returns every "
                        "configuration in full");
  bool any = false;
  for (const std::string& id : ids) {
    Configuration configuration;
    if (!LoadChunk(id, "", &configuration, diagnostics)) continue;
    out->push_back(std::move(configuration));
    any = true;
  }
  return any;
}

bool ConfigCache::Load(std::vector<Configuration>* out, Diagnostics* diagnostics) const {
  const std::string lkg_source = LkgPath().string();
  Reporter lkg(lkg_source, diagnostics);
  std::string text;
  bool lkg_missing = false;
  rapidjson::Document document;
  const rapidjson::Value* list = nullptr;
  std::string problem_path = "$";
  // Why the lkg cannot be used; empty when it can.
  std::string problem = ReadCacheFile(LkgPath(), &text, &lkg_missing);
  if (problem.empty()) {
    if (std::string error; !internal::ParseJson(text, &document, &error)) {
      problem = error;
    } else if (!document.IsObject()) {
      problem = std::string("expected an object, found ") + TypeName(document);
    } else if (list = FindMember(document, "configurations"); list == nullptr || !list->IsArray()) {
      problem_path = "$.configurations";
      problem = list == nullptr ? "missing (an array is required)"
                                : std::string("expected an array, found ") + TypeName(*list);
    }
  }

  if (!problem.empty()) {
    std::vector<std::string> ids;
    std::error_code list_ec = ListChunkIds(&ids);
    if (lkg_missing && !list_ec && ids.empty()) {
      return false;  // a first start: nothing was ever saved
    }
    lkg.Error(problem_path, problem + (ids.empty() ? "; no chunk file to fall back on"
                                                   : "; falling back on the chunk files"));
    if (list_ec) {
      Reporter(ChunkFolder().string(), diagnostics)
          .Error("$", "cannot read the folder: " + list_ec.message());
      return false;
    }
    if (ids.empty()) return false;
    return LoadFromChunksOnly(out, diagnostics, ids);
  }

  internal::WarnUnknownMembers(document, "$", {"configurations"}, &lkg);
  std::set<std::string> seen;
  bool any = false;
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const rapidjson::Value& entry = (*list)[i];
    std::string path = internal::IndexPath("$.configurations", i);
    if (!entry.IsObject()) {
      lkg.Error(path, std::string("expected an object, found ") + TypeName(entry));
      continue;
    }
    internal::WarnUnknownMembers(entry, path, {"configurationId", "eTag", "op", "content"}, &lkg);
    internal::ErrorScope scope(lkg);
    std::string id;
    std::string etag;
    std::string op = "added";
    internal::RequireString(entry, "configurationId", path, &lkg, &id);
    internal::OptionalString(entry, "eTag", path, &lkg, &etag);
    internal::OptionalString(entry, "op", path, &lkg, &op);
    if (!scope.ok()) continue;
    std::string id_path = MemberPath(path, "configurationId");
    if (!IsSafeFileName(id)) {
      lkg.Error(id_path, Quoted(id) + " is not a safe file name; configuration skipped");
      continue;
    }
    if (op != "added") {
      lkg.Warning(MemberPath(path, "op"),
                  "op " + Quoted(op) + " in a last known good set; ignored");
      continue;
    }
    if (!seen.insert(id).second) {
      lkg.Error(id_path,
                "duplicate configurationId " + Quoted(id) + ", only its first entry counts");
      continue;
    }
    Configuration configuration;
    if (!LoadChunk(id, etag, &configuration, diagnostics)) continue;
    if (const rapidjson::Value* content = FindMember(entry, "content")) {
      // The lkg's copy only tells whether its eTag still describes the chunk.
      Configuration listed;
      Reporter quiet(lkg_source, nullptr);
      std::string content_path = MemberPath(path, "content");
      bool same = internal::ReadContent(*content, content_path, id, etag, &quiet, &listed) &&
                  SerializeContent(listed) == SerializeContent(configuration);
      if (!same) {
        Reporter(configuration.source, diagnostics)
            .Warning("$", "differs from " + content_path + " of " + lkg_source +
                              " (interrupted save?); the chunk file is used, without the eTag " +
                              Quoted(etag));
        configuration.etag.clear();
      }
    }
    out->push_back(std::move(configuration));
    any = true;
  }
  return any || list->Empty();
}

}  // namespace dcr
