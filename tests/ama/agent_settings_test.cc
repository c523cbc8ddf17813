#include "agent_settings.h"

#include <catch2/catch.hpp>

namespace {

constexpr std::uint64_t kMb = 1024 * 1024;

dcr::AgentSettings Settings(std::vector<std::pair<std::string, std::string>> values) {
  return dcr::AgentSettings{std::move(values)};
}

}  // namespace

TEST_CASE("AgentSettings set the quota within Azure's ranges", "[ama][settings]") {
  struct Case {
    std::vector<std::pair<std::string, std::string>> values;
    std::uint64_t mb;
    std::uint32_t percent;
    const char* error;  // nullptr: accepted
  };
  const Case cases[] = {
      {{{"MaxDiskQuotaInMB", "4000"}}, 4000, 100, nullptr},
      {{{"MaxDiskQuotaInMB", " 1000000 "}}, 1000000, 100, nullptr},
      {{{"DiskQuotaUsageInPercent", "50"}}, 10000, 50, nullptr},
      {{{"MaxDiskQuotaInMB", "3999"}}, 10000, 100, "MaxDiskQuotaInMB \"3999\" refused"},
      {{{"MaxDiskQuotaInMB", "1000001"}}, 10000, 100, "from 4000 to 1000000; keeping 10000 MB"},
      {{{"MaxDiskQuotaInMB", "ten"}}, 10000, 100, "must be a whole number"},
      {{{"MaxDiskQuotaInMB", "5000.5"}}, 10000, 100, "refused"},
      {{{"MaxDiskQuotaInMB", ""}}, 10000, 100, "refused"},
      {{{"DiskQuotaUsageInPercent", "49"}}, 10000, 100, "DiskQuotaUsageInPercent \"49\" refused"},
      {{{"DiskQuotaUsageInPercent", "101"}}, 10000, 100, "from 50 to 100; keeping 100"},
      {{{"UseTimeReceivedForForwardedEvents", "true"}}, 10000, 100, nullptr},
  };
  for (const Case& c : cases) {
    CAPTURE(c.values[0].first, c.values[0].second);
    std::vector<std::string> errors;
    ama::QuotaSettings result = ama::ApplyAgentSettings(Settings(c.values), {}, &errors);
    CHECK(result.max_disk_quota_mb == c.mb);
    CHECK(result.usage_percent == c.percent);
    if (c.error == nullptr) {
      CHECK(errors.empty());
    } else {
      REQUIRE(errors.size() == 1);
      CHECK_THAT(errors[0], Catch::Contains(c.error));
    }
  }
}

TEST_CASE("A refused setting keeps the value in use, not the default", "[ama][settings]") {
  std::vector<std::string> errors;
  ama::QuotaSettings previous{.max_disk_quota_mb = 6000, .usage_percent = 80};
  ama::QuotaSettings result =
      ama::ApplyAgentSettings(Settings({{"MaxDiskQuotaInMB", "1"}}), previous, &errors);
  CHECK(result.max_disk_quota_mb == 6000);
  CHECK(result.usage_percent == 80);
  CHECK_THAT(errors.at(0), Catch::Contains("keeping 6000 MB"));
}

TEST_CASE("The quota is the smallest of the setting, the disk share and the host's cap",
          "[ama][settings]") {
  ama::QuotaSettings settings{.max_disk_quota_mb = 10000, .usage_percent = 50};
  CHECK(ama::QuotaBytes(settings, std::nullopt, 0) == 10000 * kMb);
  CHECK(ama::QuotaBytes(settings, std::nullopt, 100000 * kMb) == 10000 * kMb);
  CHECK(ama::QuotaBytes(settings, std::nullopt, 8000 * kMb) == 4000 * kMb);
  CHECK(ama::QuotaBytes(settings, 3, 8000 * kMb) == 3 * kMb);
}
