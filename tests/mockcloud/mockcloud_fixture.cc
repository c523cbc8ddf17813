#include "mockcloud/mockcloud_fixture.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/wait.h"

#ifndef MOCKCLOUD_BINARY
#error "MOCKCLOUD_BINARY must name the mockcloud executable (tests/CMakeLists.txt sets it)"
#endif

namespace testing {
namespace {

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0f];
    }
  }
  return out;
}

// The port mockcloud wrote, once the file is complete (it is written atomically).
std::optional<std::uint16_t> ReadPort(const std::filesystem::path& path) {
  std::ifstream in(path);
  long port = 0;
  if (!(in >> port) || port <= 0 || port > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

}  // namespace

MockCloudProcess::MockCloudProcess() : MockCloudProcess(Options{}) {}

MockCloudProcess::MockCloudProcess(Options options) : options_(std::move(options)) { Start(0); }

MockCloudProcess::~MockCloudProcess() {
  if (!child_) return;
  int status = Stop();
  // A destructor cannot fail the test, but a mockcloud that did not exit cleanly (a crash, a
  // sanitizer report, a leak) must not go unnoticed.
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "MockCloudProcess: mockcloud did not exit cleanly (wait status %d)\n%s\n",
                 status, Log().c_str());
  }
}

void MockCloudProcess::Start(std::uint16_t port) {
  std::vector<std::string> argv = {MOCKCLOUD_BINARY, "--state-dir", state_dir().string(), "--port",
                                   std::to_string(port)};
  if (options_.dcr_dir) {
    argv.push_back("--dcr-dir");
    argv.push_back(options_.dcr_dir->string());
  }
  if (options_.token_max_age_seconds > 0) {
    argv.push_back("--token-max-age");
    argv.push_back(std::to_string(options_.token_max_age_seconds));
  }
  if (options_.redirect_to_dce) argv.push_back("--redirect-to-dce");
  if (options_.memory) argv.push_back("--memory");
  if (options_.discard) argv.push_back("--discard");
  if (options_.seed) {
    argv.push_back("--seed");
    argv.push_back(std::to_string(*options_.seed));
  }
  if (options_.threads > 0) {
    argv.push_back("--threads");
    argv.push_back(std::to_string(options_.threads));
  }
  if (options_.require_client_cert) argv.push_back("--require-client-cert");
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());

  std::filesystem::path port_file = state_dir() / "port";
  std::error_code ignored;
  std::filesystem::remove(port_file, ignored);
  child_ = ChildProcess::Start(argv, dir_ / "mockcloud.log");
  std::optional<std::uint16_t> bound;
  bool up = WaitUntil([&] {
    bound = ReadPort(port_file);
    return bound.has_value() || !child_->Running();
  });
  if (!up || !bound) Fail(up ? "mockcloud exited before listening" : "mockcloud did not start");
  port_ = *bound;
  base_url_ = "https://127.0.0.1:" + std::to_string(port_);
  if (!client_) {
    httpclient::CurlHttpClientOptions client_options;
    client_options.ca_file = ca_file();
    if (options_.require_client_cert) {
      client_options.client_cert = client_cert_file();
      client_options.client_key = client_key_file();
    }
    client_ = std::make_unique<httpclient::CurlHttpClient>(client_options);
  }
}

int MockCloudProcess::Stop() {
  if (!child_) return 0;
  child_->Signal(SIGTERM);
  if (!child_->WaitExit(std::chrono::seconds(10))) {
    child_->Signal(SIGKILL);
    child_->WaitExit(std::chrono::seconds(10));
  }
  int status = child_->wait_status();
  child_.reset();
  return status;
}

void MockCloudProcess::Restart() {
  Stop();
  // The same port, so that whatever the test pointed at mockcloud keeps working.
  Start(port_);
}

