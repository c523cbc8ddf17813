#ifndef AMAHOST_TESTS_MOCKCLOUD_CLIENT_CERT_HTTP_CLIENT_H_
#define AMAHOST_TESTS_MOCKCLOUD_CLIENT_CERT_HTTP_CLIENT_H_

#include <memory>
#include <string>
#include <system_error>

#include "base/http.h"

namespace testing {

// A libcurl HTTPS client that presents a client certificate, for a mockcloud started with
// --require-client-cert (ama::CurlHttpClient presents none). Verifies the server against
// `ca_file`; keeps one easy handle, so connections are reused. Needs ama::CurlGlobal alive.
// Not thread-safe: one per thread.
class ClientCertHttpClient final : public base::HttpClient {
 public:
  ClientCertHttpClient(std::string ca_file, std::string cert_file, std::string key_file);
  ~ClientCertHttpClient() override;
  ClientCertHttpClient(const ClientCertHttpClient&) = delete;
  ClientCertHttpClient& operator=(const ClientCertHttpClient&) = delete;

  std::error_code Send(const base::HttpRequest& request, base::HttpResponse* response) override;
  // libcurl's text for the last failure; empty after a success.
  const std::string& last_error_detail() const { return detail_; }

 private:
  struct Handle;
  std::string ca_file_;
  std::string cert_file_;
  std::string key_file_;
  std::unique_ptr<Handle> handle_;
  std::string detail_;
};

}  // namespace testing

#endif  // AMAHOST_TESTS_MOCKCLOUD_CLIENT_CERT_HTTP_CLIENT_H_
