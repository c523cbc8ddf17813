#ifndef AMAHOST_HTTPSERVER_REQUEST_PARSER_H_
#define AMAHOST_HTTPSERVER_REQUEST_PARSER_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "httpserver/http_message.h"

namespace httpserver {

// Bounds on what one request may hold. The defaults are an upload receiver's (mockcloud's);
// amahost's own endpoints take no bodies and set far smaller ones.
struct RequestLimits {
  std::size_t max_request_line = 8 * 1024;   // bytes, CRLF excluded
  std::size_t max_header_bytes = 64 * 1024;  // all header lines together, CRLFs included
  std::size_t max_headers = 100;
  std::size_t max_body = 64 * 1024 * 1024;  // Content-Length
};

// An incremental, bounded HTTP/1.1 request parser. Pure: no I/O, no allocation beyond the limits.
//
// Feed it bytes as they arrive, in pieces of any size; the result does not depend on where the
// input was split. It stops at the end of one request so that pipelined bytes stay with the
// caller: Feed returns how many bytes it took.
//
// Strict on purpose (a mock that accepts sloppy requests hides client bugs): lines end in CRLF;
// the request-target is origin-form ("/…") or "*"; only HTTP/1.0 and HTTP/1.1; obsolete header
// folding, whitespace before a header's colon, control characters, conflicting Content-Length
// values and a missing Host on HTTP/1.1 are 400; a request body must come with Content-Length
// (chunked → 411, any other Transfer-Encoding → 501). Up to 8 empty lines before a request line
// are skipped (RFC 9112 §2.2).
//
// Thread-compatible.
class RequestParser {
 public:
  enum class State {
    kNeedMore,  // feed more bytes
    kComplete,  // request() holds a whole request
    kError,     // error_status()/error_message() say why; the connection must be closed
  };

  explicit RequestParser(RequestLimits limits = {}) : limits_(limits) {}

  // Consumes bytes of `data` up to the end of the current request. After kComplete or kError it
  // consumes nothing until Reset().
  std::size_t Feed(std::string_view data);

  State state() const { return state_; }
  // True once the request line and headers are parsed (the body may still be arriving): the
  // moment to answer "100 Continue" when request().expects_continue.
  bool headers_complete() const { return phase_ == Phase::kBody || phase_ == Phase::kDone; }
  // The request so far; whole once state() is kComplete.
  const Request& request() const { return request_; }
  Request TakeRequest() { return std::move(request_); }

  int error_status() const { return error_status_; }  // 400, 411, 413, 414, 431, 501, 505
  const std::string& error_message() const { return error_message_; }

  // Starts over for the next request on the same connection.
  void Reset();

 private:
  enum class Phase { kRequestLine, kHeaders, kBody, kDone };

  void Fail(int status, std::string message);
  void ParseRequestLine(std::string_view line);
  void ParseHeaderLine(std::string_view line);
  void FinishHead();

  RequestLimits limits_;
  State state_ = State::kNeedMore;
  Phase phase_ = Phase::kRequestLine;
  Request request_;
  std::string line_;  // the current, unfinished line
  std::size_t header_bytes_ = 0;
  std::size_t empty_lines_ = 0;
  std::size_t body_length_ = 0;
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace httpserver

#endif  // AMAHOST_HTTPSERVER_REQUEST_PARSER_H_
