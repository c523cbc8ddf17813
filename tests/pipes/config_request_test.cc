#include "pipes/config_request.h"

#include <catch2/catch.hpp>

#include "codec/json_parse.h"
#include "pipes/client.h"
#include "rapidjson/document.h"

TEST_CASE("ParseConfigRequest reads the AgentTaggedData request", "[pipes][config]") {
  pipes::ConfigRequest request;
  std::string error;
  REQUIRE(pipes::ParseConfigRequest(
      R"({"Request":"AgentTaggedData","RequestId":"r-1","Tag":"ChangeTracking-Linux","Version":"1"})",
      &request, &error));
  CHECK(request.request == "AgentTaggedData");
  CHECK(request.request_id == "r-1");
  CHECK(request.tag == "ChangeTracking-Linux");
  CHECK(request.version == "1");
}

TEST_CASE("ParseConfigRequest says what is wrong and keeps the RequestId", "[pipes][config]") {
  struct Case {
    const char* json;
    const char* reason;
    const char* request_id;
  };
  const Case cases[] = {
      {"{", "not valid JSON", ""},
      {"[]", "must be a JSON object", ""},
      {R"({"RequestId":"x","Tag":"a"})", "no \"Request\"", "x"},
      {R"({"RequestId":"x","Request":"AgentTaggedData"})", "no \"Tag\"", "x"},
      {R"({"RequestId":"x","Request":"AgentTaggedData","Tag":5})", "\"Tag\" must be a string", "x"},
      {R"({"RequestId":7})", "\"RequestId\" must be a string", ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.json);
    pipes::ConfigRequest request;
    std::string error;
    CHECK_FALSE(pipes::ParseConfigRequest(c.json, &request, &error));
    CHECK_THAT(error, Catch::Contains(c.reason));
    CHECK(request.request_id == c.request_id);
  }
}

TEST_CASE("BuildConfigReply writes plain JSON with TaggedData as a string", "[pipes][config]") {
  pipes::ConfigRequest request{"AgentTaggedData", "r-\"1", "CT", "1"};
  std::string reply = pipes::BuildConfigReply(request, true, "", R"({"schemaVersion":1})");
  CHECK(reply == R"({"Request":"AgentTaggedData","RequestId":"r-\"1","Version":"1","Success":true,)"
                 R"("Description":"","TaggedData":"{\"schemaVersion\":1}"})");
  rapidjson::Document parsed;
  parsed.Parse(reply.c_str());
  REQUIRE(parsed.IsObject());
  CHECK(std::string(parsed["TaggedData"].GetString()) == R"({"schemaVersion":1})");
}

TEST_CASE("JsonObjectScanner finds the end of an object arriving piecemeal", "[pipes][config]") {
  std::string text = R"({"a":"x}\"{","b":[1,{"c":2}]})";
  std::string stream = text + R"({"next":1})";
  pipes::JsonObjectScanner scanner;
  for (std::size_t n = 1; n < text.size(); ++n) {
    REQUIRE(scanner.Scan(std::string_view(stream).substr(0, n)) ==
            pipes::JsonObjectScanner::Status::kNeedMore);
  }
  REQUIRE(scanner.Scan(stream) == pipes::JsonObjectScanner::Status::kComplete);
  CHECK(scanner.size() == text.size());
}

TEST_CASE("JsonObjectScanner refuses oversized, too deep and unbalanced text", "[pipes][config]") {
  pipes::JsonObjectScanner deep;
  CHECK(deep.Scan(std::string(40, '{')) == pipes::JsonObjectScanner::Status::kInvalid);
  pipes::JsonObjectScanner big;
  std::string huge = "{\"a\":\"" + std::string(pipes::kMaxConfigRequestBytes, 'x');
  CHECK(big.Scan(huge) == pipes::JsonObjectScanner::Status::kInvalid);
  pipes::JsonObjectScanner unbalanced;
  CHECK(unbalanced.Scan("}") == pipes::JsonObjectScanner::Status::kInvalid);
}

TEST_CASE("JsonObjectScanner takes a larger object when given a larger bound, as replies need",
          "[pipes][config]") {
  // Regression: clients read replies with the requests' 64 KiB bound, so a TaggedData with large
  // extensionSettings (or a busy host's status) could not be read at all.
  const std::string reply =
      "{\"a\":\"" + std::string(3 * pipes::kMaxConfigRequestBytes, 'x') + "\"}";
  pipes::JsonObjectScanner request_bound;
  CHECK(request_bound.Scan(reply) == pipes::JsonObjectScanner::Status::kInvalid);
  pipes::JsonObjectScanner reply_bound(pipes::Client::kMaxReplyBytes);
  REQUIRE(reply_bound.Scan(reply) == pipes::JsonObjectScanner::Status::kComplete);
  CHECK(reply_bound.size() == reply.size());
  reply_bound.Reset();
  CHECK(reply_bound.Scan(reply) == pipes::JsonObjectScanner::Status::kComplete);
  // And piecemeal, as it arrives from a socket: past 64 KiB it still asks for more.
  pipes::JsonObjectScanner piecemeal(pipes::Client::kMaxReplyBytes);
  const std::size_t half = reply.size() / 2;
  CHECK(piecemeal.Scan(std::string_view(reply).substr(0, half)) ==
        pipes::JsonObjectScanner::Status::kNeedMore);
  CHECK(piecemeal.Scan(reply) == pipes::JsonObjectScanner::Status::kComplete);
}

TEST_CASE("Requests with text that is not UTF-8 are refused, so replies stay valid JSON",
          "[pipes][config]") {
  // Found by fuzzing: the reply echoed the bytes and was not JSON any more.
  const std::string bad[] = {
      "{\"Request\":\"Ag\xc0\",\"RequestId\":\"r6\",\"Tag\":\"t\"}",
      "{\"Request\":\"AgentTaggedData\",\"RequestId\":\"\\udddd\",\"Tag\":\"t\"}",
      "{\"Request\":\"AgentTaggedData\",\"RequestId\":\"r\",\"Tag\":\"\xed\xa0\x80\"}",
  };
  for (const std::string& json : bad) {
    CAPTURE(json);
    pipes::ConfigRequest request;
    std::string error;
    CHECK_FALSE(pipes::ParseConfigRequest(json, &request, &error));
    CHECK_THAT(error, Catch::Contains("UTF-8"));
    std::string reply = pipes::BuildConfigReply(request, false, "malformed request: " + error, "");
    rapidjson::Document parsed;
    std::string parse_error;
    CHECK(codec::ParseJson(reply, &parsed, &parse_error));
  }
}
