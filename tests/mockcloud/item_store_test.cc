#include "mockcloud/item_store.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "support/temp_dir.h"

namespace mockcloud {
namespace {

UploadRecord Accepted(std::string request_id, std::string data_type) {
  UploadRecord record;
  record.endpoint = "ods";
  record.request_id = std::move(request_id);
  record.data_type = std::move(data_type);
  record.ip_name = "ChangeTracking";
  record.status = 200;
  record.received_ms = 1795315726123;
  return record;
}

TEST_CASE("ItemStore keeps items in arrival order and filters by DataType", "[store]") {
  testing::TempDir dir;
  std::string error;
  std::unique_ptr<ItemStore> store = ItemStore::Open(dir / "items.db", &error);
  REQUIRE(store);

  UploadRecord first = Accepted("r1", "A");
  REQUIRE(store->Record(&first, {R"({"n":1})", R"({"n":2})"}, &error));
  UploadRecord second = Accepted("r2", "B");
  REQUIRE(store->Record(&second, {R"({"n":3})"}, &error));
  UploadRecord third = Accepted("", "A");
  REQUIRE(store->Record(&third, {R"({"n":4})"}, &error));

  std::vector<std::string> items;
  std::uint64_t total = 0;
  REQUIRE(store->Items("", 0, 100, &items, &total, &error));
  CHECK(total == 4);
  CHECK(items == std::vector<std::string>{R"({"n":1})", R"({"n":2})", R"({"n":3})", R"({"n":4})"});
  REQUIRE(store->Items("A", 0, 100, &items, &total, &error));
  CHECK(total == 3);
  CHECK(items == std::vector<std::string>{R"({"n":1})", R"({"n":2})", R"({"n":4})"});
  REQUIRE(store->Items("A", 1, 1, &items, &total, &error));
  CHECK(total == 3);
  CHECK(items == std::vector<std::string>{R"({"n":2})"});
  REQUIRE(store->Items("C", 0, 100, &items, &total, &error));
  CHECK(total == 0);
  CHECK(items.empty());
}

TEST_CASE("ItemStore stores an accepted request id once and counts duplicates", "[store]") {
  testing::TempDir dir;
  std::string error;
  std::unique_ptr<ItemStore> store = ItemStore::Open(dir / "items.db", &error);
  REQUIRE(store);

  UploadRecord refused = Accepted("r1", "A");
  refused.status = 503;
  refused.message = "injected fault";
  REQUIRE(store->Record(&refused, {}, &error));
  CHECK_FALSE(refused.duplicate);

  UploadRecord accepted = Accepted("r1", "A");
  REQUIRE(store->Record(&accepted, {"{}", "{}"}, &error));
  CHECK_FALSE(accepted.duplicate);  // the earlier attempt was refused, so this is the first

  UploadRecord again = Accepted("r1", "A");
  REQUIRE(store->Record(&again, {"{}", "{}"}, &error));
  CHECK(again.duplicate);

  StoreStats stats;
  REQUIRE(store->Stats(&stats, &error));
  CHECK(stats.items == 2);
  CHECK(stats.requests == 3);
  CHECK(stats.accepted == 2);
  CHECK(stats.duplicates == 1);
  REQUIRE(stats.items_per_data_type.size() == 1);
  CHECK(stats.items_per_data_type[0] == std::make_pair(std::string("A"), std::uint64_t{2}));

  std::vector<UploadRecord> requests;
  std::uint64_t total = 0;
  REQUIRE(store->Requests(0, 10, &requests, &total, &error));
  REQUIRE(total == 3);
  CHECK(requests[0].status == 503);
  CHECK(requests[0].message == "injected fault");
  CHECK(requests[1].item_count == 2);
  CHECK(requests[2].duplicate);
  CHECK(requests[2].received_ms == 1795315726123);
}

TEST_CASE("ItemStore survives a reopen and empties on Clear", "[store]") {
  testing::TempDir dir;
  std::string error;
  {
    std::unique_ptr<ItemStore> store = ItemStore::Open(dir / "items.db", &error);
    REQUIRE(store);
    UploadRecord record = Accepted("r1", "A");
    REQUIRE(store->Record(&record, {"{}"}, &error));
  }
  std::unique_ptr<ItemStore> store = ItemStore::Open(dir / "items.db", &error);
  REQUIRE(store);
  StoreStats stats;
  REQUIRE(store->Stats(&stats, &error));
  CHECK(stats.items == 1);
  UploadRecord again = Accepted("r1", "A");
  REQUIRE(store->Record(&again, {"{}"}, &error));
  CHECK(again.duplicate);

  REQUIRE(store->Clear(&error));
  REQUIRE(store->Stats(&stats, &error));
  CHECK(stats.items == 0);
  CHECK(stats.requests == 0);
}

TEST_CASE("ItemStore reports a file it cannot open", "[store]") {
  testing::TempDir dir;
  std::string error;
  CHECK_FALSE(ItemStore::Open(dir / "missing" / "items.db", &error));
  CHECK_THAT(error, Catch::Contains("items.db"));
}

// Every kind of store, as mockcloud opens it.
std::unique_ptr<ItemStore> OpenStore(ItemStore::Kind kind, const testing::TempDir& dir) {
  std::string error;
  switch (kind) {
    case ItemStore::Kind::kSqlite: {
      std::unique_ptr<ItemStore> store = ItemStore::Open(dir / "items.db", &error);
      INFO(error);
      REQUIRE(store);
      return store;
    }
    case ItemStore::Kind::kMemory:
      return ItemStore::InMemory();
    case ItemStore::Kind::kDiscard:
      return ItemStore::Discarding();
  }
  return nullptr;
}

TEST_CASE("Every kind of ItemStore counts, pages and finds duplicates alike", "[store]") {
  for (ItemStore::Kind kind :
       {ItemStore::Kind::kSqlite, ItemStore::Kind::kMemory, ItemStore::Kind::kDiscard}) {
    CAPTURE(StoreKindName(kind));
    testing::TempDir dir;
    std::unique_ptr<ItemStore> store = OpenStore(kind, dir);
    CHECK(store->kind() == kind);
    std::string error;

    UploadRecord refused = Accepted("r0", "A");
    refused.status = 400;
    refused.body_bytes = 7;
    REQUIRE(store->Record(&refused, {}, &error));
    UploadRecord first = Accepted("r1", "A");
    first.headers_json = R"({"X-Request-ID":"r1"})";
    first.schema_json = R"({"checked":false,"reason":"x"})";
    first.resource_id = "/subscriptions/s";
    first.body_bytes = 10;
    first.json_bytes = 30;
    REQUIRE(store->Record(&first, {R"({"n":1})", R"({"n":2})"}, &error));
    UploadRecord second = Accepted("r2", "B");
    second.body_bytes = 5;
    second.json_bytes = 9;
    REQUIRE(store->Record(&second, {R"({"n":3})"}, &error));
    UploadRecord again = Accepted("r1", "A");
    again.body_bytes = 10;
    again.json_bytes = 30;
    REQUIRE(store->Record(&again, {R"({"n":1})", R"({"n":2})"}, &error));
    CHECK(again.duplicate);
    CHECK(again.item_count == 2);
    UploadRecord third = Accepted("", "A");
    REQUIRE(store->Record(&third, {R"({"n":4})"}, &error));
    // Counted only, as --discard hands them over.
    DataItems counted;
    counted.Clear(false);
    for (int i = 0; i < 3; ++i) counted.EndItem();
    UploadRecord fourth = Accepted("r4", "C");
    if (kind == ItemStore::Kind::kDiscard) REQUIRE(store->Record(&fourth, counted, &error));

    StoreStats stats;
    REQUIRE(store->Stats(&stats, &error));
    bool discard = kind == ItemStore::Kind::kDiscard;
    CHECK(stats.items == (discard ? 7 : 4));
    CHECK(stats.requests == (discard ? 6 : 5));
    CHECK(stats.accepted == (discard ? 5 : 4));
    CHECK(stats.duplicates == 1);
    CHECK(stats.json_bytes == 39);  // the duplicate and the refused request are left out
    CHECK(stats.body_bytes == 15);
    std::vector<std::pair<std::string, std::uint64_t>> per_type = {{"A", 3}, {"B", 1}};
    if (discard) per_type.emplace_back("C", 3);
    CHECK(stats.items_per_data_type == per_type);

    std::vector<std::string> items;
    std::uint64_t total = 0;
    REQUIRE(store->Items("A", 1, 5, &items, &total, &error));
    CHECK(total == 3);
    if (discard) {
      CHECK(items.empty());
    } else {
      CHECK(items == std::vector<std::string>{R"({"n":2})", R"({"n":4})"});
      REQUIRE(store->Items("", 2, 1, &items, &total, &error));
      CHECK(total == 4);
      CHECK(items == std::vector<std::string>{R"({"n":3})"});
      REQUIRE(store->Items("", 4, 10, &items, &total, &error));
      CHECK(items.empty());
    }
    std::vector<StoredItem> with_meta;
    REQUIRE(store->ItemsWithMeta("A", 1, 2, &with_meta, &total, &error));
    CHECK(total == 3);
    if (discard) {
      CHECK(with_meta.empty());
    } else {
      REQUIRE(with_meta.size() == 2);
      CHECK(with_meta[0].text == R"({"n":2})");
      CHECK(with_meta[0].data_type == "A");
      CHECK(with_meta[0].ip_name == "ChangeTracking");
      CHECK(with_meta[0].request_id == "r1");
      CHECK(with_meta[0].resource_id == "/subscriptions/s");
      CHECK(with_meta[0].received_ms == 1795315726123);
      CHECK(with_meta[1].text == R"({"n":4})");
      CHECK(with_meta[1].request_id.empty());
    }

    std::vector<UploadRecord> requests;
    REQUIRE(store->Requests(1, 2, &requests, &total, &error));
    CHECK(total == (discard ? 6 : 5));
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].request_id == "r1");
    CHECK(requests[0].headers_json == R"({"X-Request-ID":"r1"})");
    CHECK(requests[0].body_bytes == 10);
    CHECK(requests[0].json_bytes == 30);
    CHECK(requests[0].schema_json == R"({"checked":false,"reason":"x"})");
    CHECK(requests[1].schema_json == "null");
    CHECK(requests[1].request_id == "r2");

