#include "mockcloud/fault_injector.h"

#include <catch2/catch.hpp>

#include "codec/json_parse.h"

namespace mockcloud {
namespace {

Fault Parse(std::string_view json) {
  rapidjson::Document document;
  std::string error;
  REQUIRE(codec::ParseJson(json, &document, &error));
  Fault fault;
  INFO(error);
  REQUIRE(ParseFault(document, &fault, &error));
  return fault;
}

std::string ParseError(std::string_view json) {
  rapidjson::Document document;
  std::string error;
  REQUIRE(codec::ParseJson(json, &document, &error));
  Fault fault;
  REQUIRE_FALSE(ParseFault(document, &fault, &error));
  return error;
}

TEST_CASE("ParseFault reads every field and applies defaults", "[faults]") {
  Fault fault = Parse(
      R"({"target":"ods","status":503,"count":2,"retryAfter":1,"latencyMs":250,"probability":0.5})");
  CHECK(fault.target == FaultTarget::kOds);
  CHECK(fault.status == 503);
  CHECK(fault.count == 2);
  CHECK(fault.retry_after == 1);
  CHECK(fault.latency_ms == 250);
  CHECK(fault.probability == 0.5);

  Fault defaults = Parse("{}");
  CHECK(defaults.target == FaultTarget::kAll);
  CHECK(defaults.status == 503);
  CHECK(defaults.count == 1);
  CHECK_FALSE(defaults.retry_after);
  CHECK(defaults.latency_ms == 0);
  CHECK(defaults.probability == 1.0);

  CHECK(Parse(R"({"status":0,"latencyMs":10})").status == 0);
  CHECK_FALSE(defaults.retry_after_date);
  CHECK(Parse(R"({"retryAfter":3,"retryAfterDate":true})").retry_after_date);
}

TEST_CASE("ParseFault says what is wrong", "[faults]") {
  struct Case {
    const char* json;
    const char* message_part;
  };
  const Case cases[] = {
      {"[]", "JSON object"},
      {R"({"target":"disk"})", "\"target\" must be one of"},
      {R"({"target":3})", "\"target\" must be one of"},
      {R"({"status":200})", "\"status\" must be 0"},
      {R"({"status":600})", "\"status\" must be an integer from 0 to 599"},
      {R"({"status":"503"})", "\"status\" must be an integer"},
      {R"({"count":0})", "\"count\" must be an integer from 1"},
      {R"({"retryAfter":-1})", "\"retryAfter\" must be an integer from 0"},
      {R"({"latencyMs":60001})", "\"latencyMs\" must be an integer from 0 to 60000"},
      {R"({"probability":1.5})", "\"probability\" must be a number from 0 to 1"},
      {R"({"probability":"x"})", "\"probability\" must be a number"},
      {R"({"statsu":503})", "unknown key \"statsu\""},
      {R"({"retryAfterDate":true})", "\"retryAfterDate\" needs \"retryAfter\""},
      {R"({"retryAfter":1,"retryAfterDate":1})", "\"retryAfterDate\" must be true or false"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.json);
    CHECK_THAT(ParseError(c.json), Catch::Contains(c.message_part));
  }
}

TEST_CASE("FaultInjector applies a rule `count` times to matching targets only", "[faults]") {
  FaultInjector faults;
  Fault rule;
  rule.target = FaultTarget::kOds;
  rule.status = 503;
  rule.count = 2;
  rule.retry_after = 1;
  faults.Add(rule);

  CHECK_FALSE(faults.Next(FaultTarget::kToken, 0.0));
  CHECK_FALSE(faults.Next(FaultTarget::kControl, 0.0));
  std::optional<Fault> first = faults.Next(FaultTarget::kOds, 0.0);
  REQUIRE(first);
  CHECK(first->status == 503);
  CHECK(first->retry_after == 1);
  CHECK(faults.Next(FaultTarget::kOds, 0.0));
  CHECK_FALSE(faults.Next(FaultTarget::kOds, 0.0));
  CHECK(faults.faults().empty());
  CHECK(faults.fired() == 2);
}

TEST_CASE("FaultInjector draws against the probability and only a hit uses the count", "[faults]") {
  FaultInjector faults;
  Fault rule;
  rule.probability = 0.25;
  rule.count = 1;
  faults.Add(rule);
  CHECK_FALSE(faults.Next(FaultTarget::kLogs, 0.25));
  CHECK_FALSE(faults.Next(FaultTarget::kLogs, 0.99));
  CHECK(faults.faults().size() == 1);
  CHECK(faults.Next(FaultTarget::kLogs, 0.24));
  CHECK(faults.faults().empty());

  Fault never;
  never.probability = 0.0;
  faults.Add(never);
  CHECK_FALSE(faults.Next(FaultTarget::kOds, 0.0));
}

TEST_CASE("FaultInjector applies rules in the order they were added", "[faults]") {
  FaultInjector faults;
  Fault first;
  first.status = 500;
  Fault second;
  second.status = 429;
  faults.Add(first);
  faults.Add(second);
  CHECK(faults.Next(FaultTarget::kControl, 0.0)->status == 500);
  CHECK(faults.Next(FaultTarget::kControl, 0.0)->status == 429);
  CHECK_FALSE(faults.Next(FaultTarget::kControl, 0.0));

  faults.Add(first);
  CHECK(faults.Clear() == 1);
  CHECK_FALSE(faults.Next(FaultTarget::kControl, 0.0));
}

TEST_CASE("FaultInjector lists its rules as JSON", "[faults]") {
  FaultInjector faults;
  Fault rule;
  rule.target = FaultTarget::kToken;
  rule.count = 3;
  faults.Add(rule);
  rapidjson::Document document;
  std::string error;
  REQUIRE(codec::ParseJson(faults.ToJson(), &document, &error));
  REQUIRE(document["faults"].Size() == 1);
  const rapidjson::Value& listed = document["faults"][0];
  CHECK(listed["id"].GetInt() == 1);
  CHECK(std::string(listed["target"].GetString()) == "token");
  CHECK(listed["remaining"].GetInt() == 3);
  CHECK(listed["retryAfter"].IsNull());
}

}  // namespace
}  // namespace mockcloud
