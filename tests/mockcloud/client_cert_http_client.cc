#include "mockcloud/client_cert_http_client.h"

#include <curl/curl.h>

#include <stdexcept>
#include <string_view>

#include "ama/curl_http_client.h"

namespace testing {
namespace {

std::size_t WriteBody(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

std::size_t WriteHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* headers = static_cast<std::vector<base::HttpHeader>*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    headers->clear();  // a 100 Continue's block is followed by the real one
    return line.size();
  }
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
  headers->push_back({std::string(line.substr(0, colon)), std::string(value)});
  return line.size();
}

}  // namespace

struct ClientCertHttpClient::Handle {
  CURL* curl = curl_easy_init();
  ~Handle() { curl_easy_cleanup(curl); }
};

ClientCertHttpClient::ClientCertHttpClient(std::string ca_file, std::string cert_file,
                                           std::string key_file)
    : ca_file_(std::move(ca_file)),
      cert_file_(std::move(cert_file)),
      key_file_(std::move(key_file)),
      handle_(std::make_unique<Handle>()) {
  if (handle_->curl == nullptr) throw std::runtime_error("curl_easy_init failed");
}

ClientCertHttpClient::~ClientCertHttpClient() = default;

std::error_code ClientCertHttpClient::Send(const base::HttpRequest& request,
                                           base::HttpResponse* response) {
  CURL* curl = handle_->curl;
  curl_easy_reset(curl);
  *response = base::HttpResponse{};
  curl_slist* headers = nullptr;
  for (const base::HttpHeader& header : request.headers) {
    headers = curl_slist_append(headers, (header.name + ": " + header.value).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "POST" || !request.body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file_.c_str());
  curl_easy_setopt(curl, CURLOPT_SSLCERT, cert_file_.c_str());
  curl_easy_setopt(curl, CURLOPT_SSLKEY, key_file_.c_str());
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response->body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response->headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    detail_ = error;
    return std::error_code(code, ama::CurlCategory());
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response->status = static_cast<int>(status);
  detail_.clear();
  return {};
}

}  // namespace testing
