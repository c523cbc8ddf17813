#include "mockcloud/mock_cloud.h"

#include <fmt/format.h>

#include <ctime>
#include <utility>

#include "codec/json_text.h"
#include "mockcloud/url.h"
#include "mockcloud/web_page.h"

namespace mockcloud {
namespace {

constexpr std::string_view kOdsApiVersion = "2016-04-01";
// The `message` of an upload refused by an injected fault (logged by the fault, not as a refusal).
constexpr std::string_view kInjectedFault = "injected fault";

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Response MethodNotAllowed(std::string_view allowed) {
  Response response =
      ErrorResponse(405, "MethodNotAllowed", fmt::format("this endpoint takes {}", allowed));
  response.AddHeader("Allow", std::string(allowed));
  return response;
}

std::string HeaderOr(const Request& request, std::string_view name) {
  const std::string* value = request.FindHeader(name);
  return value ? *value : std::string();
}

// Each thread decodes upload bodies into its own buffer, kept from one upload to the next so that
// a steady stream of 3 MB bodies does not allocate 3 MB each time; one that grew past this
// (a rare huge body) is given back.
constexpr std::size_t kMaxKeptScratch = 32 * 1024 * 1024;

std::string* Scratch() {
  thread_local std::string scratch;
  return &scratch;
}

void TrimScratch(std::string* scratch) {
  if (scratch->capacity() > kMaxKeptScratch) std::string().swap(*scratch);
}

// An IMF-fixdate ("Wed, 02 Dec 2026 07:50:13 GMT") at least `seconds` from now: rounded up to
// the whole second, so that a client waiting until then waits at least that long.
std::string HttpDate(int seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::int64_t ms = NowMs() + std::int64_t{seconds} * 1000;
  std::time_t at = static_cast<std::time_t>((ms + 999) / 1000);
  std::tm utc{};
  gmtime_r(&at, &utc);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[utc.tm_wday], utc.tm_mday,
                     kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

// A field name from a client as it may go into a log line: as it is when it holds no control
// character, else quoted and escaped, so that a name cannot forge a line of its own.
std::string Printable(std::string_view name) {
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '"') {
      return codec::JsonString(name);
    }
  }
  return std::string(name);
}

}  // namespace

MockCloud::MockCloud(MockCloudOptions options, ItemStore& store, base::Logger& logger)
    : options_(std::move(options)),
      store_(store),
      logger_(logger),
      capture_(store.keeps_items() ? ItemCapture::kTexts : ItemCapture::kCountOnly),
      random_(options_.seed ? *options_.seed : std::random_device{}()),
      tokens_(options_.token_max_age),
      settings_{.redirect_to_dce = options_.redirect_to_dce},
      control_(options_.dcr_dir, logger),
      admin_(store, faults_, tokens_, counters_, settings_, control_, base_url_) {}

