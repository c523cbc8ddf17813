#include "collector.h"

#include <fmt/format.h>

#include <ctime>

namespace ctagent {

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kSoftware:
      return "Software";
    case Kind::kDaemons:
      return "Daemons";
    case Kind::kFiles:
      return "Files";
  }
  return "?";
}

std::error_code MergedCollector::Collect(Items* items) {
  items->clear();
  for (const auto& part : parts_) {
    Items found;
    if (std::error_code ec = part->Collect(&found)) return ec;
    items->merge(found);
  }
  return {};
}

std::filesystem::path UnderRoot(const std::filesystem::path& root, std::string_view machine_path) {
  // "/" + anything, normalised, cannot climb above "/" ("/../x" is "/x"), so the result cannot
  // leave the root whatever the name holds.
  std::filesystem::path machine =
      (std::filesystem::path("/") / std::filesystem::path(machine_path).relative_path())
          .lexically_normal();
  if (root.empty() || root == "/") return machine;
  return root / machine.relative_path();
}

std::string FormatTime(std::int64_t seconds, std::int64_t nanoseconds) {
  std::time_t time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  ::gmtime_r(&time, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     nanoseconds / 1000000);
}

}  // namespace ctagent
