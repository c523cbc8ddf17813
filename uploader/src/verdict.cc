#include "uploader/verdict.h"

namespace uploader {

Verdict Classify(std::error_code transport, int status) {
  if (transport) return Verdict::kRetry;
  if (status >= 200 && status <= 299) return Verdict::kSuccess;
  if (status == 401 || status == 403) return Verdict::kRefreshToken;
  if (status == 408 || status == 429) return Verdict::kRetry;
  if (status >= 400 && status <= 499) return Verdict::kReject;
  return Verdict::kRetry;
}

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kSuccess:
      return "success";
    case Verdict::kRetry:
      return "retry";
    case Verdict::kRefreshToken:
      return "refresh-token";
    case Verdict::kReject:
      return "reject";
  }
  return "unknown";
}

}  // namespace uploader
