#ifndef AMAHOST_TESTS_E2E_E2E_SUPPORT_H_
#define AMAHOST_TESTS_E2E_E2E_SUPPORT_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "mockcloud/mockcloud_fixture.h"
#include "support/host_process.h"

namespace e2e {

// The embedded DCR's ids.
inline constexpr char kDcr[] = "dcr-a3e1c0d2b4f64e8c9d7f00c7c0ffee01";
inline constexpr char kChangeV2[] =
    "dcr-a3e1c0d2b4f64e8c9d7f00c7c0ffee01:CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2";
inline constexpr char kDataV2[] =
    "dcr-a3e1c0d2b4f64e8c9d7f00c7c0ffee01:CTDataSource-Linux:CONFIG_DATA_BLOB_V2";

// Host arguments that send the embedded DCR's uploads to `cloud`.
std::vector<std::string> CloudArgs(const testing::MockCloudProcess& cloud,
                                   const std::string& upload_window);

// "{"Sequence":n,"Computer":"e2e-vm"}" — the JSON text amactl sends and mockcloud returns.
std::string RecordJson(std::uint64_t sequence);

// The Sequence numbers of the items mockcloud holds for `data_type`.
std::multiset<std::uint64_t> Sequences(testing::MockCloudProcess& cloud,
                                       const std::string& data_type);

}  // namespace e2e

#endif  // AMAHOST_TESTS_E2E_E2E_SUPPORT_H_
