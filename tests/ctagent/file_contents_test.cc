#include <catch2/catch.hpp>

#include "base/base64.h"
#include "base/logger.h"
#include "file_collector.h"
#include "fixture.h"
#include "records.h"
#include "support/temp_dir.h"

using ctagent::Items;

TEST_CASE("file contents: text, binary as base64, cut at maxContentsReturnable", "[ctagent]") {
  testing::TempDir root;
  ctagent_test::Write(root.path(), "etc/small.conf", "a = 1\n");
  ctagent_test::Write(root.path(), "etc/binary.conf", std::string("\x00\xff\x01z", 4));
  ctagent_test::Write(root.path(), "etc/large.conf", std::string(300, 'x') + "\xc3\xa9");
  base::MemoryLogger logger;
  ctagent::FileInfo info{.name = "c", .destination_path = "/etc/.*.conf"};
  info.max_contents_returnable = 301;  // cuts large.conf inside its last character
  ctagent::FileCollector collector(root.path(), {info}, logger);
  Items items;
  REQUIRE_FALSE(collector.Collect(&items));
  REQUIRE(items.size() == 3);
  const auto& small = items.at("/etc/small.conf").fields;
  CHECK(small.at("FileContents") == "a = 1\n");
  CHECK(small.at("FileContentsEncoding") == "utf-8");
  CHECK(small.count("FileContentsTruncated") == 0);
  const auto& binary = items.at("/etc/binary.conf").fields;
  CHECK(binary.at("FileContentsEncoding") == "base64");
  CHECK(binary.at("FileContents") == base::Base64Encode(std::string("\x00\xff\x01z", 4)));
  const auto& large = items.at("/etc/large.conf").fields;
  CHECK(large.at("FileContentsTruncated") == "true");
  CHECK(large.at("FileContentsEncoding") == "base64");  // half a UTF-8 character at the end
  std::string head;
  REQUIRE(base::Base64Decode(large.at("FileContents"), &head));
  CHECK(head == std::string(300, 'x') + "\xc3");
  CHECK(large.at("Size") == "302");

  info.max_contents_returnable = 0;
  ctagent::FileCollector without(root.path(), {info}, logger);
  REQUIRE_FALSE(without.Collect(&items));
  CHECK(items.at("/etc/small.conf").fields.count("FileContents") == 0);
  CHECK(items.at("/etc/small.conf").fields.count("FileContentChecksum") == 1);
}

TEST_CASE("file contents: kept but never sent, a change of contents is a checksum change",
          "[ctagent]") {
  ctagent::Item before{
      .key = "/etc/a.conf",
      .fields = {
          {"FileSystemPath", "/etc/a.conf"}, {"FileContentChecksum", "1111"}, {"Size", "6"}}};
  ctagent::AddContents("a = 1\n", false, &before.fields);
  ctagent::Item after = before;
  after.fields["FileContentChecksum"] = "2222";
  ctagent::AddContents("a = 2\n", false, &after.fields);
  const ctagent::RecordContext context{"vm", "2026-12-02T10:00:00.000Z"};
  const auto changes = ctagent::ChangeRecords(ctagent::Kind::kFiles, {{before.key, before}},
                                              {{after.key, after}}, context);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].json.find("\"FieldsChanged\":\"FileContentChecksum\"") != std::string::npos);
  CHECK(changes[0].json.find("FileContents\"") == std::string::npos);
  // Only the kept part differing (maxContentsReturnable changed) is no change at all.
  ctagent::Item cut = before;
  ctagent::AddContents("a", true, &cut.fields);
  CHECK(ctagent::ChangeRecords(ctagent::Kind::kFiles, {{before.key, before}}, {{cut.key, cut}},
                               context)
            .empty());
  const auto inventory =
      ctagent::InventoryRecords(ctagent::Kind::kFiles, {{after.key, after}}, context);
  REQUIRE(inventory.size() == 1);
  CHECK(inventory[0].json.find("Contents") == std::string::npos);
  CHECK(ctagent::IsLocalField("FileContentsEncoding"));
  CHECK_FALSE(ctagent::IsLocalField("FileContentChecksum"));
  // The snapshot's storage keeps them.
  ctagent::Item loaded;
  REQUIRE(ctagent::ParseFieldsJson(ctagent::FieldsJson(after), &loaded));
  CHECK(loaded.fields.at("FileContents") == "a = 2\n");
}
