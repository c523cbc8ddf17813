#include "mockcloud/admin_api.h"

#include <fmt/format.h>

#include <ctime>
#include <optional>

#include "codec/json_parse.h"
#include "codec/json_text.h"
#include "mockcloud/route.h"

namespace mockcloud {
namespace {

constexpr std::size_t kDefaultLimit = 100000;
constexpr std::size_t kMaxLimit = 1000000;

// Reads a non-negative integer parameter; `fallback` when absent, nullopt when malformed or over
// `max`.
std::optional<std::size_t> SizeParam(const QueryParams& params, std::string_view name,
                                     std::size_t fallback, std::size_t max) {
  const std::string* text = FindParam(params, name);
  if (text == nullptr) return fallback;
  if (text->empty() || text->size() > 9) return std::nullopt;
  std::size_t value = 0;
  for (char c : *text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

Response MethodNotAllowed(std::string_view allowed) {
  Response response =
      ErrorResponse(405, "MethodNotAllowed", fmt::format("this endpoint takes {}", allowed));
  response.AddHeader("Allow", std::string(allowed));
  return response;
}

Response Internal(const std::string& error) {
  return ErrorResponse(500, "InternalServerError", error);
}

std::string SchemaCountersJson(const SchemaCounters& counters) {
  return fmt::format(
      R"({{"checkedRequests":{},"uncheckedRequests":{},"requestsWithProblems":{},"checkedItems":{},"itemsWithProblems":{},"unknownFields":{},"reservedFields":{},"typeMismatches":{}}})",
      counters.checked_requests, counters.unchecked_requests, counters.requests_with_problems,
      counters.items_checked, counters.items_with_problems, counters.unknown_fields,
      counters.reserved_fields, counters.type_mismatches);
}

}  // namespace

std::string FormatTimeMs(std::int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     unix_ms % 1000);
}

Response AdminApi::Handle(const Request& request, std::string_view name,
                          const QueryParams& params) {
  const std::string& method = request.method;
  if (name == "items") return method == "GET" ? Items(params) : MethodNotAllowed("GET");
  if (name == "requests") return method == "GET" ? Requests(params) : MethodNotAllowed("GET");
  if (name == "stats") return method == "GET" ? Stats() : MethodNotAllowed("GET");
  if (name == "faults") return Faults(request);
  if (name == "redirect") return Redirect(request);
  if (name == "configurations") {
    return method == "GET" ? Configurations(params) : MethodNotAllowed("GET");
  }
  if (name == "reset") return method == "POST" ? Reset() : MethodNotAllowed("POST");
  return ErrorResponse(404, "NotFound",
                       fmt::format("no admin endpoint /_mock/{}; known: items, requests, stats, "
                                   "faults, redirect, configurations, reset",
                                   name));
}

Response AdminApi::Items(const QueryParams& params) {
  std::optional<std::size_t> offset = SizeParam(params, "offset", 0, 999999999);
  std::optional<std::size_t> limit = SizeParam(params, "limit", kDefaultLimit, kMaxLimit);
  if (!offset || !limit) {
    return ErrorResponse(
        400, "InvalidParameter",
        fmt::format("offset and limit must be integers; limit at most {}", kMaxLimit));
  }
  const std::string* meta = FindParam(params, "meta");
  if (meta != nullptr && *meta != "true" && *meta != "false") {
    return ErrorResponse(400, "InvalidParameter", "meta must be true or false");
  }
  const std::string* data_type = FindParam(params, "dataType");
  std::string_view type = data_type ? std::string_view(*data_type) : std::string_view();
  std::uint64_t total = 0;
  std::string error;
  std::string json;
  if (meta != nullptr && *meta == "true") {
    std::vector<StoredItem> items;
    if (!store_.ItemsWithMeta(type, *offset, *limit, &items, &total, &error)) {
      return Internal(error);
    }
    json = fmt::format("{{\"count\":{},\"items\":[", total);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const StoredItem& item = items[i];
      if (i > 0) json += ',';
      // The item text is compact JSON that mockcloud wrote itself, so it goes in as it is.
      json += fmt::format(
          R"({{"item":{},"dataType":{},"ipName":{},"requestId":{},"resourceId":{},"time":"{}"}})",
          item.text, codec::JsonString(item.data_type), codec::JsonString(item.ip_name),
          codec::JsonString(item.request_id), codec::JsonString(item.resource_id),
          FormatTimeMs(item.received_ms));
    }
  } else {
    std::vector<std::string> items;
    if (!store_.Items(type, *offset, *limit, &items, &total, &error)) return Internal(error);
    json = fmt::format("{{\"count\":{},\"items\":[", total);
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i > 0) json += ',';
      json += items[i];
    }
  }
  json += ']';
  if (!store_.keeps_items()) {
    // `count` still says how many arrived, so that a benchmark can check nothing was lost.
    json +=
        ",\"discarded\":true,\"message\":\"mockcloud runs with --discard: items are counted, "
        "not kept\"";
  }
  json += '}';
  return JsonResponse(200, std::move(json));
}

