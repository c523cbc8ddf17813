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

struct sqlite3;

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
};

struct StoreStats {
  std::uint64_t items = 0;
  std::uint64_t requests = 0;  // every upload request, refused ones included
  std::uint64_t accepted = 0;  // answered 2xx (duplicates included)
  std::uint64_t duplicates = 0;
  std::vector<std::pair<std::string, std::uint64_t>> items_per_data_type;  // by name
};

// mockcloud's record of what arrived: <state-dir>/items.db, SQLite in WAL mode. Survives restarts;
// Clear() empties it. SQL uses parameter binding only.
//
// Errors are returned as false with a message in `error`. Thread-compatible (mockcloud calls it
// from its one io thread); other processes may read the file meanwhile (sqlite3 CLI).
class ItemStore {
 public:
  static std::unique_ptr<ItemStore> Open(const std::filesystem::path& path, std::string* error);
  ~ItemStore();
  ItemStore(const ItemStore&) = delete;
  ItemStore& operator=(const ItemStore&) = delete;

  // Records one request and, when it was answered 2xx, its items (compact JSON texts) in one
  // transaction. A 2xx request whose non-empty request_id was accepted before is marked
  // `duplicate` (set in `*record`) and its items are not stored again.
  bool Record(UploadRecord* record, const std::vector<std::string>& items, std::string* error);

  // Items in arrival order, of `data_type` (empty = all): at most `limit` from `offset`;
  // `*total` = how many match in all.
  bool Items(std::string_view data_type, std::size_t offset, std::size_t limit,
             std::vector<std::string>* items, std::uint64_t* total, std::string* error);

  // Upload requests in arrival order, at most `limit` from `offset`; `*total` as above.
  bool Requests(std::size_t offset, std::size_t limit, std::vector<UploadRecord>* records,
                std::uint64_t* total, std::string* error);

  bool Stats(StoreStats* stats, std::string* error);

  // Deletes every item and request.
  bool Clear(std::string* error);

 private:
  explicit ItemStore(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_ITEM_STORE_H_
