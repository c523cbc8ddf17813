#ifndef AMAHOST_MOCKCLOUD_HTTP_MESSAGE_H_
#define AMAHOST_MOCKCLOUD_HTTP_MESSAGE_H_

#include <string>
#include <vector>

#include "base/http.h"
#include "httpserver/http_message.h"

namespace mockcloud {

// mockcloud speaks the shared server's message types (httpserver/http_message.h).
using httpserver::ErrorResponse;
using httpserver::JsonResponse;
using httpserver::Reply;
using httpserver::Request;
using httpserver::Response;

// `headers` as one JSON object for /_mock/requests: {"Name":"value",…} in the order sent, names
// as sent. A name sent more than once (in any case) appears once, under its first spelling, with
// its values joined by ", " (RFC 9110 §5.3). Authorization and Proxy-Authorization are redacted:
// "Bearer <redacted>" keeps the scheme and nothing else. Bytes that are not UTF-8 become U+FFFD.
std::string HeadersJson(const std::vector<base::HttpHeader>& headers);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_HTTP_MESSAGE_H_
