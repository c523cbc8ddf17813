#include "uploader/logs_request.h"

#include <fmt/format.h>

namespace uploader {
namespace {

// RFC 3986 unreserved characters pass; everything else is %XX. Stream names are
// "Custom-Table_CL" or "Microsoft-Syslog" in practice, which pass unchanged.
std::string PercentEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      fmt::format_to(std::back_inserter(out), "%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

std::string LogsUrl(std::string_view endpoint, std::string_view uri_template,
                    std::string_view dcr_id, std::string_view stream) {
  constexpr std::string_view kPlaceholder = "<STREAM>";
  std::string url;
  if (!uri_template.empty()) {
    url = std::string(uri_template);
    for (std::size_t at = url.find(kPlaceholder); at != std::string::npos;
         at = url.find(kPlaceholder, at)) {
      std::string name = PercentEncode(stream);
      url.replace(at, kPlaceholder.size(), name);
      at += name.size();
    }
  } else if (!endpoint.empty()) {
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.remove_suffix(1);
    url = fmt::format("{}/dataCollectionRules/{}/streams/{}", endpoint, PercentEncode(dcr_id),
                      PercentEncode(stream));
  } else {
    return {};
  }
  if (url.find("api-version=") == std::string::npos) {
    url += url.find('?') == std::string::npos ? '?' : '&';
    url += "api-version=";
    url += kLogsApiVersion;
  }
  return url;
}

base::HttpRequest BuildLogsRequest(std::string url, std::string_view token,
                                   std::string_view request_id, std::string_view user_agent,
                                   std::string gzipped_body, std::chrono::milliseconds timeout) {
  base::HttpRequest request;
  request.method = "POST";
  request.url = std::move(url);
  request.headers = {
      {"Authorization", "Bearer " + std::string(token)},
      {"Content-Type", "application/json"},
      {"Content-Encoding", "gzip"},
      {"x-ms-client-request-id", std::string(request_id)},
      {"User-Agent", std::string(user_agent)},
  };
  request.body = std::move(gzipped_body);
  request.timeout = timeout;
  request.max_response_bytes = 1024 * 1024;
  return request;
}

}  // namespace uploader
