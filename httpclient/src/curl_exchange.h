#ifndef AMAHOST_HTTPCLIENT_CURL_EXCHANGE_H_
#define AMAHOST_HTTPCLIENT_CURL_EXCHANGE_H_

#include <curl/curl.h>

#include <string>
#include <system_error>

#include "base/http.h"
#include "httpclient/curl_http_client.h"

namespace httpclient {

// One request/response exchange on an easy handle: the options it sets and the buffers libcurl
// writes into, shared by CurlHttpClient and CurlMultiClient so that both send exactly the same
// requests. Must stay at one address while libcurl uses it (it points libcurl at itself).
class CurlExchange {
 public:
  CurlExchange() = default;
  ~CurlExchange();
  CurlExchange(const CurlExchange&) = delete;
  CurlExchange& operator=(const CurlExchange&) = delete;

  // Resets `curl` and sets every option for `request`, which must outlive the exchange. Fails
  // only when memory runs out.
  std::error_code Prepare(CURL* curl, const CurlHttpClientOptions& options,
                          const base::HttpRequest& request);
  // After libcurl finished the transfer with `code`: the outcome, as HttpClient::Send returns
  // it, with the response moved into *response.
  std::error_code Complete(CURL* curl, CURLcode code, base::HttpResponse* response);

 private:
  struct BodySink {
    std::string* body = nullptr;
    std::size_t limit = 0;
    bool overflow = false;
  };
  static std::size_t WriteBody(char* data, std::size_t size, std::size_t count, void* user);
  static std::size_t WriteHeader(char* data, std::size_t size, std::size_t count, void* user);

  base::HttpResponse response_;
  BodySink sink_;
  curl_slist* headers_ = nullptr;
  std::string no_proxy_;
  char error_buffer_[CURL_ERROR_SIZE] = {};
};

// The NO_PROXY list a request uses: `configured` (or the environment's when empty), with
// loopback added unless `proxy_loopback`. Pure but for the environment.
std::string NoProxyList(const std::string& configured, bool proxy_loopback);

}  // namespace httpclient

#endif  // AMAHOST_HTTPCLIENT_CURL_EXCHANGE_H_
