#include "curl_exchange.h"

#include <cstdlib>

namespace httpclient {
namespace {

std::error_code MakeError(CURLcode code) { return std::error_code(code, CurlCategory()); }

}  // namespace

std::string NoProxyList(const std::string& configured, bool proxy_loopback) {
  std::string list = configured;
  if (list.empty()) {
    for (const char* name : {"no_proxy", "NO_PROXY"}) {
      const char* value = std::getenv(name);
      if (value != nullptr && *value != '\0') {
        list = value;
        break;
      }
    }
  }
  // Loopback must never go through a proxy, whatever the environment says, unless asked.
  if (!proxy_loopback)
    list = list.empty() ? "localhost,127.0.0.1,::1" : list + ",localhost,127.0.0.1,::1";
  return list;
}

CurlExchange::~CurlExchange() { curl_slist_free_all(headers_); }

std::size_t CurlExchange::WriteBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  std::size_t n = size * count;
  if (sink->body->size() + n > sink->limit) {
    sink->overflow = true;
    return 0;  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
  }
  sink->body->append(data, n);
  return n;
}

std::size_t CurlExchange::WriteHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* headers = static_cast<std::vector<base::HttpHeader>*>(user);
  std::size_t n = size * count;
  std::string_view line(data, n);
  // A new status line (after a 100 Continue, or a proxy's CONNECT answer) starts a new block.
  if (line.starts_with("HTTP/")) {
    headers->clear();
    return n;
  }
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  auto trim = [](std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || text.back() == ' ' ||
                             text.back() == '\t')) {
      text.remove_suffix(1);
    }
    return text;
  };
  headers->push_back(base::HttpHeader{std::string(trim(line.substr(0, colon))),
                                      std::string(trim(line.substr(colon + 1)))});
  return n;
}

std::error_code CurlExchange::Prepare(CURL* curl, const CurlHttpClientOptions& options,
                                      const base::HttpRequest& request) {
  // Options of the previous exchange go; the connection cache stays.
  curl_easy_reset(curl);
  response_ = base::HttpResponse{};
  sink_ = BodySink{&response_.body, request.max_response_bytes};
  error_buffer_[0] = '\0';
  curl_slist_free_all(headers_);
  headers_ = nullptr;
  auto append = [this](const std::string& line) {
    curl_slist* next = curl_slist_append(headers_, line.c_str());
    if (next == nullptr) return false;
    headers_ = next;
    return true;
  };
  for (const base::HttpHeader& header : request.headers) {
    if (!append(header.name + ": " + header.value)) return MakeError(CURLE_OUT_OF_MEMORY);
  }
  // No "Expect: 100-continue" round trip for large bodies.
  if (!append("Expect:")) return MakeError(CURLE_OUT_OF_MEMORY);
  no_proxy_ = NoProxyList(options.no_proxy, options.proxy_loopback);

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer_);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  if (!options.proxy.empty()) curl_easy_setopt(curl, CURLOPT_PROXY, options.proxy.c_str());
  curl_easy_setopt(curl, CURLOPT_NOPROXY, no_proxy_.c_str());
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
  if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  if (!options.client_cert.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, options.client_cert.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!options.client_key.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLKEY, options.client_key.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers_);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink_);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response_.headers);

  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty()) {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }
  return {};
}

std::error_code CurlExchange::Complete(CURL* curl, CURLcode code, base::HttpResponse* response) {
  if (code != CURLE_OK) {
    std::string detail = sink_.overflow
                             ? "response body larger than " + std::to_string(sink_.limit) + " bytes"
                             : std::string(error_buffer_);
    if (detail.empty()) detail = curl_easy_strerror(code);
    *response = base::HttpResponse{};
    response->error_detail = std::move(detail);
    return MakeError(code);
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response_.status = static_cast<int>(status);
  *response = std::move(response_);
  return {};
}

}  // namespace httpclient
