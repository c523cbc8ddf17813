#ifndef AMAHOST_TESTS_SUPPORT_PROMTOOL_H_
#define AMAHOST_TESTS_SUPPORT_PROMTOOL_H_

#include <optional>
#include <string>
#include <string_view>

#include "support/process.h"

namespace testing {

// Where `promtool` is (Debian's prometheus package, which scripts/install-deps installs): the
// first in $PATH, else /usr/bin/promtool; none when it is not installed.
std::optional<std::string> FindPromtool();

// `promtool check metrics` on `exposition` (the real Prometheus parser and its lint: HELP,
// TYPE, _total on counters, units in names, …): exit 0 and nothing printed when it passes.
// None when promtool is not installed; the caller then says so (WARN) and checks nothing more.
std::optional<CommandResult> PromtoolCheckMetrics(std::string_view exposition);

// What a test prints when promtool is missing.
inline constexpr char kNoPromtool[] =
    "promtool is not installed (Debian package prometheus; scripts/install-deps installs it): "
    "the exposition was not checked by Prometheus' parser";

}  // namespace testing

#endif  // AMAHOST_TESTS_SUPPORT_PROMTOOL_H_
