#ifndef AMAHOST_UPLOADER_LOGS_REQUEST_H_
#define AMAHOST_UPLOADER_LOGS_REQUEST_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "base/http.h"

namespace uploader {

// The Logs Ingestion request of docs/protocol.md §5 (a channel with protocol "gig"). Pure
// functions, thread-compatible.

inline constexpr std::string_view kLogsApiVersion = "2023-01-01";
// Logs Ingestion takes at most 1 MB per call, compressed and uncompressed. Azure's page says
// "1 MB" without saying which; 10^6 bytes fits both readings.
inline constexpr std::size_t kMaxLogsCallBytes = 1000000;

// Where a stream's records go:
//  - the channel's endpointUriTemplate with "<STREAM>" replaced by `stream` (percent-encoded),
//    as AMA builds it ("https://<dce>/dataCollectionRules/<dcr>/streams/<STREAM>?api-version=…");
//  - without a template, "{endpoint}/dataCollectionRules/{dcr_id}/streams/{stream}";
// with "api-version=2023-01-01" added when the URL names none. Empty when neither a template
// nor an endpoint is given.
std::string LogsUrl(std::string_view endpoint, std::string_view uri_template,
                    std::string_view dcr_id, std::string_view stream);

// The POST of one part: `url` from LogsUrl, `gzipped_body` as the body (a JSON array of the
// records, gzip), and these headers in this order: Authorization: Bearer <token>, Content-Type:
// application/json, Content-Encoding: gzip, x-ms-client-request-id, User-Agent. The request
// carries the token: never log it.
base::HttpRequest BuildLogsRequest(std::string url, std::string_view token,
                                   std::string_view request_id, std::string_view user_agent,
                                   std::string gzipped_body, std::chrono::milliseconds timeout);

}  // namespace uploader

#endif  // AMAHOST_UPLOADER_LOGS_REQUEST_H_
