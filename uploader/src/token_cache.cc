#include "uploader/token_cache.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "base/uuid.h"
#include "codec/json_text.h"
#include "rapidjson/document.h"
#include "uploader/errors.h"

namespace uploader {

namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// max-age's value: digits, optionally quoted (RFC 9111 §5.2 asks senders for the token form
// and recipients to accept the quoted one).
std::optional<std::chrono::seconds> Seconds(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  if (value.empty()) return std::nullopt;
  const std::int64_t limit = kMaxTokenLifetime.count();
  std::int64_t seconds = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = std::min(limit, seconds * 10 + (c - '0'));
  }
  return std::chrono::seconds(seconds);
}

}  // namespace

std::optional<std::chrono::seconds> ParseMaxAge(std::string_view cache_control) {
  while (!cache_control.empty()) {
    std::size_t comma = cache_control.find(',');
    std::string_view directive = Trim(cache_control.substr(0, comma));
    cache_control =
        comma == std::string_view::npos ? std::string_view() : cache_control.substr(comma + 1);
    std::size_t equals = directive.find('=');
    if (equals == std::string_view::npos) continue;
    if (!base::HeaderNameEquals(Trim(directive.substr(0, equals)), "max-age")) continue;
    return Seconds(Trim(directive.substr(equals + 1)));
  }
  return std::nullopt;
}

bool IsBearerToken(std::string_view token) {
  // b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
  std::size_t end = token.find_first_not_of(
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/");
  if (token.empty() || end == 0) return false;
  if (end == std::string_view::npos) return true;
  return token.find_first_not_of('=', end) == std::string_view::npos;
}

TokenCache::TokenCache(base::HttpClient& http, TokenCacheOptions options, Clock clock)
    : http_(http),
      options_(std::move(options)),
      clock_(clock ? std::move(clock) : [] { return std::chrono::steady_clock::now(); }) {}

std::error_code TokenCache::Get(const std::string& token_endpoint_uri, std::string* token,
                                std::string* detail) {
  if (token_endpoint_uri.empty()) {
    *detail = "the channel has no tokenEndpointUri";
    return Errc::kNoTokenEndpoint;
  }
  auto fresh = [&] {
    base::MutexLock lock(&mutex_);
    auto it = entries_.find(token_endpoint_uri);
    if (it == entries_.end() || clock_() >= it->second.refresh_at) return false;
    *token = it->second.token;
    return true;
  };
  if (fresh()) return {};
  base::MutexLock fetching(&fetch_mutex_);
  // Another worker may have fetched it while this one waited for its turn.
  if (fresh()) return {};
  Entry entry;
  if (std::error_code error = Fetch(token_endpoint_uri, &entry, detail)) return error;
  *token = entry.token;
  base::MutexLock lock(&mutex_);
  entries_[token_endpoint_uri] = std::move(entry);
  return {};
}

void TokenCache::Invalidate(const std::string& token_endpoint_uri, std::string_view refused) {
  base::MutexLock lock(&mutex_);
  auto it = entries_.find(token_endpoint_uri);
  if (it == entries_.end() || (!refused.empty() && it->second.token != refused)) return;
  entries_.erase(it);
}

std::error_code TokenCache::Fetch(const std::string& uri, Entry* entry, std::string* detail) {
  base::HttpRequest request;
  request.method = "GET";
  request.url = uri;
  request.headers = {{"User-Agent", options_.user_agent},
                     {"x-ms-client-request-id", base::NewUuid()}};
  request.timeout = options_.request_timeout;
  request.max_response_bytes = 64 * 1024;
  base::HttpResponse response;
  std::chrono::steady_clock::time_point sent = clock_();
  if (std::error_code error = http_.Send(request, &response)) {
    *detail = fmt::format("token request to {} failed: {}{}", uri, error.message(),
                          response.error_detail.empty() ? "" : " (" + response.error_detail + ")");
    return error;
  }
  if (response.status < 200 || response.status > 299) {
    *detail = fmt::format("token endpoint {} answered HTTP {}", uri, response.status);
    return Errc::kTokenHttpStatus;
  }
  // The body holds the token: say what is wrong with it, never what it holds.
  rapidjson::Document document;
  document.Parse(response.body.data(), response.body.size());
  const rapidjson::Value* token = nullptr;
  if (!document.HasParseError() && document.IsObject()) {
    auto member = document.FindMember("ingestionAuthToken");
    if (member != document.MemberEnd()) token = &member->value;
  }
  if (token == nullptr || !token->IsString() || token->GetStringLength() > kMaxTokenLength ||
      !IsBearerToken(std::string_view(token->GetString(), token->GetStringLength()))) {
    *detail =
        fmt::format("token endpoint {} answered without a usable ingestionAuthToken ({} bytes)",
                    uri, response.body.size());
    return Errc::kTokenMalformed;
  }
  std::chrono::seconds lifetime = kDefaultTokenLifetime;
  std::vector<std::string> cache_control = response.FindHeaders("Cache-Control");
  for (const std::string& value : cache_control) {
    if (std::optional<std::chrono::seconds> max_age = ParseMaxAge(value)) {
      lifetime = *max_age;
      break;
    }
  }
  entry->token.assign(token->GetString(), token->GetStringLength());
  // Counting from when the request left keeps the refresh on the safe side of the server's age.
  entry->expires = sent + lifetime;
  // Refreshed early, so that a token is never sent when it would expire before the request is
  // answered: by a fifth of its life (at most kRefreshMargin), and for short-lived tokens by half
  // of it (at most kShortTokenMargin), which covers a slow TLS handshake.
  std::chrono::steady_clock::duration margin = std::max<std::chrono::steady_clock::duration>(
      std::min<std::chrono::steady_clock::duration>(lifetime / 5, kRefreshMargin),
      std::min<std::chrono::steady_clock::duration>(lifetime / 2, kShortTokenMargin));
  entry->refresh_at = entry->expires - margin;
  std::string configuration_id;
  auto id = document.FindMember("configurationId");
  if (id != document.MemberEnd() && id->value.IsString()) configuration_id = id->value.GetString();
  // The id comes from the network: bounded and escaped before it reaches a log line.
  if (configuration_id.size() > 256) configuration_id.resize(256);
  options_.logger->Info(
      "uploader", "fetched an ingestion token for configuration id {} from {}, refresh in {} s",
      codec::JsonString(configuration_id), uri, lifetime.count());
  return {};
}

}  // namespace uploader
