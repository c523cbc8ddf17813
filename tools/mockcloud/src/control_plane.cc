#include "mockcloud/control_plane.h"

#include <set>
#include <unordered_set>

#include "codec/json_text.h"
#include "dcr/loader.h"
#include "dcr/parse.h"
#include "mockcloud/crypto.h"

namespace mockcloud {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::vector<std::string> ParseIfNoneMatch(const std::vector<std::string>& header_values) {
  std::vector<std::string> etags;
  for (std::string_view value : header_values) {
    while (!value.empty()) {
      std::size_t comma = value.find(',');
      std::string_view etag = Trim(value.substr(0, comma));
      if (etag.starts_with("W/")) etag.remove_prefix(2);
      if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
        etag = etag.substr(1, etag.size() - 2);
      }
      if (!etag.empty() && etag != "*") etags.emplace_back(etag);
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  return etags;
}

ConfigurationDelta ComputeDelta(const std::vector<ServedConfiguration>& current,
                                const std::vector<std::string>& client_etags,
                                const std::unordered_map<std::string, std::string>& known_etags) {
  std::unordered_set<std::string_view> sent(client_etags.begin(), client_etags.end());
  std::unordered_set<std::string_view> current_ids;
  ConfigurationDelta delta;
  for (const ServedConfiguration& configuration : current) {
    current_ids.insert(configuration.configuration_id);
    if (!sent.contains(configuration.etag)) delta.added.push_back(&configuration);
  }
  std::set<std::string> removed;  // sorted and unique, whatever order the client sent
  for (const std::string& etag : client_etags) {
    auto known = known_etags.find(etag);
    if (known != known_etags.end() && !current_ids.contains(known->second)) {
      removed.insert(known->second);
    }
  }
  delta.removed.assign(removed.begin(), removed.end());
  return delta;
}

std::string SerializeDelta(const ConfigurationDelta& delta) {
  std::string json = "{\"configurations\":[";
  bool first = true;
  for (const ServedConfiguration* configuration : delta.added) {
    if (!first) json += ',';
    first = false;
    json += "{\"configurationId\":";
    codec::AppendJsonString(&json, configuration->configuration_id);
    json += ",\"eTag\":";
    codec::AppendJsonString(&json, configuration->etag);
    json += ",\"op\":\"added\",\"content\":";
    json += configuration->content_json;
    json += '}';
  }
  for (const std::string& id : delta.removed) {
    if (!first) json += ',';
    first = false;
    json += "{\"configurationId\":";
    codec::AppendJsonString(&json, id);
    json += ",\"op\":\"removed\"}";
  }
  json += "]}";
  return json;
}

ControlPlane::ControlPlane(std::optional<std::filesystem::path> dcr_dir, base::Logger& logger,
                           std::size_t max_known_etags)
    : dcr_dir_(std::move(dcr_dir)), logger_(logger), max_known_etags_(max_known_etags) {}

bool ControlPlane::Load(const std::string& agent_resource_id, const std::string& base_url,
                        std::vector<ServedConfiguration>* out, std::string* error) {
  out->clear();
  if (!dcr_dir_) return true;
  dcr::TranslationOptions options;
  options.agent_resource_id = agent_resource_id;
  options.handler_url = base_url;
  std::vector<dcr::Configuration> configurations;
  dcr::Diagnostics diagnostics;
  bool readable = dcr::LoadDirectory(*dcr_dir_, options, &configurations, &diagnostics);

  std::string text;
  for (const dcr::Diagnostic& diagnostic : diagnostics) text += diagnostic.ToString() + "\n";
  if (text != last_diagnostics_) {
    last_diagnostics_ = text;
    for (const dcr::Diagnostic& diagnostic : diagnostics) {
      logger_.Log(diagnostic.severity == dcr::Diagnostic::Severity::kError
                      ? base::LogLevel::kError
                      : base::LogLevel::kWarning,
                  "control", "{}", diagnostic.ToString());
    }
  }
  if (!readable) {
    *error = "cannot read the DCR folder " + dcr_dir_->string();
    return false;
  }

  std::unordered_set<std::string> ids;
  for (dcr::Configuration& configuration : configurations) {
    if (!ids.insert(configuration.configuration_id).second) {
      // Files are loaded in name order, so the first one wins, the same way on every request.
      logger_.Debug("control", "{}: configuration {} already loaded from an earlier file; ignored",
                    configuration.source, configuration.configuration_id);
      continue;
    }
    dcr::RewriteChannelEndpoints(base_url, &configuration);
    ServedConfiguration served;
    served.configuration_id = configuration.configuration_id;
    served.content_json = dcr::SerializeContent(configuration);
    served.etag = Sha256Hex(served.content_json);
    served.source = std::filesystem::path(configuration.source).filename().string();
    out->push_back(std::move(served));
  }
  return true;
}

Response ControlPlane::Answer(const std::string& agent_resource_id,
                              const std::vector<std::string>& if_none_match,
                              const std::string& base_url) {
  if (!dcr_dir_) return JsonResponse(200, R"({"configurations":[]})");
  std::vector<ServedConfiguration> current;
  std::string error;
  if (!Load(agent_resource_id, base_url, &current, &error)) {
    return ErrorResponse(500, "InternalServerError", error);
  }
  std::vector<std::string> client_etags = ParseIfNoneMatch(if_none_match);
  ConfigurationDelta delta = ComputeDelta(current, client_etags, known_etags_);
  for (const ServedConfiguration& configuration : current) {
    if (known_etags_.size() >= max_known_etags_) known_etags_.clear();
    known_etags_[configuration.etag] = configuration.configuration_id;
  }
  if (!if_none_match.empty() && delta.added.empty() && delta.removed.empty()) {
    Response response;
    response.status = 304;
    return response;
  }
  return JsonResponse(200, SerializeDelta(delta));
}

}  // namespace mockcloud
