// The in-memory ItemStores: --memory (keeps every item) and --discard (counts them only).

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "base/thread_annotations.h"
#include "mockcloud/item_store.h"
#include "store_totals.h"

namespace mockcloud {
namespace {

// The items of one accepted request, and where they start in the list they belong to.
struct Chunk {
  std::string data_type;
  std::string ip_name;
  std::string request_id;
  std::string resource_id;
  std::int64_t received_ms = 0;
  DataItems items;
};

// An arrival-ordered list of chunks that finds the chunk holding the n-th item by binary search,
// so that reading a page from any offset costs no scan of what comes before it.
// Thread-compatible.
class ChunkList {
 public:
  void Add(std::size_t chunk, std::size_t items) {
    if (items == 0) return;
    chunks_.push_back(chunk);
    starts_.push_back(count_);
    count_ += items;
  }
  std::uint64_t count() const { return count_; }

  std::size_t size() const { return chunks_.size(); }
  // The store's index of the list's i-th chunk.
  std::size_t chunk(std::size_t i) const { return chunks_[i]; }
  // Where item number `offset` of the list is: its chunk's position in the list and its index in
  // that chunk; {size(), 0} past the end.
  std::pair<std::size_t, std::size_t> Find(std::uint64_t offset) const {
    if (offset >= count_) return {chunks_.size(), 0};
    // The last chunk starting at or before `offset`.
    auto at = std::upper_bound(starts_.begin(), starts_.end(), offset) - 1;
    return {static_cast<std::size_t>(at - starts_.begin()), static_cast<std::size_t>(offset - *at)};
  }

 private:
  std::vector<std::size_t> chunks_;    // indexes into the store's chunks
  std::vector<std::uint64_t> starts_;  // the list's item number of each one's first item
  std::uint64_t count_ = 0;
};

class MemoryItemStore final : public ItemStore {
 public:
  explicit MemoryItemStore(bool keep_items) : keep_items_(keep_items) {}

  Kind kind() const override { return keep_items_ ? Kind::kMemory : Kind::kDiscard; }

  bool Record(UploadRecord* record, DataItems items, std::string*) override {
    base::MutexLock lock(&mutex_);
    bool accepted = record->status >= 200 && record->status < 300;
    record->duplicate = false;
    record->item_count = items.count;
    if (accepted && !record->request_id.empty()) {
      record->duplicate = !accepted_ids_.insert(record->request_id).second;
    }
    if (accepted && !record->duplicate && keep_items_ && items.count > 0 && items.has_texts) {
      std::size_t index = chunks_.size();
      // The text was reserved at the body's decoded size: give back a large excess (a body full
      // of whitespace), not the few bytes of the envelope that a copy would cost more than.
      if (items.text.capacity() > items.text.size() + items.text.size() / 8 + 4096) {
        items.text.shrink_to_fit();
      }
      chunks_.push_back(Chunk{.data_type = record->data_type,
                              .ip_name = record->ip_name,
                              .request_id = record->request_id,
                              .resource_id = record->resource_id,
                              .received_ms = record->received_ms,
                              .items = std::move(items)});
      all_.Add(index, chunks_.back().items.count);
      by_type_[record->data_type].Add(index, chunks_.back().items.count);
    }
    totals_.Add(*record);
    requests_.push_back(*record);
    return true;
  }

  bool Items(std::string_view data_type, std::size_t offset, std::size_t limit,
             std::vector<std::string>* items, std::uint64_t* total, std::string*) override {
    base::MutexLock lock(&mutex_);
    items->clear();
    Visit(data_type, offset, limit, total,
          [items](const Chunk& chunk, std::size_t i) { items->emplace_back(chunk.items.Text(i)); });
    return true;
  }

  bool ItemsWithMeta(std::string_view data_type, std::size_t offset, std::size_t limit,
                     std::vector<StoredItem>* items, std::uint64_t* total, std::string*) override {
    base::MutexLock lock(&mutex_);
    items->clear();
    Visit(data_type, offset, limit, total, [items](const Chunk& chunk, std::size_t i) {
      items->push_back(StoredItem{.text = std::string(chunk.items.Text(i)),
                                  .data_type = chunk.data_type,
                                  .ip_name = chunk.ip_name,
                                  .request_id = chunk.request_id,
                                  .resource_id = chunk.resource_id,
                                  .received_ms = chunk.received_ms});
    });
    return true;
  }

  bool Requests(std::size_t offset, std::size_t limit, std::vector<UploadRecord>* records,
                std::uint64_t* total, std::string*) override {
    base::MutexLock lock(&mutex_);
    *total = requests_.size();
    records->clear();
    for (std::size_t i = offset; i < requests_.size() && records->size() < limit; ++i) {
      records->push_back(requests_[i]);
    }
    return true;
  }

  bool Stats(StoreStats* stats, std::string*) override {
    base::MutexLock lock(&mutex_);
    *stats = totals_.Snapshot();
    return true;
  }

  bool Clear(std::string*) override {
    base::MutexLock lock(&mutex_);
    // Swapped out rather than cleared, so that the memory really goes back.
    std::vector<Chunk>().swap(chunks_);
    std::vector<UploadRecord>().swap(requests_);
    std::unordered_set<std::string>().swap(accepted_ids_);
    all_ = ChunkList();
    by_type_.clear();
    totals_.Clear();
    return true;
  }

 private:
  // Calls take(chunk, index) for at most `limit` items of `data_type` (all when empty) from
  // `offset`, in arrival order; `*total` = how many match.
  template <typename Take>
  void Visit(std::string_view data_type, std::size_t offset, std::size_t limit,
             std::uint64_t* total, Take&& take) EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    *total = totals_.Items(data_type);
    const ChunkList* list = &all_;
    if (!data_type.empty()) {
      auto found = by_type_.find(std::string(data_type));
      if (found == by_type_.end()) return;
      list = &found->second;
    }
    std::size_t taken = 0;
    auto [at, first] = list->Find(offset);
    for (; at < list->size() && taken < limit; ++at, first = 0) {
      const Chunk& chunk = chunks_[list->chunk(at)];
      for (std::size_t i = first; i < chunk.items.count && taken < limit; ++i, ++taken) {
        take(chunk, i);
      }
    }
  }

  const bool keep_items_;
  base::Mutex mutex_;
  std::vector<Chunk> chunks_ GUARDED_BY(mutex_);  // accepted requests with items, in order
  ChunkList all_ GUARDED_BY(mutex_);
  std::unordered_map<std::string, ChunkList> by_type_ GUARDED_BY(mutex_);
  std::vector<UploadRecord> requests_ GUARDED_BY(mutex_);
  std::unordered_set<std::string> accepted_ids_ GUARDED_BY(mutex_);
  StoreTotals totals_ GUARDED_BY(mutex_);
};

}  // namespace

std::unique_ptr<ItemStore> ItemStore::InMemory() { return std::make_unique<MemoryItemStore>(true); }

std::unique_ptr<ItemStore> ItemStore::Discarding() {
  return std::make_unique<MemoryItemStore>(false);
}

std::string_view StoreKindName(ItemStore::Kind kind) {
  switch (kind) {
    case ItemStore::Kind::kSqlite:
      return "sqlite";
    case ItemStore::Kind::kMemory:
      return "memory";
    case ItemStore::Kind::kDiscard:
      return "discard";
  }
  return "?";
}

}  // namespace mockcloud
