#ifndef AMAHOST_HTTPSERVER_HTTP_MESSAGE_H_
#define AMAHOST_HTTPSERVER_HTTP_MESSAGE_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/http.h"

namespace httpserver {

// The plain data of one HTTP/1.1 exchange as the server sees it. No I/O; thread-compatible.

// A request as RequestParser produced it. Header names keep their case; look them up with
// FindHeader (case-insensitive).
struct Request {
  std::string method;     // "GET", "POST", ... (case-sensitive, as sent)
  std::string target;     // the request-target as sent, e.g. "/ping?x=1"
  std::string path;       // target before '?', still percent-encoded
  std::string query;      // target after '?', without it; empty when absent
  int version_minor = 1;  // HTTP/1.<minor>; only 0 and 1 are accepted
  std::vector<base::HttpHeader> headers;
  std::string body;
  bool keep_alive = true;         // from the version and the Connection header
  bool expects_continue = false;  // "Expect: 100-continue"

  // First header named `name`, or nullptr.
  const std::string* FindHeader(std::string_view name) const;
  // Every header named `name`, in order.
  std::vector<std::string> FindHeaders(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<base::HttpHeader> headers;  // Content-Length and Connection are added on output
  std::string body;

  Response& AddHeader(std::string name, std::string value) {
    headers.push_back(base::HttpHeader{std::move(name), std::move(value)});
    return *this;
  }
  const std::string* FindHeader(std::string_view name) const;
};

// What a handler answers: the response and how long to wait before sending it (injected latency).
struct Reply {
  Response response;
  std::chrono::milliseconds delay{0};
};

// "OK", "Not Found", ...; "Unknown" for a code without a standard phrase.
std::string_view ReasonPhrase(int status);

// The bytes of `response` on the wire: status line, headers, a Content-Length that always matches
// the body, "Connection: close" when `keep_alive` is false, then the body (left out for a 304,
// 204 and 1xx, which have none).
std::string SerializeResponse(const Response& response, bool keep_alive);

// Builds a response with a JSON body and Content-Type application/json.
Response JsonResponse(int status, std::string json);
// Builds a response with a text body and Content-Type `content_type`.
Response TextResponse(int status, std::string body,
                      std::string content_type = "text/plain; charset=utf-8");
// A JSON error body {"error":{"code":<code>,"message":<message>}} with that status.
Response ErrorResponse(int status, std::string_view code, std::string_view message);

}  // namespace httpserver

#endif  // AMAHOST_HTTPSERVER_HTTP_MESSAGE_H_
