#include "agent_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace ama {
namespace {

// A whole number in [min, max], spaces around allowed; nullopt otherwise.
std::optional<std::uint64_t> ParseWhole(std::string text, std::uint64_t min, std::uint64_t max) {
  while (!text.empty() && text.front() == ' ') text.erase(text.begin());
  while (!text.empty() && text.back() == ' ') text.pop_back();
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

QuotaSettings ApplyAgentSettings(const dcr::AgentSettings& settings, const QuotaSettings& previous,
                                 std::vector<std::string>* errors) {
  QuotaSettings result = previous;
  for (const auto& [name, value] : settings.settings) {
    if (name == "MaxDiskQuotaInMB") {
      if (auto parsed = ParseWhole(value, kMinDiskQuotaMb, kMaxDiskQuotaMb)) {
        result.max_disk_quota_mb = *parsed;
      } else {
        errors->push_back(fmt::format(
            "AgentSettings MaxDiskQuotaInMB \"{}\" refused: it must be a whole number of MB from "
            "{} to {}; keeping {} MB",
            value, kMinDiskQuotaMb, kMaxDiskQuotaMb, result.max_disk_quota_mb));
      }
    } else if (name == "DiskQuotaUsageInPercent") {
      if (auto parsed = ParseWhole(value, 50, 100)) {
        result.usage_percent = static_cast<std::uint32_t>(*parsed);
      } else {
        errors->push_back(fmt::format(
            "AgentSettings DiskQuotaUsageInPercent \"{}\" refused: it must be a whole number from "
            "50 to 100; keeping {}",
            value, result.usage_percent));
      }
    }
  }
  return result;
}

std::uint64_t QuotaBytes(const QuotaSettings& settings, std::optional<std::uint64_t> cap_mb,
                         std::uint64_t filesystem_bytes) {
  constexpr std::uint64_t kMb = 1024 * 1024;
  std::uint64_t bytes = settings.max_disk_quota_mb * kMb;
  if (filesystem_bytes > 0) {
    bytes = std::min(bytes, filesystem_bytes / 100 * settings.usage_percent);
  }
  if (cap_mb) bytes = std::min(bytes, *cap_mb * kMb);
  return bytes;
}

}  // namespace ama
