#include "support/promtool.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace testing {

std::optional<std::string> FindPromtool() {
  std::string_view path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  while (!path.empty()) {
    const std::size_t colon = path.find(':');
    std::filesystem::path candidate = std::filesystem::path(path.substr(0, colon)) / "promtool";
    if (!path.substr(0, colon).empty() && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  if (::access("/usr/bin/promtool", X_OK) == 0) return "/usr/bin/promtool";
  return std::nullopt;
}

std::optional<CommandResult> PromtoolCheckMetrics(std::string_view exposition) {
  std::optional<std::string> promtool = FindPromtool();
  if (!promtool) return std::nullopt;
  return RunCommand({*promtool, "check", "metrics"}, exposition);
}

}  // namespace testing
