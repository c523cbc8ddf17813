// The public parsing entry points and the agentConfigurations response (docs/protocol.md §1).

#include <set>

#include "content_reader.h"
#include "dcr/parse.h"

namespace dcr {
namespace internal {

EntryOp ReadConfigurationEntry(const rapidjson::Value& entry, const std::string& path,
                               Reporter* reporter, Configuration* out) {
  if (!entry.IsObject()) {
    reporter->Error(path, std::string("expected an object, found ") + TypeName(entry));
    return EntryOp::kSkipped;
  }
  ErrorScope scope(*reporter);
  WarnUnknownMembers(entry, path, {"configurationId", "eTag", "op", "content"}, reporter);
  std::string id;
  std::string etag;
  std::string op = "added";
  if (RequireString(entry, "configurationId", path, reporter, &id) &&
      (id.size() > 1024 || HasControlCharacter(id))) {
    reporter->Error(MemberPath(path, "configurationId"),
                    "must be at most 1024 characters without control characters");
  }
  if (!scope.ok()) return EntryOp::kSkipped;
  // From here on the id is usable, so every refusal can name it: the host logs which
  // configuration it keeps the previous version of.
  auto refuse = [&] {
    std::size_t errors = reporter->error_count() - scope.start();
    reporter->Error(path, "configuration \"" + id + "\" refused (" + std::to_string(errors) +
                              (errors == 1 ? " error" : " errors") + " in it)");
    *out = Configuration();
    out->configuration_id = id;
    out->source = reporter->source();
    return EntryOp::kRefused;
  };
  OptionalString(entry, "eTag", path, reporter, &etag);
  OptionalString(entry, "op", path, reporter, &op);
  if (!scope.ok()) return refuse();
  if (op == "removed") {
    *out = Configuration();
    out->configuration_id = id;
    out->source = reporter->source();
    return EntryOp::kRemoved;
  }
  if (op != "added") {
    reporter->Warning(MemberPath(path, "op"), "unknown op \"" + op + "\", configuration ignored");
    return EntryOp::kSkipped;
  }
  const rapidjson::Value* content = FindMember(entry, "content");
  if (content == nullptr) {
    reporter->Error(MemberPath(path, "content"), "missing (an object is required)");
    return refuse();
  }
  if (!ReadContent(*content, MemberPath(path, "content"), id, etag, reporter, out)) {
    return refuse();
  }
  return EntryOp::kAdded;
}

bool ReadConfigurationsResponse(const rapidjson::Value& body, Reporter* reporter,
                                ConfigurationsResponse* out) {
  if (!body.IsObject()) {
    reporter->Error("$", std::string("expected an object, found ") + TypeName(body));
    return false;
  }
  WarnUnknownMembers(body, "$", {"configurations"}, reporter);
  const rapidjson::Value* list = FindMember(body, "configurations");
  if (list == nullptr) {
    reporter->Error("$.configurations", "missing (an array is required)");
    return false;
  }
  if (!list->IsArray()) {
    reporter->Error("$.configurations", std::string("expected an array, found ") + TypeName(*list));
    return false;
  }
  std::set<std::string> seen;
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    std::string path = IndexPath("$.configurations", i);
    Configuration configuration;
    EntryOp op = ReadConfigurationEntry((*list)[i], path, reporter, &configuration);
    if (op == EntryOp::kSkipped) continue;
    // A refused entry counts as the first one too: a later entry must not slip in under its id.
    if (!seen.insert(configuration.configuration_id).second) {
      reporter->Error(MemberPath(path, "configurationId"), "duplicate configurationId \"" +
                                                               configuration.configuration_id +
                                                               "\", only its first entry counts");
      continue;
    }
    switch (op) {
      case EntryOp::kAdded:
        out->added.push_back(std::move(configuration));
        break;
      case EntryOp::kRemoved:
        out->removed.push_back(configuration.configuration_id);
        break;
      case EntryOp::kRefused:
        out->refused.push_back(configuration.configuration_id);
        break;
      case EntryOp::kSkipped:
        break;
    }
  }
  return true;
}

}  // namespace internal

bool ParseContent(std::string_view json, const std::string& source,
                  const std::string& configuration_id, const std::string& etag, Configuration* out,
                  Diagnostics* diagnostics) {
  internal::Reporter reporter(source, diagnostics);
  rapidjson::Document document;
  std::string error;
  if (!internal::ParseJson(json, &document, &error)) {
    reporter.Error("$", error);
    return false;
  }
  return internal::ReadContent(document, "$", configuration_id, etag, &reporter, out);
}

bool ParseConfigurationsResponse(std::string_view body, const std::string& source,
                                 ConfigurationsResponse* out, Diagnostics* diagnostics) {
  internal::Reporter reporter(source, diagnostics);
  rapidjson::Document document;
  std::string error;
  if (!internal::ParseJson(body, &document, &error)) {
    reporter.Error("$", error);
    return false;
  }
  return internal::ReadConfigurationsResponse(document, &reporter, out);
}

}  // namespace dcr
