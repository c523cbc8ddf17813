#include "mockcloud/item_store.h"

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

}  // namespace
}  // namespace mockcloud