Response AdminApi::Requests(const QueryParams& params) {
  std::optional<std::size_t> offset = SizeParam(params, "offset", 0, 999999999);
  std::optional<std::size_t> limit = SizeParam(params, "limit", kDefaultLimit, kMaxLimit);
  if (!offset || !limit) {
    return ErrorResponse(
        400, "InvalidParameter",
        fmt::format("offset and limit must be integers; limit at most {}", kMaxLimit));
  }
  std::vector<UploadRecord> records;
  std::uint64_t total = 0;
  std::string error;
  if (!store_.Requests(*offset, *limit, &records, &total, &error)) return Internal(error);
  std::string json = fmt::format("{{\"count\":{},\"requests\":[", total);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const UploadRecord& record = records[i];
    if (i > 0) json += ',';
    // headers_json is an object mockcloud wrote itself (HeadersJson), so it goes in as it is.
    json += fmt::format(
        R"({{"requestId":{},"endpoint":{},"dataType":{},"ipName":{},"resourceId":{},"itemCount":{},"status":{},"duplicate":{},"time":"{}","message":{},"bytes":{},"compressedBytes":{},"headers":{},"schema":{}}})",
        codec::JsonString(record.request_id), codec::JsonString(record.endpoint),
        codec::JsonString(record.data_type), codec::JsonString(record.ip_name),
        codec::JsonString(record.resource_id), record.item_count, record.status,
        record.duplicate ? "true" : "false", FormatTimeMs(record.received_ms),
        codec::JsonString(record.message), record.json_bytes, record.body_bytes,
        record.headers_json, record.schema_json);
  }
  json += "]}";
  return JsonResponse(200, std::move(json));
}

Response AdminApi::Stats() {
  StoreStats stats;
  std::string error;
  if (!store_.Stats(&stats, &error)) return Internal(error);
  std::string per_type = "{";
  for (std::size_t i = 0; i < stats.items_per_data_type.size(); ++i) {
    if (i > 0) per_type += ',';
    per_type += codec::JsonString(stats.items_per_data_type[i].first);
    per_type += fmt::format(":{}", stats.items_per_data_type[i].second);
  }
  per_type += '}';
  std::string statuses = "{";
  std::map<int, std::uint64_t> counted = counters_.control_plane_statuses;
  // Always present, so that a test reads 0 rather than a missing member.
  for (int status : {200, 304, 421}) counted.try_emplace(status, 0);
  for (const auto& [status, count] : counted) {
    if (statuses.size() > 1) statuses += ',';
    statuses += fmt::format("\"{}\":{}", status, count);
  }
  statuses += '}';
  std::string last_etags = "[";
  for (const std::string& etag : counters_.last_if_none_match) {
    if (last_etags.size() > 1) last_etags += ',';
    codec::AppendJsonString(&last_etags, etag);
  }
  last_etags += ']';
  std::string last_path = counters_.last_control_plane_path.empty()
                              ? std::string("null")
                              : codec::JsonString(counters_.last_control_plane_path);
  return JsonResponse(
      200,
      fmt::format(
          R"({{"store":"{}","items":{},"requests":{},"accepted":{},"rejected":{},"duplicates":{},"bytes":{},"compressedBytes":{},"dataTypes":{},"tokensIssued":{},"controlPlaneCalls":{},"controlPlaneDirectCalls":{},"controlPlaneDceCalls":{},"controlPlaneRedirects":{},"controlPlaneOk":{},"controlPlaneNotModified":{},"controlPlaneStatuses":{},"lastControlPlanePath":{},"lastIfNoneMatch":{},"redirectToDce":{},"faultsFired":{},"schema":{}}})",
          StoreKindName(store_.kind()), stats.items, stats.requests, stats.accepted,
          stats.requests - stats.accepted, stats.duplicates, stats.json_bytes, stats.body_bytes,
          per_type, tokens_.issued(), counters_.control_plane_calls,
          counters_.control_plane_direct_calls, counters_.control_plane_dce_calls,
          counters_.control_plane_redirects, counted[200], counted[304], statuses, last_path,
          last_etags, settings_.redirect_to_dce ? "true" : "false", faults_.fired(),
          SchemaCountersJson(counters_.schema)));
}