std::string MockCloudProcess::Log() const {
  std::ifstream in(dir_ / "mockcloud.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void MockCloudProcess::Fail(const std::string& what) const {
  throw std::runtime_error("MockCloudProcess: " + what + "\n--- mockcloud log ---\n" + Log());
}

base::HttpResponse MockCloudProcess::Send(std::string method, std::string_view path,
                                          std::string body, std::vector<base::HttpHeader> headers) {
  base::HttpRequest request;
  request.method = std::move(method);
  request.url = base_url_ + std::string(path);
  request.body = std::move(body);
  request.headers = std::move(headers);
  request.max_response_bytes = 512 * 1024 * 1024;
  base::HttpResponse response;
  std::error_code ec = client_->Send(request, &response);
  if (ec) {
    Fail(request.method + " " + request.url + ": " + ec.message() + " (" +
         client_->last_error_detail() + ")");
  }
  return response;
}

std::string MockCloudProcess::IngestionToken(std::string_view configuration_id) {
  std::string path =
      "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm-1"
      "/agentConfigurations/" +
      UrlEncode(configuration_id) + "/channels/ods-1/issueIngestionToken";
  base::HttpResponse response = Send("GET", path);
  rapidjson::Document body;
  body.Parse(response.body.data(), response.body.size());
  if (response.status != 200 || body.HasParseError() || !body.IsObject() ||
      !body.HasMember("ingestionAuthToken") || !body["ingestionAuthToken"].IsString()) {
    Fail("GET " + path + " answered " + std::to_string(response.status) + ": " + response.body);
  }
  return body["ingestionAuthToken"].GetString();
}

rapidjson::Document MockCloudProcess::AdminJson(std::string method, std::string_view path,
                                                std::string body) {
  std::vector<base::HttpHeader> headers;
  if (!body.empty()) headers.push_back({"Content-Type", "application/json"});
  std::string what = method + " " + std::string(path);
  base::HttpResponse response = Send(std::move(method), path, std::move(body), std::move(headers));
  if (response.status != 200) {
    Fail(what + " answered " + std::to_string(response.status) + ": " + response.body);
  }
  rapidjson::Document document;
  document.Parse(response.body.data(), response.body.size());
  if (document.HasParseError()) Fail(what + " answered invalid JSON: " + response.body);
  return document;
}

rapidjson::Document MockCloudProcess::ItemsDocument(std::string_view data_type) {
  std::string path = "/_mock/items?limit=1000000";
  if (!data_type.empty()) path += "&dataType=" + UrlEncode(data_type);
  rapidjson::Document page = AdminJson("GET", path);
  rapidjson::Document items;
  items.CopyFrom(page["items"], items.GetAllocator());
  return items;
}

std::vector<std::string> MockCloudProcess::Items(std::string_view data_type) {
  rapidjson::Document items = ItemsDocument(data_type);
  std::vector<std::string> texts;
  for (const rapidjson::Value& item : items.GetArray()) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    item.Accept(writer);
    texts.emplace_back(buffer.GetString(), buffer.GetSize());
  }
  return texts;
}

std::size_t MockCloudProcess::ItemCount(std::string_view data_type) {
  std::string path = "/_mock/items?limit=0";
  if (!data_type.empty()) path += "&dataType=" + UrlEncode(data_type);
  return AdminJson("GET", path)["count"].GetUint64();
}

rapidjson::Document MockCloudProcess::Stats() { return AdminJson("GET", "/_mock/stats"); }

rapidjson::Document MockCloudProcess::Requests() { return AdminJson("GET", "/_mock/requests"); }

