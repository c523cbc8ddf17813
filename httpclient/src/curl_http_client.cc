#include "httpclient/curl_http_client.h"

#include <curl/curl.h>

#include <stdexcept>

#include "curl_exchange.h"

namespace httpclient {
namespace {

class CurlErrorCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "curl"; }
  std::string message(int code) const override {
    return curl_easy_strerror(static_cast<CURLcode>(code));
  }
};

}  // namespace

const std::error_category& CurlCategory() {
  static const CurlErrorCategory category;
  return category;
}

CurlGlobal::CurlGlobal() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    throw std::runtime_error("curl_global_init failed");
  }
}

CurlGlobal::~CurlGlobal() { curl_global_cleanup(); }

struct CurlHttpClient::Handle {
  CURL* curl = nullptr;
  CurlExchange exchange;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

CurlHttpClient::CurlHttpClient(CurlHttpClientOptions options)
    : options_(std::move(options)), handle_(std::make_unique<Handle>()) {
  handle_->curl = curl_easy_init();
  if (handle_->curl == nullptr) throw std::runtime_error("curl_easy_init failed");
}

CurlHttpClient::~CurlHttpClient() = default;

std::error_code CurlHttpClient::Send(const base::HttpRequest& request,
                                     base::HttpResponse* response) {
  detail_.clear();
  std::error_code ec = handle_->exchange.Prepare(handle_->curl, options_, request);
  if (!ec)
    ec = handle_->exchange.Complete(handle_->curl, curl_easy_perform(handle_->curl), response);
  if (ec) detail_ = response->error_detail;
  return ec;
}

}  // namespace httpclient
