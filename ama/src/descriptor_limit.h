#ifndef AMAHOST_AMA_SRC_DESCRIPTOR_LIMIT_H_
#define AMAHOST_AMA_SRC_DESCRIPTOR_LIMIT_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace ama {

// The process's descriptor limit (RLIMIT_NOFILE) and what the host makes of it: every stream
// table holds three descriptors, every connection one, and the rest (listeners, HTTP, log) a
// few. A service started with systemd's default soft limit of 1024 would fail at about 300
// tables, so the soft limit is raised to the hard one at start.
struct DescriptorBudget {
  std::uint64_t before = 0;     // the soft limit found
  std::uint64_t limit = 0;      // the soft limit now
  std::size_t connections = 0;  // descriptors kept for connections
  std::size_t tables = 0;       // tables that fit in what is left (StoreOptions::max_tables)

  // "descriptors: limit 524288 (raised from 1024): room for 174420 tables beside 1024
  // connections".
  std::string Describe() const;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (capped at 1,048,576 so that the tables
// figure stays sane with an unlimited hard limit) and computes the budget for `max_connections`.
// A limit that cannot be read or raised is used as it is.
DescriptorBudget RaiseDescriptorLimit(std::size_t max_connections);

// The budget for a given limit (pure; what RaiseDescriptorLimit computes).
DescriptorBudget BudgetFor(std::uint64_t before, std::uint64_t limit, std::size_t max_connections);

}  // namespace ama

#endif  // AMAHOST_AMA_SRC_DESCRIPTOR_LIMIT_H_
