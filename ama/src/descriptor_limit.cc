#include "descriptor_limit.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>

namespace ama {
namespace {

// Listeners, the HTTP server, curl's connections, the lock file, the log: generous.
constexpr std::uint64_t kOtherDescriptors = 64;
constexpr std::uint64_t kDescriptorsPerTable = 3;
constexpr std::uint64_t kMaxLimit = 1024 * 1024;

}  // namespace

std::string DescriptorBudget::Describe() const {
  return fmt::format("descriptors: limit {}{}: room for {} tables beside {} connections", limit,
                     before != limit ? fmt::format(" (raised from {})", before) : "", tables,
                     connections);
}

DescriptorBudget BudgetFor(std::uint64_t before, std::uint64_t limit, std::size_t max_connections) {
  DescriptorBudget budget{.before = before, .limit = limit};
  // Connections may take at most a quarter of a small limit: tables matter more, and a host
  // past its descriptors refuses connections (logged) rather than losing records.
  budget.connections =
      static_cast<std::size_t>(std::min<std::uint64_t>(max_connections, limit / 4));
  const std::uint64_t reserved = budget.connections + kOtherDescriptors;
  budget.tables =
      limit > reserved ? static_cast<std::size_t>((limit - reserved) / kDescriptorsPerTable) : 1;
  budget.tables = std::max<std::size_t>(budget.tables, 1);
  return budget;
}

DescriptorBudget RaiseDescriptorLimit(std::size_t max_connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return BudgetFor(1024, 1024, max_connections);
  const std::uint64_t before = limit.rlim_cur;
  const std::uint64_t hard = limit.rlim_max == RLIM_INFINITY
                                 ? kMaxLimit
                                 : std::min<std::uint64_t>(limit.rlim_max, kMaxLimit);
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < hard) {
    limit.rlim_cur = hard;
    if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) {
      return BudgetFor(before, hard, max_connections);
    }
  }
  const std::uint64_t now =
      limit.rlim_cur == RLIM_INFINITY ? kMaxLimit : std::min<std::uint64_t>(before, kMaxLimit);
  return BudgetFor(now, now, max_connections);
}

}  // namespace ama
