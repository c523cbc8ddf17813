// Offline DCR files (docs/protocol.md §2 "Offline source").

#include "dcr/loader.h"

#include <algorithm>
#include <map>
#include <system_error>

#include "base/files.h"
#include "content_reader.h"
#include "derived_ids.h"
#include "json_util.h"
#include "loader_internal.h"

namespace dcr {
namespace {

using internal::FindMember;
using internal::Reporter;
using rapidjson::Value;

// A bare content file carries no configurationId; its stream ids do ("<dcr id>:<source>:<TYPE>").
std::string ConfigurationIdFromStreams(const Value& content) {
  const Value* data_sources = FindMember(content, "dataSources");
  if (data_sources == nullptr || !data_sources->IsArray()) return "";
  for (const Value& data_source : data_sources->GetArray()) {
    const Value* streams = FindMember(data_source, "streams");
    if (streams == nullptr || !streams->IsArray()) continue;
    for (const Value& stream : streams->GetArray()) {
      const Value* id = FindMember(stream, "extensionOutputStream");
      if (id == nullptr || !id->IsString()) continue;
      std::string_view text(id->GetString(), id->GetStringLength());
      std::size_t colon = text.find(':');
      if (colon != 0 && colon != std::string_view::npos) return std::string(text.substr(0, colon));
    }
  }
  return "";
}

bool LoadEntries(const Value& list, Reporter* reporter, std::vector<Configuration>* out) {
  bool any = false;
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    std::string path = internal::IndexPath("$.configurations", i);
    Configuration configuration;
    internal::EntryOp op =
        internal::ReadConfigurationEntry(list[i], path, reporter, &configuration);
    if (op == internal::EntryOp::kRemoved) {
      reporter->Warning(internal::MemberPath(path, "op"),
                        "\"removed\" means nothing in a file; ignored");
    } else if (op == internal::EntryOp::kAdded) {
      out->push_back(std::move(configuration));
      any = true;
    }
  }
  return any;
}

}  // namespace

bool LoadFile(const std::filesystem::path& path, const TranslationOptions& options,
              std::vector<Configuration>* out, Diagnostics* diagnostics) {
  Reporter reporter(path.string(), diagnostics);
  std::string text;
  if (std::error_code ec = base::ReadFile(path, kMaxDocumentBytes, &text)) {
    reporter.Error("$", ec == std::errc::file_too_large
                            ? "larger than " + std::to_string(kMaxDocumentBytes) + " bytes"
                            : "cannot read: " + ec.message());
    return false;
  }
  rapidjson::Document document;
  std::string error;
  if (!internal::ParseJson(text, &document, &error)) {
    reporter.Error("$", error);
    return false;
  }
  if (!document.IsObject()) {
    reporter.Error("$", std::string("expected an object, found ") + internal::TypeName(document));
    return false;
  }
  if (FindMember(document, "properties") != nullptr) {
    Configuration configuration;
    // Translation re-parses the text: a translation is rare and keeps TranslateArmDcr's API plain.
    if (!TranslateArmDcr(text, path.string(), options, &configuration, diagnostics)) return false;
    out->push_back(std::move(configuration));
    return true;
  }
  if (const Value* list = FindMember(document, "configurations")) {
    if (!list->IsArray()) {
      reporter.Error("$.configurations",
                     std::string("expected an array, found ") + internal::TypeName(*list));
      return false;
    }
    internal::WarnUnknownMembers(document, "$", {"configurations"}, &reporter);
    return LoadEntries(*list, &reporter, out);
  }
  if (FindMember(document, "configurationId") != nullptr &&
      FindMember(document, "content") != nullptr) {
    Configuration configuration;
    if (internal::ReadConfigurationEntry(document, "$", &reporter, &configuration) !=
        internal::EntryOp::kAdded) {
      return false;
    }
    out->push_back(std::move(configuration));
    return true;
  }
  if (FindMember(document, "dataSources") != nullptr ||
      FindMember(document, "channels") != nullptr ||
      FindMember(document, "extensionConfigurations") != nullptr ||
      FindMember(document, "kind") != nullptr) {
    std::string id = ConfigurationIdFromStreams(document);
    if (id.empty()) id = path.stem().string();
    Configuration configuration;
    if (!internal::ReadContent(document, "$", id, "", &reporter, &configuration)) return false;
    // A file carries no eTag; a hash of its content changes exactly when the content does.
    configuration.etag = internal::Fnv1a128Hex(SerializeContent(configuration));
    out->push_back(std::move(configuration));
    return true;
  }
  reporter.Error("$",
                 "not a DCR: expected an ARM resource (\"properties\"), a configurations response "
                 "(\"configurations\"), a configuration (\"configurationId\", \"content\") or a "
                 "content object (\"dataSources\", \"kind\")");
  return false;
}

bool LoadDirectory(const std::filesystem::path& folder, const TranslationOptions& options,
                   std::vector<Configuration>* out, Diagnostics* diagnostics) {
  std::vector<std::filesystem::path> files;
  return internal::LoadDirectory(folder, options, out, diagnostics, &files);
}

namespace internal {

bool LoadDirectory(const std::filesystem::path& folder, const TranslationOptions& options,
                   std::vector<Configuration>* out, Diagnostics* diagnostics,
                   std::vector<std::filesystem::path>* files_read) {
  Reporter reporter(folder.string(), diagnostics);
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  std::filesystem::directory_iterator it(folder, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::filesystem::path& path = it->path();
    std::string name = path.filename().string();
    // Dot files include the temporary files of atomic writes.
    if (name.empty() || name[0] == '.' || path.extension() != ".json") continue;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    files.push_back(path);
  }
  if (ec) {
    reporter.Error("$", "cannot read the folder: " + ec.message());
    return false;
  }
  std::sort(files.begin(), files.end());
  std::map<std::string, std::string> first_source;  // configurationId → file
  for (const std::filesystem::path& file : files) {
    files_read->push_back(file);
    std::vector<Configuration> loaded;
    LoadFile(file, options, &loaded, diagnostics);
    for (Configuration& configuration : loaded) {
      auto [existing, inserted] =
          first_source.emplace(configuration.configuration_id, file.string());
      if (!inserted) {
        Reporter(file.string(), diagnostics)
            .Error("$", "configurationId \"" + configuration.configuration_id +
                            "\" is already loaded from " + existing->second + "; ignored");
        continue;
      }
      out->push_back(std::move(configuration));
    }
  }
  return true;
}

}  // namespace internal
}  // namespace dcr