    REQUIRE(store->Clear(&error));
    REQUIRE(store->Stats(&stats, &error));
    CHECK(stats.requests == 0);
    CHECK(stats.items_per_data_type.empty());
    UploadRecord after = Accepted("r1", "A");
    REQUIRE(store->Record(&after, {"{}"}, &error));
    CHECK_FALSE(after.duplicate);  // ids are forgotten too
  }
}

TEST_CASE("ItemStore brings a version 1 items.db to version 3 and keeps its totals", "[store]") {
  testing::TempDir dir;
  {
    // What mockcloud's first schema looked like, with one request and one item.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "items.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, R"sql(
      CREATE TABLE requests(id INTEGER PRIMARY KEY, endpoint TEXT NOT NULL,
        request_id TEXT NOT NULL, data_type TEXT NOT NULL, ip_name TEXT NOT NULL,
        resource_id TEXT NOT NULL, status INTEGER NOT NULL, duplicate INTEGER NOT NULL,
        item_count INTEGER NOT NULL, received_ms INTEGER NOT NULL, message TEXT NOT NULL);
      CREATE TABLE items(id INTEGER PRIMARY KEY, request INTEGER NOT NULL,
        data_type TEXT NOT NULL, ip_name TEXT NOT NULL, request_id TEXT NOT NULL,
        resource_id TEXT NOT NULL, received_ms INTEGER NOT NULL, item TEXT NOT NULL);
      INSERT INTO requests VALUES(1, 'ods', 'r1', 'A', 'IP', '', 200, 0, 1, 1, '');
      INSERT INTO items VALUES(1, 1, 'A', 'IP', 'r1', '', 1, '{"old":true}');
      PRAGMA user_version=1;)sql",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  std::string error;
  std::unique_ptr<ItemStore> store = ItemStore::Open(dir / "items.db", &error);
  INFO(error);
  REQUIRE(store);
  StoreStats stats;
  REQUIRE(store->Stats(&stats, &error));
  CHECK(stats.items == 1);
  CHECK(stats.requests == 1);
  CHECK(stats.accepted == 1);
  std::vector<UploadRecord> requests;
  std::uint64_t total = 0;
  REQUIRE(store->Requests(0, 10, &requests, &total, &error));
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].headers_json == "{}");
  CHECK(requests[0].schema_json == "null");
  UploadRecord again = Accepted("r1", "A");
  REQUIRE(store->Record(&again, {"{}"}, &error));
  CHECK(again.duplicate);
  std::vector<std::string> items;
  REQUIRE(store->Items("A", 0, 10, &items, &total, &error));
  CHECK(items == std::vector<std::string>{R"({"old":true})"});
}

TEST_CASE("ItemStore refuses an items.db of an unknown version", "[store]") {
  testing::TempDir dir;
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "items.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version=9", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  std::string error;
  CHECK_FALSE(ItemStore::Open(dir / "items.db", &error));
  CHECK_THAT(error, Catch::Contains("schema version 9"));
}

}  // namespace
}  // namespace mockcloud
