#ifndef AMAHOST_TOOLS_CTAGENT_COLLECTOR_H_
#define AMAHOST_TOOLS_CTAGENT_COLLECTOR_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "base/logger.h"

namespace ctagent {

// What a collector gathers; the names are ConfigChangeType / ConfigDataType values.
enum class Kind { kSoftware, kDaemons, kFiles };
inline constexpr Kind kAllKinds[] = {Kind::kSoftware, Kind::kDaemons, Kind::kFiles};
const char* KindName(Kind kind);  // "Software", "Daemons", "Files"

// One package, service or file as collected: `key` identifies it from one collection to the
// next (package:architecture, unit name, path); `fields` are named as the ConfigurationData
// columns (docs/ctagent.md lists them per kind). Values are text; Size is a decimal number.
struct Item {
  std::string key;
  std::map<std::string, std::string> fields;
};
using Items = std::map<std::string, Item>;  // by key

// A collector reads one kind of item from a machine whose files are under a root folder ("/"
// for this machine, a fixture folder in tests). No path it opens is outside that root.
// Thread-compatible.
class Collector {
 public:
  virtual ~Collector() = default;
  virtual Kind kind() const = 0;
  // Replaces `items` with what is there now. An error only when nothing could be read (no
  // package database at all is not an error: an empty list); problems with single entries are
  // logged and the entry left out.
  virtual std::error_code Collect(Items* items) = 0;
};

// Collectors of one kind run one after the other as one (dpkg and rpm): their items merged
// (their keys never meet). An error when any part fails, so that a part that could not be read
// this time is not reported as removed. Thread-compatible.
class MergedCollector final : public Collector {
 public:
  MergedCollector(Kind kind, std::vector<std::unique_ptr<Collector>> parts)
      : kind_(kind), parts_(std::move(parts)) {}
  Kind kind() const override { return kind_; }
  std::error_code Collect(Items* items) override;

 private:
  Kind kind_;
  std::vector<std::unique_ptr<Collector>> parts_;
};

// `<root>/<machine path>` for an absolute machine path ("/etc/x" under "/r" → "/r/etc/x").
std::filesystem::path UnderRoot(const std::filesystem::path& root, std::string_view machine_path);

// RFC 3339 UTC with milliseconds ("2026-12-02T10:00:00.000Z"), as the datetime columns take it.
std::string FormatTime(std::int64_t seconds, std::int64_t nanoseconds = 0);

}  // namespace ctagent

#endif  // AMAHOST_TOOLS_CTAGENT_COLLECTOR_H_
