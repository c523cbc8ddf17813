#include "descriptor_limit.h"

#include <sys/resource.h>

#include <catch2/catch.hpp>

TEST_CASE("The descriptor budget keeps room for connections and gives the rest to tables",
          "[ama][descriptors]") {
  // systemd's default soft limit: connections take at most a quarter, 64 stay for the rest.
  const ama::DescriptorBudget small = ama::BudgetFor(1024, 1024, 1024);
  CHECK(small.connections == 256);
  CHECK(small.tables == (1024 - 256 - 64) / 3);
  CHECK(small.Describe() == "descriptors: limit 1024: room for 234 tables beside 256 connections");

  const ama::DescriptorBudget raised = ama::BudgetFor(1024, 524288, 1024);
  CHECK(raised.connections == 1024);
  CHECK(raised.tables == (524288 - 1024 - 64) / 3);
  CHECK(raised.Describe() ==
        "descriptors: limit 524288 (raised from 1024): room for 174400 tables beside 1024 "
        "connections");

  // Never zero tables, whatever the limit.
  CHECK(ama::BudgetFor(16, 16, 1024).tables == 1);
}

TEST_CASE("RaiseDescriptorLimit raises the soft limit to the hard one", "[ama][descriptors]") {
  rlimit before{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &before) == 0);
  // Lower the soft limit first, as systemd's default would, and put it back afterwards.
  rlimit lowered = before;
  lowered.rlim_cur = std::min<rlim_t>(before.rlim_max, 512);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  const ama::DescriptorBudget budget = ama::RaiseDescriptorLimit(100);
  rlimit after{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &after) == 0);
  CHECK(budget.before == lowered.rlim_cur);
  CHECK(after.rlim_cur == (before.rlim_max == RLIM_INFINITY
                               ? rlim_t{1024 * 1024}
                               : std::min<rlim_t>(before.rlim_max, 1024 * 1024)));
  CHECK(budget.limit == after.rlim_cur);
  CHECK(budget.connections == std::min<std::size_t>(100, budget.limit / 4));
  ::setrlimit(RLIMIT_NOFILE, &before);
}
