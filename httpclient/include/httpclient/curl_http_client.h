#ifndef AMAHOST_HTTPCLIENT_CURL_HTTP_CLIENT_H_
#define AMAHOST_HTTPCLIENT_CURL_HTTP_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <system_error>

#include "base/http.h"

namespace httpclient {

// libcurl's process-wide state. Construct exactly one, in main, before any thread starts, and
// destroy it after every thread that used libcurl has ended (curl_global_init is not
// thread-safe).
class CurlGlobal {
 public:
  CurlGlobal();
  ~CurlGlobal();
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
};

struct CurlHttpClientOptions {
  // A PEM file of CA certificates to trust (e.g. mockcloud's ca.pem); empty = the system store.
  std::string ca_file;
  // TLS peer and host verification. On unless a user explicitly turns it off.
  bool verify_tls = true;
  std::chrono::milliseconds connect_timeout{10000};
  // The proxy for every request (curl's forms: "http://host:port", "socks5h://…", credentials
  // in the URL); empty = the environment's (https_proxy, HTTPS_PROXY, http_proxy, all_proxy),
  // as curl reads it.
  std::string proxy{};
  // Hosts never proxied: curl's NO_PROXY syntax ("example.com,.internal,10.0.0.0/8", "*");
  // empty = the environment's no_proxy / NO_PROXY.
  std::string no_proxy{};
  // Loopback (localhost, 127.0.0.1, ::1) is never proxied unless this is set.
  bool proxy_loopback = false;
  // Mutual TLS: a PEM client certificate (chain) and its PEM private key; both or neither.
  std::string client_cert{};
  std::string client_key{};
};

// The libcurl-based implementation of base::HttpClient. Keeps one easy handle, so that
// connections are reused between calls. Redirects are not followed (AMCS redirects with 421,
// which the caller handles). Proxies as CurlHttpClientOptions says.
//
// Thread-safety: not safe for concurrent calls; each thread that sends owns its own client.
class CurlHttpClient final : public base::HttpClient {
 public:
  explicit CurlHttpClient(CurlHttpClientOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  std::error_code Send(const base::HttpRequest& request, base::HttpResponse* response) override;

  // libcurl's text for the last failure (empty after a success): what the error_code alone does
  // not tell, such as which certificate check failed.
  const std::string& last_error_detail() const { return detail_; }

 private:
  struct Handle;
  CurlHttpClientOptions options_;
  std::unique_ptr<Handle> handle_;
  std::string detail_;
};

// The error category of libcurl's CURLcode values.
const std::error_category& CurlCategory();

}  // namespace httpclient

#endif  // AMAHOST_HTTPCLIENT_CURL_HTTP_CLIENT_H_
