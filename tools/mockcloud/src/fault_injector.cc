#include "mockcloud/fault_injector.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "codec/json_text.h"

namespace mockcloud {
namespace {

constexpr std::pair<FaultTarget, std::string_view> kTargetNames[] = {
    {FaultTarget::kOds, "ods"},     {FaultTarget::kLogs, "logs"},
    {FaultTarget::kToken, "token"}, {FaultTarget::kControl, "control"},
    {FaultTarget::kAll, "all"},
};

bool Fail(std::string* error, std::string message) {
  *error = std::move(message);
  return false;
}

// Reads an integer member in [low, high]; absent leaves `out` alone.
bool ReadInt(const rapidjson::Value& json, const char* name, int low, int high, int* out,
             std::string* error) {
  auto member = json.FindMember(name);
  if (member == json.MemberEnd()) return true;
  if (!member->value.IsInt() || member->value.GetInt() < low || member->value.GetInt() > high) {
    return Fail(error, fmt::format("\"{}\" must be an integer from {} to {}", name, low, high));
  }
  *out = member->value.GetInt();
  return true;
}

}  // namespace

std::string_view FaultTargetName(FaultTarget target) {
  for (const auto& [value, name] : kTargetNames) {
    if (value == target) return name;
  }
  return "?";
}

std::optional<FaultTarget> ParseFaultTarget(std::string_view name) {
  for (const auto& [value, known] : kTargetNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

bool ParseFault(const rapidjson::Value& json, Fault* out, std::string* error) {
  if (!json.IsObject()) return Fail(error, "a fault must be a JSON object");
  Fault fault;
  for (const auto& member : json.GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    if (key != "target" && key != "status" && key != "count" && key != "retryAfter" &&
        key != "retryAfterDate" && key != "latencyMs" && key != "probability") {
      return Fail(error, fmt::format("unknown key {}; known: target, status, count, retryAfter, "
                                     "retryAfterDate, latencyMs, probability",
                                     codec::JsonString(key)));
    }
  }
  if (auto target = json.FindMember("target"); target != json.MemberEnd()) {
    std::optional<FaultTarget> parsed;
    if (target->value.IsString()) {
      parsed = ParseFaultTarget(
          std::string_view(target->value.GetString(), target->value.GetStringLength()));
    }
    if (!parsed) {
      return Fail(error,
                  "\"target\" must be one of \"ods\", \"logs\", \"token\", \"control\", \"all\"");
    }
    fault.target = *parsed;
  }
  if (!ReadInt(json, "status", 0, 599, &fault.status, error) ||
      !ReadInt(json, "count", 1, 1000000, &fault.count, error) ||
      !ReadInt(json, "latencyMs", 0, 60000, &fault.latency_ms, error)) {
    return false;
  }
  if (fault.status != 0 && fault.status < 400) {
    return Fail(error, "\"status\" must be 0 (latency only) or from 400 to 599");
  }
  if (json.HasMember("retryAfter")) {
    int retry_after = 0;
    if (!ReadInt(json, "retryAfter", 0, 86400, &retry_after, error)) return false;
    fault.retry_after = retry_after;
  }
  if (auto date = json.FindMember("retryAfterDate"); date != json.MemberEnd()) {
    if (!date->value.IsBool()) return Fail(error, "\"retryAfterDate\" must be true or false");
    if (date->value.GetBool() && !fault.retry_after) {
      return Fail(error, "\"retryAfterDate\" needs \"retryAfter\" (how far ahead the date is)");
    }
    fault.retry_after_date = date->value.GetBool();
  }
  if (auto probability = json.FindMember("probability"); probability != json.MemberEnd()) {
    if (!probability->value.IsNumber() || !std::isfinite(probability->value.GetDouble()) ||
        probability->value.GetDouble() < 0 || probability->value.GetDouble() > 1) {
      return Fail(error, "\"probability\" must be a number from 0 to 1");
    }
    fault.probability = probability->value.GetDouble();
  }
  *out = fault;
  return true;
}

const Fault& FaultInjector::Add(Fault fault) {
  fault.id = next_id_++;
  fault.fired = 0;
  faults_.push_back(fault);
  return faults_.back();
}

bool FaultInjector::Applies(FaultTarget target) const {
  return std::any_of(faults_.begin(), faults_.end(), [target](const Fault& fault) {
    return fault.target == target || fault.target == FaultTarget::kAll;
  });
}

std::optional<Fault> FaultInjector::Next(FaultTarget target, double draw) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->target != target && it->target != FaultTarget::kAll) continue;
    if (!(draw < it->probability)) return std::nullopt;
    ++it->fired;
    ++fired_;
    Fault hit = *it;
    if (--it->count <= 0) faults_.erase(it);
    return hit;
  }
  return std::nullopt;
}

std::size_t FaultInjector::Clear() {
  std::size_t count = faults_.size();
  faults_.clear();
  return count;
}

std::string FaultToJson(const Fault& fault) {
  return fmt::format(
      R"({{"id":{},"target":"{}","status":{},"remaining":{},"retryAfter":{},"retryAfterDate":{},"latencyMs":{},"probability":{},"fired":{}}})",
      fault.id, FaultTargetName(fault.target), fault.status, fault.count,
      fault.retry_after ? std::to_string(*fault.retry_after) : "null",
      fault.retry_after_date ? "true" : "false", fault.latency_ms, fault.probability, fault.fired);
}

std::string FaultInjector::ToJson() const {
  std::string json = "{\"faults\":[";
  for (std::size_t i = 0; i < faults_.size(); ++i) {
    if (i > 0) json += ',';
    json += FaultToJson(faults_[i]);
  }
  json += fmt::format("],\"fired\":{}}}", fired_);
  return json;
}

}  // namespace mockcloud
