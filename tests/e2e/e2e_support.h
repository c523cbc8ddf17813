#ifndef AMAHOST_TESTS_E2E_E2E_SUPPORT_H_
#define AMAHOST_TESTS_E2E_E2E_SUPPORT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "codec/fluent_entries.h"
#include "mockcloud/mockcloud_fixture.h"
#include "pipes/socket_address.h"
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

// Sends records {"Sequence": 1, 2, 3, …, "Computer": computer} on one connection, `per_message`
// at a time with a chunk each, waiting for each ack, and remembers which were acknowledged, until
// the host goes away or the sender is destroyed. failed() tells whether the connection failed
// while the sender was still running (a disturbed connection).
class AckedSender {
 public:
  AckedSender(pipes::SocketAddress address, int per_message, std::string computer = "e2e-vm");
  ~AckedSender();
  AckedSender(const AckedSender&) = delete;
  AckedSender& operator=(const AckedSender&) = delete;

  std::set<std::uint64_t> Acked();
  bool failed() const { return failed_; }

 private:
  void Run();

  pipes::SocketAddress address_;
  int per_message_;
  std::string computer_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::set<std::uint64_t> acked_;
  std::thread thread_;
};

// Sends records {"Sequence": first, first + 1, …, "Computer": computer}, `count` of them, each
// with the event time `time`, in one Forward message tagged CONFIG_CHANGE_BLOB_V2 on a new
// connection to `address`, and waits for the ack. False when it does not come.
bool SendAcked(const pipes::SocketAddress& address, std::uint64_t first, int count,
               codec::EventTime time, const std::string& computer = "e2e-vm");

// `args` followed by the arguments that point amactl at `host`.
std::vector<std::string> With(std::vector<std::string> args, const testing::HostProcess& host);

// `amactl status --json` of `host`, parsed (not an object when amactl failed).
rapidjson::Document StatusJson(const testing::HostProcess& host);

// The member of status.host.streams whose streamId is `stream_id`; null when there is none.
const rapidjson::Value* FindStream(const rapidjson::Document& status, const std::string& stream_id);

// The Sequence numbers mockcloud holds for `data_type` from records of `computer` (RecordJson
// and AckedSender write "e2e-vm" unless told otherwise).
std::multiset<std::uint64_t> Sequences(testing::MockCloudProcess& cloud,
                                       const std::string& data_type,
                                       const std::string& computer = "e2e-vm");

// Waits (up to `deadline`) until mockcloud holds every sequence of `acked` from `computer` as
// CONFIG_CHANGE_BLOB_V2 items; returns how many are missing then (0: all arrived).
std::size_t MissingAfterWait(testing::MockCloudProcess& cloud, const std::set<std::uint64_t>& acked,
                             std::chrono::milliseconds deadline,
                             const std::string& computer = "e2e-vm");

// A DCR in the agent-side content shape with one extension data source per name in
// `extensions`, each with one CONFIG_CHANGE_BLOB_V2 output stream `<dcr_id>:ds-<name>:…`, and
// extensionSettings {"revision": revision}. Its channel points at placeholder hosts that
// mockcloud (or --cloud-endpoint) rewrites.
std::string ContentDcr(const std::string& dcr_id, const std::vector<std::string>& extensions,
                       int revision);

// The stream id ContentDcr gives an extension.
std::string ContentStream(const std::string& dcr_id, const std::string& extension);

// Writes `text` to `path` atomically (a control plane reading the folder never sees half a file).
void WriteFile(const std::filesystem::path& path, const std::string& text);

}  // namespace e2e

#endif  // AMAHOST_TESTS_E2E_E2E_SUPPORT_H_
