#include "uploader/ods_request.h"

#include <limits>

#include "codec/fluent_entries.h"
#include "codec/json_text.h"
#include "codec/msgpack_json.h"
#include "codec/msgpack_reader.h"
#include "uploader/errors.h"

namespace uploader {

std::error_code BuildOdsJson(const OdsBodyHeader& header,
                             std::span<const localstore::StoredRow> rows, OdsJson* out) {
  out->text.clear();
  out->records = 0;
  out->malformed_row_id = -1;
  std::string& text = out->text;
  text.append("{\"DataType\":");
  codec::AppendJsonString(&text, header.data_type);
  text.append(",\"IPName\":");
  codec::AppendJsonString(&text, header.ip_name);
  text.append(",\"ManagementGroupId\":");
  codec::AppendJsonString(&text, kOdsManagementGroupId);
  text.append(",\"sourceHealthServiceId\":");
  codec::AppendJsonString(&text, header.agent_id);
  text.append(",\"type\":\"JsonData\",\"DataItems\":[");
  for (const localstore::StoredRow& row : rows) {
    // Each record is walked once: ReadEntryHead checks the entry up to the record's map head,
    // the conversion checks the record itself (keys, depth, lengths) as it writes it.
    codec::MsgpackCursor cursor(row.entries);
    while (!cursor.AtEnd()) {
      codec::EventTime time;
      if (out->records > 0) text.push_back(',');
      if (!codec::ReadEntryHead(cursor, &time) || !codec::AppendMsgpackAsJson(cursor, &text)) {
        out->malformed_row_id = row.row_id;
        return Errc::kMalformedRow;
      }
      ++out->records;
    }
  }
  text.append("]}");
  return {};
}

std::string OdsUrl(std::string_view endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.remove_suffix(1);
  std::string url(endpoint);
  url.append(kOdsPath);
  return url;
}

base::HttpRequest BuildOdsRequest(std::string_view endpoint, const OdsSender& sender,
                                  std::string_view token, std::string_view request_id,
                                  std::string deflated_body, std::chrono::milliseconds timeout) {
  base::HttpRequest request;
  request.method = "POST";
  request.url = OdsUrl(endpoint);
  request.headers = {
      {"Authorization", "Bearer " + std::string(token)},
      {"Content-Type", "application/json"},
      {"Content-Encoding", "deflate"},
      {"x-ms-AzureResourceId", std::string(sender.resource_id)},
      {"x-ms-AzureRegion", std::string(sender.region)},
      {"x-ms-UUID", std::string(sender.agent_id)},
      {"X-Request-ID", std::string(request_id)},
      {"User-Agent", std::string(sender.user_agent)},
  };
  request.body = std::move(deflated_body);
  request.timeout = timeout;
  // ODS answers with short JSON; anything bigger is not worth holding.
  request.max_response_bytes = 1024 * 1024;
  return request;
}

}  // namespace uploader