MockCloudProcess::ControlPlaneStats MockCloudProcess::ControlStats() {
  rapidjson::Document stats = Stats();
  // A mockcloud without these members is older than this fixture: say so rather than crash.
  auto member = [&](const char* name, bool (rapidjson::Value::*is)() const) -> rapidjson::Value& {
    if (!stats.HasMember(name) || !(stats[name].*is)()) {
      Fail(std::string("GET /_mock/stats lacks \"") + name + "\" of the expected type");
    }
    return stats[name];
  };
  ControlPlaneStats out;
  out.calls = member("controlPlaneCalls", &rapidjson::Value::IsUint64).GetUint64();
  out.direct_calls = member("controlPlaneDirectCalls", &rapidjson::Value::IsUint64).GetUint64();
  out.dce_calls = member("controlPlaneDceCalls", &rapidjson::Value::IsUint64).GetUint64();
  out.redirects = member("controlPlaneRedirects", &rapidjson::Value::IsUint64).GetUint64();
  out.ok = member("controlPlaneOk", &rapidjson::Value::IsUint64).GetUint64();
  out.not_modified = member("controlPlaneNotModified", &rapidjson::Value::IsUint64).GetUint64();
  member("controlPlaneStatuses", &rapidjson::Value::IsObject);
  member("lastIfNoneMatch", &rapidjson::Value::IsArray);
  for (const auto& status : stats["controlPlaneStatuses"].GetObject()) {
    if (!status.value.IsUint64())
      Fail("GET /_mock/stats: a controlPlaneStatuses count is not a number");
    out.statuses[std::stoi(status.name.GetString())] = status.value.GetUint64();
  }
  if (stats.HasMember("lastControlPlanePath") && stats["lastControlPlanePath"].IsString()) {
    out.last_path = stats["lastControlPlanePath"].GetString();
  }
  for (const rapidjson::Value& etag : stats["lastIfNoneMatch"].GetArray()) {
    out.last_if_none_match.emplace_back(etag.GetString(), etag.GetStringLength());
  }
  return out;
}

rapidjson::Document MockCloudProcess::Configurations(std::string_view resource_id) {
  std::string path = "/_mock/configurations";
  if (!resource_id.empty()) path += "?resourceId=" + UrlEncode(resource_id);
  rapidjson::Document listed = AdminJson("GET", path);
  if (!listed.IsObject() || !listed.HasMember("configurations") ||
      !listed["configurations"].IsArray()) {
    Fail("GET " + path + " answered no \"configurations\" array");
  }
  return listed;
}

std::vector<MockCloudProcess::ServedConfiguration> MockCloudProcess::ServedConfigurations(
    std::string_view resource_id) {
  rapidjson::Document listed = Configurations(resource_id);
  std::vector<ServedConfiguration> out;
  for (const rapidjson::Value& entry : listed["configurations"].GetArray()) {
    out.push_back({entry["configurationId"].GetString(), entry["eTag"].GetString(),
                   entry["source"].GetString()});
  }
  return out;
}

void MockCloudProcess::SetRedirect(bool enabled) {
  rapidjson::Document answer = AdminJson("POST", "/_mock/redirect",
                                         enabled ? R"({"enabled":true})" : R"({"enabled":false})");
  if (answer["enabled"].GetBool() != enabled) Fail("POST /_mock/redirect did not take effect");
}

bool MockCloudProcess::RedirectEnabled() {
  return AdminJson("GET", "/_mock/redirect")["enabled"].GetBool();
}

void MockCloudProcess::SetFault(const Fault& fault) {
  std::ostringstream body;
  body << "{\"target\":\"" << fault.target << "\",\"status\":" << fault.status
       << ",\"count\":" << fault.count << ",\"latencyMs\":" << fault.latency_ms
       << ",\"probability\":" << fault.probability;
  if (fault.retry_after >= 0) body << ",\"retryAfter\":" << fault.retry_after;
  if (fault.retry_after_date) body << ",\"retryAfterDate\":true";
  body << "}";
  AdminJson("POST", "/_mock/faults", body.str());
}

void MockCloudProcess::ClearFaults() { AdminJson("DELETE", "/_mock/faults"); }

void MockCloudProcess::Reset() { AdminJson("POST", "/_mock/reset"); }

}  // namespace testing
