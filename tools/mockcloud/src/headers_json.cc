#include <algorithm>
#include <string_view>
#include <utility>

#include "codec/json_text.h"
#include "mockcloud/http_message.h"

namespace mockcloud {

namespace {

// "Bearer <redacted>": the scheme says what kind of credential came, the rest is the secret.
std::string Redacted(std::string_view value) {
  std::size_t space = value.find(' ');
  if (space == std::string_view::npos || space == 0) return "<redacted>";
  return std::string(value.substr(0, space)) + " <redacted>";
}

}  // namespace

std::string HeadersJson(const std::vector<base::HttpHeader>& headers) {
  // Few headers (at most RequestLimits::max_headers): a linear search per name is cheapest.
  std::vector<std::pair<std::string_view, std::string>> merged;
  for (const base::HttpHeader& header : headers) {
    bool secret = base::HeaderNameEquals(header.name, "Authorization") ||
                  base::HeaderNameEquals(header.name, "Proxy-Authorization");
    std::string value = secret ? Redacted(header.value) : header.value;
    auto same = std::find_if(merged.begin(), merged.end(), [&](const auto& entry) {
      return base::HeaderNameEquals(entry.first, header.name);
    });
    if (same == merged.end()) {
      merged.emplace_back(header.name, std::move(value));
    } else {
      same->second += ", ";
      same->second += value;
    }
  }
  std::string json = "{";
  for (const auto& [name, value] : merged) {
    if (json.size() > 1) json += ',';
    codec::AppendJsonString(&json, name);
    json += ':';
    codec::AppendJsonString(&json, value);
  }
  json += '}';
  return json;
}

}  // namespace mockcloud
