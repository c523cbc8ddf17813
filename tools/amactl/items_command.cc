// amactl items: waits until mockcloud holds N items (of a DataType) and prints them.

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/args.h"
#include "codec/json_parse.h"
#include "commands.h"
#include "httpclient/curl_http_client.h"
#include "rapidjson/document.h"

namespace amactl {
namespace {

constexpr char kDefaultUrl[] = "https://127.0.0.1:7443";
constexpr char kDefaultCa[] = "mockcloud-state/ca.pem";
constexpr std::uint64_t kMaxItems = 1000000;  // mockcloud's largest page

std::string Help() {
  return fmt::format(
      "Usage: amactl items [--data-type DATATYPE] [--count N] [options]\n\n"
      "Asks mockcloud's admin API how many items have arrived (of one DataType, or of all) and\n"
      "waits until there are at least N: exit 0 then, exit 1 when --timeout passes first. Makes\n"
      "a test's assertion one line in any language:\n"
      "  amactl items --data-type CONFIG_CHANGE_BLOB_V2 --count 3 --timeout 30 --json\n\n"
      "Options:\n"
      "  --data-type DATATYPE     count only items of this DataType (default: every DataType)\n"
      "  --count N                how many to wait for (default 1; 0 = do not wait)\n"
      "  --timeout SECONDS        how long to wait (default 30)\n"
      "  --json                   print {{\"count\":N,\"items\":[…]}} as mockcloud holds them,\n"
      "                           oldest first (default: one line saying how many)\n"
      "  --meta                   with --json, each item with its dataType, ipName, request id\n"
      "                           and received time\n"
      "  --mockcloud URL          mockcloud's address (default $MOCKCLOUD_URL, else {})\n"
      "  --ca-file FILE           mockcloud's CA (default $MOCKCLOUD_CA, else {})\n",
      kDefaultUrl, kDefaultCa);
}

std::string FromEnvironment(const char* variable, const char* fallback) {
  const char* value = std::getenv(variable);
  return value != nullptr && *value != '\0' ? value : fallback;
}

bool IsDataTypeText(const std::string& text) {
  if (text.empty() || text.size() > 256) return false;
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// One GET of /_mock/items; the parsed body, or false with `why`.
bool GetItems(httpclient::CurlHttpClient& http, const std::string& url, rapidjson::Document* body,
              std::string* text, std::string* why) {
  base::HttpRequest request;
  request.url = url;
  request.timeout = std::chrono::seconds(30);
  request.max_response_bytes = 1024ull * 1024 * 1024;
  base::HttpResponse response;
  if (std::error_code ec = http.Send(request, &response)) {
    *why = fmt::format("{} failed: {}{}{}", url, ec.message(),
                       response.error_detail.empty() ? "" : ": ", response.error_detail);
    return false;
  }
  std::string error;
  if (response.status != 200) {
    *why = fmt::format("{} answered {}: {}", url, response.status, response.body);
    return false;
  }
  if (!codec::ParseJson(response.body, body, &error) || !body->IsObject() ||
      !body->HasMember("count") || !(*body)["count"].IsUint64()) {
    *why = fmt::format("{} did not answer mockcloud's {{\"count\":N,…}}: {}", url, error);
    return false;
  }
  *text = std::move(response.body);
  return true;
}

}  // namespace

int ItemsCommand(const std::vector<std::string>& argv, std::FILE* out, std::FILE* err) {
  base::ArgReader args(argv);
  std::string data_type;
  std::int64_t count = 1;
  std::chrono::milliseconds timeout(30000);
  bool json = false, meta = false;
  std::string url = FromEnvironment("MOCKCLOUD_URL", kDefaultUrl);
  std::string ca_file = FromEnvironment("MOCKCLOUD_CA", kDefaultCa);
  while (!args.Done()) {
    if (args.TakeFlag("--help")) {
      std::fputs(Help().c_str(), out);
      return 0;
    }
    if (args.TakeOption("--data-type", &data_type)) continue;
    if (args.TakeNumber("--count", 0, static_cast<std::int64_t>(kMaxItems), &count)) continue;
    if (args.TakeSeconds("--timeout", 0, 86400, &timeout)) continue;
    if (args.TakeFlag("--json")) {
      json = true;
      continue;
    }
    if (args.TakeFlag("--meta")) {
      meta = true;
      continue;
    }
    if (args.TakeOption("--mockcloud", &url)) continue;
    if (args.TakeOption("--ca-file", &ca_file)) continue;
    args.RejectCurrent();
  }
  if (args.error().empty() && !data_type.empty() && !IsDataTypeText(data_type)) {
    std::fprintf(err,
                 "amactl items: '%s' cannot be a DataType (1-256 characters of A-Z a-z 0-9 . _ "
                 "-)\n",
                 data_type.c_str());
    return 2;
  }
  if (!args.error().empty()) {
    std::fprintf(err, "amactl items: %s\n%s", args.error().c_str(), Help().c_str());
    return 2;
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  std::error_code exists_error;
  if (url.rfind("https://", 0) == 0 && !std::filesystem::exists(ca_file, exists_error)) {
    std::fprintf(err,
                 "amactl items: mockcloud's CA %s does not exist: give --ca-file (its state "
                 "folder's ca.pem) or set MOCKCLOUD_CA (amactl sandbox env does)\n",
                 ca_file.c_str());
    return 2;
  }

  httpclient::CurlGlobal curl;
  httpclient::CurlHttpClient http(httpclient::CurlHttpClientOptions{.ca_file = ca_file});
  const std::string filter = data_type.empty() ? "" : "dataType=" + data_type + "&";
  const std::string what = data_type.empty() ? "items" : "items of " + data_type;
  const auto end = std::chrono::steady_clock::now() + timeout;
  std::uint64_t arrived = 0;
  std::string why;
  for (;;) {
    rapidjson::Document body;
    std::string text;
    if (GetItems(http, fmt::format("{}/_mock/items?{}limit=0", url, filter), &body, &text, &why)) {
      arrived = body["count"].GetUint64();
      why.clear();
      if (arrived >= static_cast<std::uint64_t>(count)) break;
    }
    if (std::chrono::steady_clock::now() >= end) {
      std::fprintf(err, "amactl items: %llu of %lld %s arrived in %.1f s%s%s\n",
                   static_cast<unsigned long long>(arrived), static_cast<long long>(count),
                   what.c_str(), static_cast<double>(timeout.count()) / 1000.0,
                   why.empty() ? "" : "; last try: ", why.c_str());
      if (why.empty()) {
        std::fputs(
            "  (records still in the host? 'amactl status' shows each stream's backlog and "
            "last upload error)\n",
            err);
      }
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!json) {
    std::fprintf(out, "%llu %s at %s\n", static_cast<unsigned long long>(arrived), what.c_str(),
                 url.c_str());
    return 0;
  }
  rapidjson::Document body;
  std::string text;
  const std::uint64_t limit =
      std::min<std::uint64_t>(std::max<std::uint64_t>(arrived, 1), kMaxItems);
  if (!GetItems(
          http,
          fmt::format("{}/_mock/items?{}limit={}{}", url, filter, limit, meta ? "&meta=true" : ""),
          &body, &text, &why)) {
    std::fprintf(err, "amactl items: %s\n", why.c_str());
    return 1;
  }
  std::fprintf(out, "%s\n", text.c_str());
  return 0;
}

}  // namespace amactl