Reply MockCloud::Handle(const Request& request) {
  std::optional<std::vector<std::string>> segments = SplitPath(request.path);
  std::optional<QueryParams> params = ParseQuery(request.query);
  if (!segments || !params) {
    return {ErrorResponse(400, "InvalidUrl", "malformed percent-encoding in the request-target")};
  }
  Route route = Route::Of(*segments);
  std::optional<FaultTarget> target;
  switch (route.kind) {
    case Route::Kind::kNone:
      return {ErrorResponse(404, "NotFound",
                            fmt::format("no endpoint at {}; run mockcloud --help for the list",
                                        codec::JsonString(request.path)))};
    case Route::Kind::kBadPath:
      return {ErrorResponse(400, "InvalidResourceName",
                            "a name in the path holds characters other than letters, digits "
                            "and \"._-()\"")};
    case Route::Kind::kPing:
      if (request.method != "GET") return {MethodNotAllowed("GET")};
      {
        Response healthy;
        healthy.AddHeader("Content-Type", "text/plain; charset=utf-8");
        healthy.body = "Healthy";
        return {std::move(healthy)};
      }
    case Route::Kind::kPage:
      return {ServeWebPage(request, route.page_file)};
    case Route::Kind::kAdmin: {
      if (request.method != "GET" && FromAnotherSite(request, base_url_)) {
        return {ErrorResponse(403, "CrossSiteRequest",
                              "the admin API takes changes from mockcloud's own page and from "
                              "clients that are not browsers, not from other web sites")};
      }
      base::MutexLock lock(&mutex_);
      Reply reply{admin_.Handle(request, route.admin_name, *params)};
      // A reset starts the seeded sequence of draws over, so that a test can replay it.
      if (route.admin_name == "reset" && reply.response.status == 200 && options_.seed) {
        random_.seed(*options_.seed);
      }
      return reply;
    }
    case Route::Kind::kControl:
      target = FaultTarget::kControl;
      break;
    case Route::Kind::kToken:
      target = FaultTarget::kToken;
      break;
    case Route::Kind::kOds:
      target = FaultTarget::kOds;
      break;
    case Route::Kind::kLogs:
      target = FaultTarget::kLogs;
      break;
  }
  bool upload = route.kind == Route::Kind::kOds || route.kind == Route::Kind::kLogs;
  if (request.method != (upload ? "POST" : "GET")) {
    return {MethodNotAllowed(upload ? "POST" : "GET")};
  }
  bool control = route.kind == Route::Kind::kControl;
  std::optional<Fault> fault;
  {
    base::MutexLock lock(&mutex_);
    if (control) CountControlRequest(request, route);
    // Drawn only when a rule could apply, so that with --seed the draws (and the faults) depend
    // only on the requests that faults target.
    if (faults_.Applies(*target)) {
      fault = faults_.Next(*target, std::uniform_real_distribution<double>(0.0, 1.0)(random_));
    }
  }

  Reply reply;
  if (fault) {
    reply.delay = std::chrono::milliseconds(fault->latency_ms);
    if (fault->status != 0) {
      reply.response = HandleFault(request, route, *fault);
      if (control) {
        base::MutexLock lock(&mutex_);
        CountControlAnswer(reply.response);
      }
      return reply;
    }
  }
  switch (route.kind) {
    case Route::Kind::kControl: {
      base::MutexLock lock(&mutex_);
      reply.response =
          settings_.redirect_to_dce && !route.dce ? Redirect() : HandleControl(request, route);
      CountControlAnswer(reply.response);
      break;
    }
    case Route::Kind::kToken: {
      base::MutexLock lock(&mutex_);
      reply.response = HandleToken(route);
      break;
    }
    case Route::Kind::kOds:
      reply.response = HandleOds(request, *params);
      break;
    default:
      reply.response = HandleLogs(request, route, *params);
      break;
  }
  return reply;
}

Response MockCloud::HandleFault(const Request& request, const Route& route, const Fault& fault) {
  logger_.Info("faults", "fault {} answers {} {} with {}", fault.id, request.method, request.path,
               fault.status);
  Response response = ErrorResponse(fault.status, "InjectedFault",
                                    fmt::format("injected by mockcloud fault {} (target {})",
                                                fault.id, FaultTargetName(fault.target)));
  std::string retry_after;
  if (fault.retry_after) {
    retry_after =
        fault.retry_after_date ? HttpDate(*fault.retry_after) : std::to_string(*fault.retry_after);
    response.AddHeader("Retry-After", retry_after);
  }
  if (route.kind != Route::Kind::kOds && route.kind != Route::Kind::kLogs) return response;
  // A faulted upload is still listed by /_mock/requests, so a test can count the retries.
  UploadRecord record = NewRecord(request, route.kind == Route::Kind::kOds ? "ods" : "logs");
  record.data_type = route.stream;
  record.status = fault.status;
  record.message = std::string(kInjectedFault);
  if (!retry_after.empty()) record.message += "; Retry-After: " + retry_after;
  return Finish(std::move(record), {}, std::move(response));
}

Response MockCloud::HandleControl(const Request& request, const Route& route) {
  return control_.Answer(route.agent_resource_id, request.FindHeaders("If-None-Match"), base_url_);
}

Response MockCloud::Redirect() {
  ++counters_.control_plane_redirects;
  std::string endpoint = DceUrl(base_url_);
  // The wording AMCS uses (docs/protocol.md §1-§2), so that a client logging it reads the
  // same as against Azure.
  Response response = ErrorResponse(
      421, "MisdirectedRequest",
      fmt::format("Agent configuration needs to be acquired from '{}' endpoint", endpoint));
  response.AddHeader("x-ms-agent-config-endpoint", std::move(endpoint));
  return response;
}

void MockCloud::CountControlRequest(const Request& request, const Route& route) {
  ++counters_.control_plane_calls;
  ++(route.dce ? counters_.control_plane_dce_calls : counters_.control_plane_direct_calls);
  counters_.last_control_plane_path = route.dce ? "dce" : "direct";
  counters_.last_if_none_match = ParseIfNoneMatch(request.FindHeaders("If-None-Match"));
  counters_.last_agent_resource_id = route.agent_resource_id;
}

