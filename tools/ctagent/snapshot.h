#ifndef AMAHOST_TOOLS_CTAGENT_SNAPSHOT_H_
#define AMAHOST_TOOLS_CTAGENT_SNAPSHOT_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "collector.h"
#include "records.h"

namespace sqlite_util {
class Database;
}  // namespace sqlite_util

namespace ctagent {

// A record waiting for the host's ack.
struct PendingRecord {
  std::int64_t id = 0;
  Record record;
};

// ctagent's state folder: `snapshot.db` (SQLite) holding the last collection of each kind, when
// each kind's inventory was last sent, and the records not acknowledged yet (the outbox), plus
// the readable exports Packages.json, Services.json and File.json beside it. A collection's new
// snapshot and the records it produced are committed in one transaction, so a crash never loses
// a change nor reports one twice. The outbox holds at most `max_pending` records: past that the
// oldest go, counted (dropped()). Thread-compatible.
class Snapshot {
 public:
  // An empty `folder`: an in-memory snapshot with no exports (for --dry-run without state).
  static std::error_code Open(const std::filesystem::path& folder, std::size_t max_pending,
                              std::unique_ptr<Snapshot>* snapshot, std::string* error);
  ~Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // Whether a collection of `kind` was committed before, and its items.
  bool Has(Kind kind);
  std::error_code Load(Kind kind, Items* items);
  // Unix seconds of the last inventory of `kind`, if any.
  std::optional<std::int64_t> LastInventory(Kind kind);

  // Replaces `kind`'s items, queues `records`, and notes `inventory_time` when given; then
  // rewrites the kind's export file.
  std::error_code Commit(Kind kind, const Items& items, const std::vector<Record>& records,
                         std::int64_t now, std::optional<std::int64_t> inventory_time);

  // The oldest `limit` records of the outbox, oldest first.
  std::error_code Pending(std::size_t limit, std::vector<PendingRecord>* records);
  // Removes acknowledged records.
  std::error_code Forget(const std::vector<std::int64_t>& ids);
  std::int64_t PendingCount();
  std::int64_t dropped();

  const std::string& last_error() const { return last_error_; }

 private:
  Snapshot(std::unique_ptr<sqlite_util::Database> db, std::filesystem::path folder,
           std::size_t max_pending);
  std::error_code Exec(const char* sql);
  std::error_code Fail(const char* what);
  std::error_code WriteExport(Kind kind, const Items& items);

  std::unique_ptr<sqlite_util::Database> db_;
  std::filesystem::path folder_;
  std::size_t max_pending_;
  std::string last_error_;
};

// The export file of a kind: Packages.json, Services.json, File.json.
const char* ExportName(Kind kind);

}  // namespace ctagent

#endif  // AMAHOST_TOOLS_CTAGENT_SNAPSHOT_H_
