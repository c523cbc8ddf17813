#ifndef AMAHOST_MOCKCLOUD_ITEM_STORE_H_
#define AMAHOST_MOCKCLOUD_ITEM_STORE_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mockcloud/data_items.h"

namespace mockcloud {

// One upload request as mockcloud answered it, accepted or not.
struct UploadRecord {
  std::string endpoint;     // "ods" or "logs"
  std::string request_id;   // X-Request-ID (ods) or x-ms-client-request-id (logs); may be empty
  std::string data_type;    // DataType (ods) or the stream (logs); empty if never parsed
  std::string ip_name;      // IPName (ods); empty for logs
  std::string resource_id;  // x-ms-AzureResourceId
  int status = 0;           // what the client was answered
  bool duplicate = false;   // an accepted request whose X-Request-ID was already accepted
  std::size_t item_count = 0;
  std::int64_t received_ms = 0;  // Unix time in milliseconds
  std::string message;           // why it was refused; empty when accepted
  // The request's headers as one JSON object, {"Name":"value",…} with names as sent (a name sent
  // several times: its values joined by ", "), Authorization redacted. See RequestHeadersJson.
  std::string headers_json = "{}";
  std::uint64_t body_bytes = 0;  // the body as sent
  std::uint64_t json_bytes = 0;  // the body once its Content-Encoding is undone; 0 if never done
  // What the schema check made of its items, as JSON (SchemaResultJson); "null" when it was
  // refused before its items were read.
  std::string schema_json = "null";
};

// One kept item with where it came from (GET /_mock/items?meta=true).
struct StoredItem {
  std::string text;  // the item's compact JSON
  std::string data_type;
  std::string ip_name;
  std::string request_id;
  std::string resource_id;
  std::int64_t received_ms = 0;  // Unix time in milliseconds
};

struct StoreStats {
  std::uint64_t items = 0;     // DataItems of accepted requests, duplicates left out
  std::uint64_t requests = 0;  // every upload request, refused ones included
  std::uint64_t accepted = 0;  // answered 2xx (duplicates included)
  std::uint64_t duplicates = 0;
  // The JSON bytes and the bytes as sent of the requests whose items `items` counts.
  std::uint64_t json_bytes = 0;
  std::uint64_t body_bytes = 0;
  std::vector<std::pair<std::string, std::uint64_t>> items_per_data_type;  // by name
};

// mockcloud's record of what arrived: every upload request and the items of the accepted ones.
// Three kinds, chosen at start (docs/mockcloud.md):
//
//   Open(path)    SQLite in WAL mode (<state-dir>/items.db); survives restarts; other processes
//                 may read the file meanwhile (sqlite3 CLI). SQL uses parameter binding only.
//                 64 KiB pages for a new file, a 64 MiB page cache, and a checkpoint once the
//                 WAL (items.db-wal) holds 256 MiB: one transaction per request.
//   InMemory()    the same answers, nothing on disk; lost when mockcloud stops. Unbounded: it
//                 holds every item until Clear() (POST /_mock/reset).
//   Discarding()  counts items (total, per DataType, bytes) but keeps none of them: Items()
//                 answers the count and no texts. Requests and accepted request ids are kept
//                 in memory (a few hundred bytes a request), so duplicates are still found.
//
// In every kind, a 2xx request whose non-empty request_id was accepted before is marked
// `duplicate` and its items are neither kept nor counted again. Totals are kept in memory, so
// Stats() costs nothing however much was stored.
//
// Errors are returned as false with a message in `error`. Thread-safe: every member may be called
// from any thread at once; each store serialises its own calls with a mutex.
class ItemStore {
 public:
  enum class Kind { kSqlite, kMemory, kDiscard };

  // SQLite at `path`, created if missing (a version 1 or 2 file from an older mockcloud is
  // brought to version 3 in place). Null with `error` when it cannot be opened.
  static std::unique_ptr<ItemStore> Open(const std::filesystem::path& path, std::string* error);
  static std::unique_ptr<ItemStore> InMemory();
  static std::unique_ptr<ItemStore> Discarding();

  virtual ~ItemStore() = default;
  ItemStore(const ItemStore&) = delete;
  ItemStore& operator=(const ItemStore&) = delete;

  virtual Kind kind() const = 0;
  // False for Discarding(): Items() then lists nothing.
  bool keeps_items() const { return kind() != Kind::kDiscard; }

  // Records one request and, when it was answered 2xx and is no duplicate, its items (with their
  // texts unless the store discards them; only items.count is used then). Sets
  // record->duplicate and record->item_count (= items.count). Atomic: on failure nothing of it
  // is recorded.
  virtual bool Record(UploadRecord* record, DataItems items, std::string* error) = 0;

  // Items in arrival order, of `data_type` (empty = all): at most `limit` from `offset`;
  // `*total` = how many match in all. Discarding: no items, `*total` as counted.
  virtual bool Items(std::string_view data_type, std::size_t offset, std::size_t limit,
                     std::vector<std::string>* items, std::uint64_t* total, std::string* error) = 0;

  // The same items with their request's DataType, IPName, request id, resource id and received
  // time. Discarding: no items, `*total` as counted.
  virtual bool ItemsWithMeta(std::string_view data_type, std::size_t offset, std::size_t limit,
                             std::vector<StoredItem>* items, std::uint64_t* total,
                             std::string* error) = 0;

  // Upload requests in arrival order, at most `limit` from `offset`; `*total` as above.
  virtual bool Requests(std::size_t offset, std::size_t limit, std::vector<UploadRecord>* records,
                        std::uint64_t* total, std::string* error) = 0;

  virtual bool Stats(StoreStats* stats, std::string* error) = 0;

  // Forgets every item, request and request id.
  virtual bool Clear(std::string* error) = 0;

 protected:
  ItemStore() = default;
};

// "sqlite", "memory" or "discard".
std::string_view StoreKindName(ItemStore::Kind kind);

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_ITEM_STORE_H_
