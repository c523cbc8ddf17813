#ifndef AMAHOST_UPLOADER_VERDICT_H_
#define AMAHOST_UPLOADER_VERDICT_H_

#include <string_view>
#include <system_error>

namespace uploader {

// What to do with a batch after one upload attempt (docs/protocol.md §5).
enum class Verdict {
  kSuccess,       // 2xx: remove the batch from the store
  kRetry,         // keep the batch, retry it after a backoff (Retry-After honoured)
  kRefreshToken,  // 401/403: drop the cached ingestion token, then retry like kRetry
  kReject,        // the receiver refuses this batch for good: drop it, count it, log it
};

// Classifies the outcome of one exchange: `transport` as returned by base::HttpClient::Send and,
// when it is empty, the response `status`.
//   transport error          → kRetry
//   200–299                  → kSuccess
//   401, 403                 → kRefreshToken
//   408, 429, 500–599        → kRetry
//   other 400–499            → kReject
//   anything else (1xx, 3xx, statuses outside 100–599) → kRetry. Our choice: only a 4xx is the
//   receiver's verdict on the batch itself; a 3xx (ODS does not redirect, so it comes from a
//   proxy or a misconfiguration) or a garbled status says nothing about the data, and dropping
//   data on it would lose records that a later attempt delivers. The backoff cap and the store's
//   quota bound what a persistent one costs.
// Pure.
Verdict Classify(std::error_code transport, int status);

// "success", "retry", "refresh-token", "reject".
std::string_view VerdictName(Verdict verdict);

}  // namespace uploader

#endif  // AMAHOST_UPLOADER_VERDICT_H_
