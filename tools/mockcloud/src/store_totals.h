#ifndef AMAHOST_MOCKCLOUD_STORE_TOTALS_H_
#define AMAHOST_MOCKCLOUD_STORE_TOTALS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "mockcloud/item_store.h"

namespace mockcloud {

// The running totals every ItemStore answers Stats() from, so that asking costs nothing however
// much was stored. Thread-compatible: the store that owns it holds its lock.
class StoreTotals {
 public:
  // Counts one recorded request (its `duplicate` already decided).
  void Add(const UploadRecord& record) {
    ++stats_.requests;
    if (record.status < 200 || record.status > 299) return;
    ++stats_.accepted;
    if (record.duplicate) {
      ++stats_.duplicates;
      return;
    }
    AddItems(record.data_type, record.item_count, record.json_bytes, record.body_bytes);
  }
  // Counts items kept before (a store loading its file).
  void AddItems(std::string_view data_type, std::uint64_t items, std::uint64_t json_bytes,
                std::uint64_t body_bytes) {
    stats_.items += items;
    stats_.json_bytes += json_bytes;
    stats_.body_bytes += body_bytes;
    // A request with no items names a data type without adding one.
    if (items > 0) per_type_[std::string(data_type)] += items;
  }
  void AddRequests(std::uint64_t requests, std::uint64_t accepted, std::uint64_t duplicates) {
    stats_.requests += requests;
    stats_.accepted += accepted;
    stats_.duplicates += duplicates;
  }

  StoreStats Snapshot() const {
    StoreStats stats = stats_;
    stats.items_per_data_type.assign(per_type_.begin(), per_type_.end());
    return stats;
  }
  // Items of `data_type`; all of them when empty.
  std::uint64_t Items(std::string_view data_type) const {
    if (data_type.empty()) return stats_.items;
    auto found = per_type_.find(data_type);
    return found == per_type_.end() ? 0 : found->second;
  }
  void Clear() {
    stats_ = StoreStats{};
    per_type_.clear();
  }

 private:
  StoreStats stats_;  // items_per_data_type unused: per_type_ holds them
  std::map<std::string, std::uint64_t, std::less<>> per_type_;
};

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_STORE_TOTALS_H_
