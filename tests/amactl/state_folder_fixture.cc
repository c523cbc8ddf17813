#include "state_folder_fixture.h"

#include <catch2/catch.hpp>
#include <future>
#include <memory>
#include <sstream>

#include "base/logger.h"
#include "codec/fluent_entries.h"
#include "codec/msgpack_writer.h"
#include "localstore/store.h"
#include "rapidjson/document.h"

namespace amactl_test {

std::string EntriesOf(const std::vector<TestRecord>& records) {
  std::string entries;
  codec::MsgpackWriter writer(&entries);
  for (const TestRecord& record : records) {
    writer.Array(2);
    codec::WriteEventTime(writer, codec::EventTime{record.event_seconds, 0});
    writer.Map(2);
    writer.Str("Sequence");
    writer.Uint(record.sequence);
    writer.Str("Computer");
    writer.Str("fixture");
  }
  return entries;
}

void WriteRows(const std::filesystem::path& state_dir, const std::string& stream_id,
               const std::vector<std::vector<TestRecord>>& rows) {
  base::MemoryLogger logger;
  localstore::StoreOptions options;
  options.tables_dir = state_dir / "Tables";
  options.logger = &logger;
  std::unique_ptr<localstore::Store> store;
  REQUIRE_FALSE(localstore::Store::Open(options, &store));
  for (const std::vector<TestRecord>& row : rows) {
    auto promise = std::make_shared<std::promise<std::error_code>>();
    std::future<std::error_code> done = promise->get_future();
    store->Append(
        localstore::RecordBatch{stream_id, EntriesOf(row), static_cast<std::uint32_t>(row.size())},
        [promise](std::error_code ec) { promise->set_value(ec); });
    REQUIRE(done.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    REQUIRE_FALSE(done.get());
  }
  store->Close();
}

std::vector<std::uint64_t> SequencesOfLines(const std::string& text) {
  std::vector<std::uint64_t> sequences;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    rapidjson::Document document;
    document.Parse(line.c_str());
    INFO(line);
    REQUIRE(document.IsObject());
    const rapidjson::Value* record = &document;
    if (document.HasMember("record")) record = &document["record"];
    if (record->HasMember("Sequence")) sequences.push_back((*record)["Sequence"].GetUint64());
  }
  return sequences;
}

}  // namespace amactl_test