void MockCloud::CountControlAnswer(const Response& response) {
  ++counters_.control_plane_statuses[response.status];
}

Response MockCloud::HandleToken(const Route& route) {
  std::string token =
      tokens_.Issue(route.configuration_id, route.channel_id, std::chrono::system_clock::now());
  std::string body = "{\"configurationId\":";
  codec::AppendJsonString(&body, route.configuration_id);
  body += ",\"ingestionAuthToken\":";
  codec::AppendJsonString(&body, token);
  body += '}';
  Response response = JsonResponse(200, std::move(body));
  response.AddHeader("Cache-Control", fmt::format("max-age={}", tokens_.lifetime().count()));
  return response;
}

UploadRecord MockCloud::NewRecord(const Request& request, std::string_view endpoint) {
  UploadRecord record;
  record.endpoint = std::string(endpoint);
  record.request_id =
      HeaderOr(request, endpoint == "ods" ? "X-Request-ID" : "x-ms-client-request-id");
  record.resource_id = HeaderOr(request, "x-ms-AzureResourceId");
  record.headers_json = HeadersJson(request.headers);
  record.body_bytes = request.body.size();
  return record;
}

std::optional<Response> MockCloud::CheckToken(const Request& request, UploadRecord* record) {
  TokenIssuer::Verdict verdict;
  {
    base::MutexLock lock(&mutex_);
    verdict = tokens_.Check(request.FindHeader("Authorization"), std::chrono::system_clock::now());
  }
  if (verdict == TokenIssuer::Verdict::kValid) return std::nullopt;
  std::string_view code = verdict == TokenIssuer::Verdict::kMissing   ? "MissingToken"
                          : verdict == TokenIssuer::Verdict::kExpired ? "ExpiredToken"
                                                                      : "InvalidToken";
  Response response = ErrorResponse(401, code, TokenIssuer::Describe(verdict));
  response.AddHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  record->status = 401;
  record->message = std::string(TokenIssuer::Describe(verdict));
  return response;
}

Response MockCloud::HandleOds(const Request& request, const QueryParams& params) {
  UploadRecord record = NewRecord(request, "ods");
  const std::string* version = FindParam(params, "api-version");
  if (version == nullptr || *version != kOdsApiVersion) {
    record.status = 400;
    record.message = version == nullptr
                         ? fmt::format("api-version is missing; use {}", kOdsApiVersion)
                         : fmt::format("api-version {} is not supported; use {}",
                                       codec::JsonString(*version), kOdsApiVersion);
    Response response =
        ErrorResponse(400, version ? "InvalidApiVersion" : "MissingApiVersion", record.message);
    return Finish(std::move(record), {}, std::move(response));
  }
  if (std::optional<Response> refused = CheckToken(request, &record)) {
    return Finish(std::move(record), {}, std::move(*refused));
  }
  OdsUpload upload;
  UploadError error;
  std::string* scratch = Scratch();
  bool parsed = ParseOdsUpload(request, options_.upload_limits, &upload, &error, capture_, scratch,
                               &options_.schemas);
  TrimScratch(scratch);
  record.json_bytes = upload.json_bytes;
  if (!parsed) {
    record.status = error.status;
    record.message = error.message;
    return Finish(std::move(record), {}, ErrorResponse(error.status, error.code, error.message));
  }
  record.data_type = upload.data_type;
  record.ip_name = upload.ip_name;
  record.status = 200;
  record.schema_json = SchemaResultJson(upload.schema);
  Response response;
  response.status = 200;
  return Finish(std::move(record), std::move(upload.items), std::move(response), &upload.schema);
}

Response MockCloud::HandleLogs(const Request& request, const Route& route,
                               const QueryParams& params) {
  UploadRecord record = NewRecord(request, "logs");
  record.data_type = route.stream;
  const std::string* version = FindParam(params, "api-version");
  if (version == nullptr || (*version != "2023-01-01" && *version != "2021-11-01-preview")) {
    record.status = 400;
    record.message = "api-version must be 2023-01-01 (or 2021-11-01-preview)";
    Response response =
        ErrorResponse(400, version ? "InvalidApiVersion" : "MissingApiVersion", record.message);
    return Finish(std::move(record), {}, std::move(response));
  }
  if (std::optional<Response> refused = CheckToken(request, &record)) {
    return Finish(std::move(record), {}, std::move(*refused));
  }
  LogsUpload upload;
  UploadError error;
  std::string* scratch = Scratch();
  bool parsed = ParseLogsUpload(request, options_.upload_limits, &upload, &error, capture_, scratch,
                                &options_.schemas, route.stream);
  TrimScratch(scratch);
  record.json_bytes = upload.json_bytes;
  if (!parsed) {
    record.status = error.status;
    record.message = error.message;
    return Finish(std::move(record), {}, ErrorResponse(error.status, error.code, error.message));
  }
  record.status = 204;
  record.schema_json = SchemaResultJson(upload.schema);
  Response response;
  response.status = 204;
  return Finish(std::move(record), std::move(upload.items), std::move(response), &upload.schema);
}

