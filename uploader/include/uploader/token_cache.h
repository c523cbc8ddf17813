#ifndef AMAHOST_UPLOADER_TOKEN_CACHE_H_
#define AMAHOST_UPLOADER_TOKEN_CACHE_H_

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "base/http.h"
#include "base/logger.h"
#include "base/thread_annotations.h"

namespace uploader {

// Used when the token endpoint sends no usable Cache-Control max-age (docs/protocol.md §1).
inline constexpr std::chrono::seconds kDefaultTokenLifetime = std::chrono::hours(1);
// A token is fetched again a fifth of its lifetime before it expires, but at most
// kRefreshMargin before; a short-lived one half its lifetime before, but at most
// kShortTokenMargin (ours): a token is never sent that would expire while its request is in
// flight.
inline constexpr std::chrono::minutes kRefreshMargin{5};
inline constexpr std::chrono::seconds kShortTokenMargin{2};

// A longer max-age is cut to this (ours): the tokens themselves expire after 24 h.
inline constexpr std::chrono::seconds kMaxTokenLifetime = std::chrono::hours(24);
// Longest ingestionAuthToken accepted (ours; real ones are about 2 kB).
inline constexpr std::size_t kMaxTokenLength = 16 * 1024;

// The max-age of a Cache-Control value ("public, max-age=3600"; directive names are
// case-insensitive, the value may be quoted), capped at kMaxTokenLifetime. nullopt when absent
// or malformed. Pure.
std::optional<std::chrono::seconds> ParseMaxAge(std::string_view cache_control);

// True for an RFC 6750 b64token (what a bearer token may contain), so that a token read from
// the network can never inject anything into a header. Pure.
bool IsBearerToken(std::string_view token);

struct TokenCacheOptions {
  std::string user_agent;
  std::chrono::milliseconds request_timeout{30000};
  // Must outlive the cache. Never null.
  base::Logger* logger = nullptr;
};

// Ingestion tokens per tokenEndpointUri (docs/protocol.md §1).
//
// Get() returns the cached token while it is fresh; otherwise it sends
//   GET <uri>  (User-Agent, x-ms-client-request-id: <new uuid>)
// and expects a 2xx with {"configurationId": …, "ingestionAuthToken": "<token>"}. The token
// stays fresh for the response's Cache-Control max-age (kDefaultTokenLifetime when absent), or
// until Invalidate() (called after a 401/403). A failed fetch is an error for that call only; the
// caller retries with backoff. Tokens are never logged and never put in `detail`.
//
// Thread-safe: the upload workers share it, and the HTTP client's thread calls Invalidate().
// Fetches go one at a time (`http`, which must outlive the cache, is used by one at a time), so
// workers that need the same expired token wait for one fetch instead of each sending one. A
// fresh token and Invalidate() never wait for a fetch: a slow or unreachable token endpoint
// holds up neither the HTTP client's thread nor the uploads of other channels.
class TokenCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // An empty `clock` uses std::chrono::steady_clock.
  TokenCache(base::HttpClient& http, TokenCacheOptions options, Clock clock = {});

  // Sets *token, or returns an error with a one-line reason in *detail: the transport error of
  // base::HttpClient, Errc::kTokenHttpStatus, Errc::kTokenMalformed or Errc::kNoTokenEndpoint
  // (empty uri).
  std::error_code Get(const std::string& token_endpoint_uri, std::string* token,
                      std::string* detail);

  // Forgets the token of `token_endpoint_uri`; the next Get() fetches a new one. With
  // `refused`, only if the cached token is that one: after a 401 to a request sent with an old
  // token, a token fetched since is kept (several requests refused at once cost one fetch).
  void Invalidate(const std::string& token_endpoint_uri, std::string_view refused = {});

 private:
  struct Entry {
    std::string token;
    std::chrono::steady_clock::time_point expires;
    std::chrono::steady_clock::time_point refresh_at;  // before expires: see kRefreshMargin
  };

  std::error_code Fetch(const std::string& uri, Entry* entry, std::string* detail)
      EXCLUSIVE_LOCKS_REQUIRED(fetch_mutex_);

  base::HttpClient& http_;
  const TokenCacheOptions options_;
  const Clock clock_;
  // Held while `http_` is used; taken before mutex_, never after it.
  base::Mutex fetch_mutex_ ACQUIRED_BEFORE(mutex_);
  base::Mutex mutex_;
  std::map<std::string, Entry> entries_ GUARDED_BY(mutex_);
};

}  // namespace uploader

#endif  // AMAHOST_UPLOADER_TOKEN_CACHE_H_
