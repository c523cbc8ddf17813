#ifndef AMAHOST_BASE_HTTP_H_
#define AMAHOST_BASE_HTTP_H_

#include <chrono>
#include <cstddef>
#include <functional>
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
  // After a transport error: what failed in the client's own words (libcurl's error buffer,
  // e.g. which certificate check), for logs. Empty otherwise.
  std::string error_detail{};

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

// Many exchanges at once, for the uploader's pipeline: the same exchange as HttpClient::Send,
// started without waiting for it.
//
// Start() returns at once; `done` is called exactly once per Start, on a thread of the client's
// (never inside Start), with what Send would have returned: a transport error (with
// error_detail set) or a response of any status. A client that stops before an exchange ends
// calls `done` with std::errc::operation_canceled. Thread-safe.
class AsyncHttpClient {
 public:
  using Done = std::function<void(std::error_code transport, HttpResponse response)>;
  virtual ~AsyncHttpClient() = default;
  virtual void Start(HttpRequest request, Done done) = 0;
};

// Case-insensitive ASCII comparison of header names.
bool HeaderNameEquals(std::string_view a, std::string_view b);

}  // namespace base

#endif  // AMAHOST_BASE_HTTP_H_
