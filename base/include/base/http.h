#ifndef AMAHOST_BASE_HTTP_H_
#define AMAHOST_BASE_HTTP_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace base {

// The HTTP seam between the modules that talk to the cloud (dcr's fetcher, the uploader) and the
// one libcurl client that ama owns. Both modules need exactly this request/response exchange, so
// they share one interface here instead of declaring two identical ones; tests substitute fakes at
// this seam to inject faults.

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<HttpHeader> headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};
  // A response body larger than this fails the exchange with a transport error.
  std::size_t max_response_bytes = 16 * 1024 * 1024;
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;  // as received, in order
  std::string body;

  // First header named `name` (case-insensitive), or nullptr.
  const std::string* FindHeader(std::string_view name) const;
  // Every header named `name` (case-insensitive), in order.
  std::vector<std::string> FindHeaders(std::string_view name) const;
};

// Sends one request and waits for its response.
//
// Returns an error for a failed exchange (DNS, connection refused, TLS verification, timeout, a
// body over the limit); an HTTP status of any value, 4xx and 5xx included, is a completed exchange:
// the status is data, not an error.
//
// Thread-safety: an implementation need not be safe for concurrent calls; each user owns its own.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual std::error_code Send(const HttpRequest& request, HttpResponse* response) = 0;
};

// Case-insensitive ASCII comparison of header names.
bool HeaderNameEquals(std::string_view a, std::string_view b);

}  // namespace base

#endif  // AMAHOST_BASE_HTTP_H_
