#include "httpserver/http_message.h"

#include <fmt/format.h>

#include <utility>

#include "codec/json_text.h"

namespace httpserver {

const std::string* Request::FindHeader(std::string_view name) const {
  for (const base::HttpHeader& header : headers) {
    if (base::HeaderNameEquals(header.name, name)) return &header.value;
  }
  return nullptr;
}

std::vector<std::string> Request::FindHeaders(std::string_view name) const {
  std::vector<std::string> values;
  for (const base::HttpHeader& header : headers) {
    if (base::HeaderNameEquals(header.name, name)) values.push_back(header.value);
  }
  return values;
}

const std::string* Response::FindHeader(std::string_view name) const {
  for (const base::HttpHeader& header : headers) {
    if (base::HeaderNameEquals(header.name, name)) return &header.value;
  }
  return nullptr;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 421:
      return "Misdirected Request";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string SerializeResponse(const Response& response, bool keep_alive) {
  bool has_body = response.status >= 200 && response.status != 204 && response.status != 304;
  std::string out =
      fmt::format("HTTP/1.1 {} {}\r\n", response.status, ReasonPhrase(response.status));
  for (const base::HttpHeader& header : response.headers) {
    // The framing headers are ours alone, so that a handler cannot make them lie.
    if (base::HeaderNameEquals(header.name, "Content-Length") ||
        base::HeaderNameEquals(header.name, "Connection") ||
        base::HeaderNameEquals(header.name, "Transfer-Encoding")) {
      continue;
    }
    out += header.name;
    out += ": ";
    out += header.value;
    out += "\r\n";
  }
  if (response.status >= 200 && response.status != 204) {
    out += fmt::format("Content-Length: {}\r\n", has_body ? response.body.size() : 0);
  }
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (has_body) out += response.body;
  return out;
}

Response JsonResponse(int status, std::string json) {
  Response response;
  response.status = status;
  response.AddHeader("Content-Type", "application/json; charset=utf-8");
  response.body = std::move(json);
  return response;
}

Response TextResponse(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.AddHeader("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

Response ErrorResponse(int status, std::string_view code, std::string_view message) {
  std::string body = "{\"error\":{\"code\":";
  codec::AppendJsonString(&body, code);
  body += ",\"message\":";
  codec::AppendJsonString(&body, message);
  body += "}}";
  return JsonResponse(status, std::move(body));
}

}  // namespace httpserver
