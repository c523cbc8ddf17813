#ifndef AMAHOST_AMA_AGENT_SETTINGS_H_
#define AMAHOST_AMA_AGENT_SETTINGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dcr/model.h"

namespace ama {

// The AgentSettings the host applies (docs/protocol.md §1, §4):
//   MaxDiskQuotaInMB         the local store's quota, 4000–1000000 (Azure's range; default 10000)
//   DiskQuotaUsageInPercent  (ours) the share of the filesystem holding the tables the store may
//                            use, 50–100 (default 100): the quota is the smaller of the two
// A value out of range or not a whole number is refused with an error and the previous value
// kept. Pure.
struct QuotaSettings {
  std::uint64_t max_disk_quota_mb = 10000;
  std::uint32_t usage_percent = 100;
};

inline constexpr std::uint64_t kMinDiskQuotaMb = 4000;
inline constexpr std::uint64_t kMaxDiskQuotaMb = 1000000;

// Applies `settings` on top of `previous`; every refused value is described in `errors`.
QuotaSettings ApplyAgentSettings(const dcr::AgentSettings& settings, const QuotaSettings& previous,
                                 std::vector<std::string>* errors);

// The quota in bytes: MaxDiskQuotaInMB, or usage_percent of `filesystem_bytes` when that is
// smaller (0 = unknown, ignored), or `cap_mb` (the host's --max-disk-quota-mb) when that is
// smaller still.
std::uint64_t QuotaBytes(const QuotaSettings& settings, std::optional<std::uint64_t> cap_mb,
                         std::uint64_t filesystem_bytes);

}  // namespace ama

#endif  // AMAHOST_AMA_AGENT_SETTINGS_H_
