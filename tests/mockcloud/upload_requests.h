#ifndef AMAHOST_TESTS_MOCKCLOUD_UPLOAD_REQUESTS_H_
#define AMAHOST_TESTS_MOCKCLOUD_UPLOAD_REQUESTS_H_

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/http.h"
#include "codec/compression.h"
#include "mockcloud/mockcloud_fixture.h"

// Uploads as amahost and Logs Ingestion clients send them, for the tests of a real mockcloud.
namespace mockcloud_test {

inline constexpr char kVmPath[] =
    "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm-1";
inline constexpr char kOdsPath[] = "/OperationalData.svc/PostJsonDataItems?api-version=2016-04-01";

inline rapidjson::Document ParseJsonText(const std::string& text) {
  rapidjson::Document document;
  document.Parse(text.data(), text.size());
  INFO(text);
  REQUIRE_FALSE(document.HasParseError());
  return document;
}

// `value` as compact JSON text.
inline std::string Compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// The "code" of a JSON error body; "" when there is none.
inline std::string ErrorCode(const base::HttpResponse& response) {
  rapidjson::Document body;
  body.Parse(response.body.data(), response.body.size());
  if (body.HasParseError() || !body.IsObject() || !body.HasMember("error")) return "";
  return body["error"]["code"].GetString();
}

// An ODS body of `data_type` whose DataItems are the JSON array `items`.
inline std::string OdsBody(std::string_view data_type, std::string_view items) {
  return std::string(R"({"DataType":")") + std::string(data_type) +
         R"(","IPName":"ChangeTracking","ManagementGroupId":"00000000-0000-0000-0000-000000000002","DataItems":)" +
         std::string(items) + "}";
}

// The usual ODS headers: JSON, deflate, the agent's resource id, the token when not empty, the
// request id when not empty.
inline std::vector<base::HttpHeader> OdsHeaders(const std::string& token,
                                                const std::string& request_id = "") {
  std::vector<base::HttpHeader> headers = {{"Content-Type", "application/json"},
                                           {"Content-Encoding", "deflate"},
                                           {"x-ms-AzureResourceId", kVmPath}};
  if (!token.empty()) headers.push_back({"Authorization", "Bearer " + token});
  if (!request_id.empty()) headers.push_back({"X-Request-ID", request_id});
  return headers;
}

// An ODS upload as amahost sends it: `json` deflated (a zlib stream) with OdsHeaders.
inline base::HttpResponse PostOds(testing::MockCloudProcess& cloud, const std::string& token,
                                  const std::string& json, const std::string& request_id = "") {
  return cloud.Send("POST", kOdsPath, codec::Compress(json, codec::Compression::kZlib),
                    OdsHeaders(token, request_id));
}

// The Logs Ingestion path of `stream` in DCR `immutable_id`.
inline std::string LogsPath(std::string_view stream, std::string_view immutable_id = "dcr-1",
                            std::string_view api_version = "2023-01-01") {
  return "/dataCollectionRules/" + std::string(immutable_id) + "/streams/" + std::string(stream) +
         "?api-version=" + std::string(api_version);
}

// A Logs Ingestion upload: `json` gzipped unless `gzip` is false.
inline base::HttpResponse PostLogs(testing::MockCloudProcess& cloud, const std::string& token,
                                   std::string_view stream, const std::string& json,
                                   const std::string& request_id = "", bool gzip = true) {
  std::vector<base::HttpHeader> headers = {{"Content-Type", "application/json"}};
  if (gzip) headers.push_back({"Content-Encoding", "gzip"});
  if (!token.empty()) headers.push_back({"Authorization", "Bearer " + token});
  if (!request_id.empty()) headers.push_back({"x-ms-client-request-id", request_id});
  return cloud.Send("POST", LogsPath(stream),
                    gzip ? codec::Compress(json, codec::Compression::kGzip) : json, headers);
}

}  // namespace mockcloud_test

#endif  // AMAHOST_TESTS_MOCKCLOUD_UPLOAD_REQUESTS_H_