Response AdminApi::Faults(const Request& request) {
  if (request.method == "GET") return JsonResponse(200, faults_.ToJson());
  if (request.method == "DELETE") {
    return JsonResponse(200, fmt::format("{{\"cleared\":{}}}", faults_.Clear()));
  }
  if (request.method != "POST") return MethodNotAllowed("GET, POST, DELETE");
  rapidjson::Document document;
  std::string error;
  Fault fault;
  if (!codec::ParseJson(request.body, &document, &error, {.max_depth = 8}) ||
      !ParseFault(document, &fault, &error)) {
    return ErrorResponse(400, "InvalidFault", error);
  }
  return JsonResponse(200, FaultToJson(faults_.Add(fault)));
}

Response AdminApi::Redirect(const Request& request) {
  if (request.method == "POST") {
    rapidjson::Document document;
    std::string error;
    if (!codec::ParseJson(request.body, &document, &error, {.max_depth = 4})) {
      return ErrorResponse(400, "InvalidRedirect", error);
    }
    if (!document.IsObject() || document.MemberCount() != 1 || !document.HasMember("enabled") ||
        !document["enabled"].IsBool()) {
      return ErrorResponse(400, "InvalidRedirect",
                           "expected {\"enabled\":true} or {\"enabled\":false} and nothing else");
    }
    settings_.redirect_to_dce = document["enabled"].GetBool();
  } else if (request.method != "GET") {
    return MethodNotAllowed("GET, POST");
  }
  std::string json =
      fmt::format("{{\"enabled\":{},\"endpoint\":", settings_.redirect_to_dce ? "true" : "false");
  codec::AppendJsonString(&json, DceUrl(base_url_));
  json += '}';
  return JsonResponse(200, std::move(json));
}

Response AdminApi::Configurations(const QueryParams& params) {
  std::string resource_id = counters_.last_agent_resource_id;
  if (const std::string* given = FindParam(params, "resourceId")) {
    // The same rules as a request path: /subscriptions/…/providers/{namespace}/{type}/{name}.
    std::optional<std::vector<std::string>> segments;
    if (given->find('%') == std::string::npos) {  // already decoded once, by ParseQuery
      segments = SplitPath(*given + "/agentConfigurations");
    }
    Route route;
    if (segments) route = Route::Of(*segments);
    if (route.kind != Route::Kind::kControl || route.dce) {
      return ErrorResponse(400, "InvalidParameter",
                           "resourceId must be /subscriptions/{sub}/resourceGroups/{rg}/providers/"
                           "{namespace}/{type}/{name} with names of letters, digits and \"._-()\"");
    }
    resource_id = route.agent_resource_id;
  }
  if (resource_id.empty()) {
    return ErrorResponse(400, "InvalidParameter",
                         "no agentConfigurations request yet: pass ?resourceId=/subscriptions/…");
  }
  std::vector<ServedConfiguration> served;
  std::string error;
  if (!control_.Load(resource_id, base_url_, &served, &error)) return Internal(error);
  std::string json = "{\"resourceId\":";
  codec::AppendJsonString(&json, resource_id);
  json += ",\"configurations\":[";
  for (std::size_t i = 0; i < served.size(); ++i) {
    if (i > 0) json += ',';
    json += "{\"configurationId\":";
    codec::AppendJsonString(&json, served[i].configuration_id);
    json += ",\"eTag\":";
    codec::AppendJsonString(&json, served[i].etag);
    json += ",\"source\":";
    codec::AppendJsonString(&json, served[i].source);
    json += '}';
  }
  json += "]}";
  return JsonResponse(200, std::move(json));
}

Response AdminApi::Reset() {
  std::string error;
  if (!store_.Clear(&error)) return Internal(error);
  std::size_t faults = faults_.Clear();
  faults_.ResetCounter();
  tokens_.ResetCounter();
  counters_ = ServiceCounters{};
  settings_ = initial_settings_;
  return JsonResponse(200, fmt::format("{{\"reset\":true,\"faultsCleared\":{}}}", faults));
}

}  // namespace mockcloud
