#ifndef AMAHOST_TESTS_AMACTL_STATE_FOLDER_FIXTURE_H_
#define AMAHOST_TESTS_AMACTL_STATE_FOLDER_FIXTURE_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace amactl_test {

// One record a test stores: {"Sequence": sequence, "Computer": "fixture"} at an event time.
struct TestRecord {
  std::uint64_t sequence = 0;
  std::int64_t event_seconds = 0;
};

// Stored Fluent entries ([EventTime, record] each) for `records`.
std::string EntriesOf(const std::vector<TestRecord>& records);

// Writes `rows` (each a group of records, one row of the table) for `stream_id` into
// <state_dir>/Tables through a real localstore::Store, as a host would have kept them.
void WriteRows(const std::filesystem::path& state_dir, const std::string& stream_id,
               const std::vector<std::vector<TestRecord>>& rows);

// The "Sequence" of every line of NDJSON `text` whose record has one (lines may be wrapped as
// {"record":{…}}), in order.
std::vector<std::uint64_t> SequencesOfLines(const std::string& text);

}  // namespace amactl_test

#endif  // AMAHOST_TESTS_AMACTL_STATE_FOLDER_FIXTURE_H_