Response MockCloud::Finish(UploadRecord record, DataItems items, Response response,
                           const SchemaResult* schema) {
  record.received_ms = NowMs();
  bool accepted = record.status >= 200 && record.status < 300;
  if (!accepted) items = DataItems{};
  std::string error;
  if (!store_.Record(&record, std::move(items), &error)) {
    logger_.Error("store", "{}", error);
    return ErrorResponse(500, "InternalServerError", error);
  }
  if (!accepted && !record.message.starts_with(kInjectedFault)) {
    logger_.Warning(record.endpoint, "refused an upload (request id {}): {} {}",
                    record.request_id.empty() ? "none" : record.request_id, record.status,
                    record.message);
  } else if (record.duplicate) {
    logger_.Info(record.endpoint, "duplicate request id {}: answered {}, {} items not stored again",
                 record.request_id, record.status, record.item_count);
  } else if (accepted) {
    logger_.Debug(record.endpoint, "{} {} items of {} (request id {})",
                  store_.keeps_items() ? "stored" : "counted", record.item_count, record.data_type,
                  record.request_id);
    if (schema != nullptr) NoteSchema(record, *schema);
  }
  return response;
}

void MockCloud::NoteSchema(const UploadRecord& record, const SchemaResult& schema) {
  const SchemaReport& report = schema.report;
  bool problems = schema.checked && !report.clean();
  std::uint64_t left_out = 0;
  {
    base::MutexLock lock(&mutex_);
    SchemaCounters& counts = counters_.schema;
    if (!schema.checked) {
      ++counts.unchecked_requests;
      return;
    }
    ++counts.checked_requests;
    counts.items_checked += report.items;
    counts.items_with_problems += report.items_with_problems;
    counts.unknown_fields += report.unknown_field_count;
    counts.reserved_fields += report.reserved_field_count;
    counts.type_mismatches += report.mismatch_count;
    if (!problems) return;
    ++counts.requests_with_problems;
    // A client sending the same wrong field in every batch would otherwise write a warning per
    // request; /_mock/requests has every report.
    auto now = std::chrono::steady_clock::now();
    if (last_schema_warning_ && now - *last_schema_warning_ < kSchemaWarningInterval) {
      ++schema_warnings_left_out_;
      return;
    }
    last_schema_warning_ = now;
    left_out = std::exchange(schema_warnings_left_out_, 0);
  }
  auto list = [](const std::vector<std::string>& names) {
    std::string text;
    for (std::size_t i = 0; i < names.size() && i < 5; ++i) {
      text += (i > 0 ? ", " : "") + Printable(names[i]);
    }
    if (names.size() > 5) text += fmt::format(" and {} more", names.size() - 5);
    return text;
  };
  std::string found;
  if (!report.unknown_fields.empty()) found += "; no such column: " + list(report.unknown_fields);
  if (!report.reserved_fields.empty()) {
    found += "; set by Azure itself: " + list(report.reserved_fields);
  }
  for (std::size_t i = 0; i < report.type_mismatches.size() && i < 5; ++i) {
    const SchemaReport::Mismatch& mismatch = report.type_mismatches[i];
    found += fmt::format("; {} is {}, got {}", Printable(mismatch.field),
                         ColumnTypeName(mismatch.expected), mismatch.got);
  }
  if (report.type_mismatches.size() > 5) {
    found += fmt::format(" and {} more mismatches", report.type_mismatches.size() - 5);
  }
  logger_.Warning("schema", "{} (table {}, request id {}): {} of {} items do not fit{}{}",
                  record.data_type, report.table,
                  record.request_id.empty() ? "none" : record.request_id,
                  report.items_with_problems, report.items, found,
                  left_out > 0 ? fmt::format(" ({} more requests with problems since the last "
                                             "warning; /_mock/requests has each report)",
                                             left_out)
                               : std::string());
}

}  // namespace mockcloud
