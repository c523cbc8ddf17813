#ifndef AMAHOST_UPLOADER_ODS_REQUEST_H_
#define AMAHOST_UPLOADER_ODS_REQUEST_H_

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "base/http.h"
#include "localstore/record_batch.h"

namespace uploader {

// The ODS request of docs/protocol.md §5, built from stored rows. Pure functions,
// thread-compatible.

inline constexpr std::string_view kOdsManagementGroupId = "00000000-0000-0000-0000-000000000002";
inline constexpr std::string_view kOdsPath =
    "/OperationalData.svc/PostJsonDataItems?api-version=2016-04-01";

// What heads the body; the strings are escaped as JSON strings.
struct OdsBodyHeader {
  std::string_view data_type;  // DataType
  std::string_view ip_name;    // IPName
  std::string_view agent_id;   // sourceHealthServiceId
};

struct OdsJson {
  std::string text;
  std::uint64_t records = 0;           // DataItems written
  std::int64_t malformed_row_id = -1;  // the offending row when Errc::kMalformedRow is returned
};

// Builds
//   {"DataType":…,"IPName":…,"ManagementGroupId":"00000000-0000-0000-0000-000000000002",
//    "sourceHealthServiceId":…,"type":"JsonData","DataItems":[…]}
// with one DataItem per Fluent entry of `rows`, in order: the entry's record map converted by
// codec::AppendMsgpackAsJson. The entry's time is not added: the record is uploaded unchanged
// (extensions put their own time fields in the record). A row's `count` is not trusted; the
// entries are counted as they are read.
//
// Returns Errc::kMalformedRow (and sets out->malformed_row_id; out->text is then partial) if a
// row does not hold well-formed entries whose records are maps; never crashes on any bytes.
std::error_code BuildOdsJson(const OdsBodyHeader& header,
                             std::span<const localstore::StoredRow> rows, OdsJson* out);

// "{endpoint}/OperationalData.svc/PostJsonDataItems?api-version=2016-04-01", without a double
// slash when `endpoint` ends with one or more '/'.
std::string OdsUrl(std::string_view endpoint);

// Who sends; constant for a host.
struct OdsSender {
  std::string_view agent_id;     // x-ms-UUID
  std::string_view resource_id;  // x-ms-AzureResourceId
  std::string_view region;       // x-ms-AzureRegion
  std::string_view user_agent;   // User-Agent
};

// The POST of one batch: URL from OdsUrl(endpoint), `deflated_body` as the body, and exactly
// these headers in this order: Authorization: Bearer <token>, Content-Type: application/json,
// Content-Encoding: deflate, x-ms-AzureResourceId, x-ms-AzureRegion, x-ms-UUID, X-Request-ID,
// User-Agent. The request carries the token: never log it.
base::HttpRequest BuildOdsRequest(std::string_view endpoint, const OdsSender& sender,
                                  std::string_view token, std::string_view request_id,
                                  std::string deflated_body, std::chrono::milliseconds timeout);

}  // namespace uploader

#endif  // AMAHOST_UPLOADER_ODS_REQUEST_H_
