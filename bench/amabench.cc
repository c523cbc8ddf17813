// amabench: measures a real amahost. Starts a mockcloud and an amahost (the embedded
// ChangeTracking-Linux DCR pointed at that mockcloud), sends records with the load generator, and
// prints three figures: durable ingest records/s (acked only after commit), end-to-end records/s
// (until every record is in mockcloud), and the host's peak RSS.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ama/curl_http_client.h"
#include "base/args.h"
#include "base/files.h"
#include "loadgen.h"
#include "pipes/client.h"
#include "rapidjson/document.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr char kUsage[] = R"(Usage: amabench [options]

Runs mockcloud and amahost from this build, sends records to the host's ChangeTracking-Linux
socket and prints durable ingest records/s, end-to-end records/s and the host's peak RSS.

Options:
  --records N          records to send (default 200000)
  --connections K      connections, one thread each (default 1)
  --batch N            records per message (default 100)
  --record-bytes N     approximate size of each record (default 300)
  --mode MODE          forward (default), message, packed or compressed
  --window N           messages awaiting their ack per connection (default 8)
  --no-upload          only measure ingest (the host never uploads during the run)
  --sync full|normal   the host's SQLite synchronous mode (default full)
  --keep DIR           keep the state and logs in DIR instead of a temporary folder
)";

constexpr char kStream[] =
    "dcr-a3e1c0d2b4f64e8c9d7f00c7c0ffee01:CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2";

struct Child {
  pid_t pid = -1;
  ~Child() { Stop(); }
  void Stop() {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
  }
  bool Running() { return pid > 0 && ::waitpid(pid, nullptr, WNOHANG) == 0; }
};

bool Spawn(const std::vector<std::string>& argv, const std::filesystem::path& log, Child* child) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  int rc = posix_spawn(&child->pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0;
}

template <typename Condition>
bool WaitFor(Condition condition, std::chrono::milliseconds deadline) {
  auto end = Clock::now() + deadline;
  while (!condition()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// Peak resident set size of a process, in KiB, from /proc/<pid>/status.
long PeakRssKiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

long MockItems(ama::CurlHttpClient& http, const std::string& base_url) {
  base::HttpRequest request;
  request.url = base_url + "/_mock/stats";
  base::HttpResponse response;
  if (http.Send(request, &response) || response.status != 200) return -1;
  rapidjson::Document stats;
  stats.Parse(response.body.c_str());
  if (!stats.IsObject() || !stats.HasMember("items")) return -1;
  return stats["items"].GetInt64();
}

int Fail(const std::string& message, const std::filesystem::path& dir) {
  std::fprintf(stderr, "amabench: %s (logs in %s)\n", message.c_str(), dir.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  base::ArgReader args(argv + 1, argv + argc);
  bench::LoadOptions load;
  load.records = 200000;
  std::int64_t number = 0;
  std::string mode = "forward", sync = "full", keep;
  bool upload = true;
  while (!args.Done()) {
    if (args.TakeFlag("--help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (args.TakeNumber("--records", 1, 1000000000, &number)) {
      load.records = static_cast<std::uint64_t>(number);
      continue;
    }
    if (args.TakeNumber("--connections", 1, 1024, &number)) {
      load.connections = static_cast<int>(number);
      continue;
    }
    if (args.TakeNumber("--batch", 1, 100000, &number)) {
      load.batch = static_cast<int>(number);
      continue;
    }
    if (args.TakeNumber("--record-bytes", 64, 1000000, &number)) {
      load.record_bytes = static_cast<std::size_t>(number);
      continue;
    }
    if (args.TakeNumber("--window", 1, 1024, &number)) {
      load.window = static_cast<int>(number);
      continue;
    }
    if (args.TakeOption("--mode", &mode)) continue;
    if (args.TakeOption("--sync", &sync)) continue;
    if (args.TakeOption("--keep", &keep)) continue;
    if (args.TakeFlag("--no-upload")) {
      upload = false;
      continue;
    }
    args.RejectCurrent();
  }
  if (!args.error().empty()) {
    std::fprintf(stderr, "amabench: %s\n%s", args.error().c_str(), kUsage);
    return 2;
  }
  if (mode == "forward") {
    load.mode = pipes::ForwardMode::kForward;
  } else if (mode == "message") {
    load.mode = pipes::ForwardMode::kMessage;
  } else if (mode == "packed") {
    load.mode = pipes::ForwardMode::kPackedForward;
  } else if (mode == "compressed") {
    load.mode = pipes::ForwardMode::kCompressedPackedForward;
  } else {
    std::fprintf(stderr, "amabench: unknown --mode '%s'\n", mode.c_str());
    return 2;
  }

  std::filesystem::path dir = keep;
  if (dir.empty()) {
    std::string pattern = "/tmp/amabench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) return Fail("mkdtemp failed", "/tmp");
    dir = pattern;
  } else {
    base::CreateDirectories(dir);
  }

  Child mockcloud;
  if (!Spawn({MOCKCLOUD_BINARY, "--state-dir", (dir / "mock").string(), "--port", "0",
              "--log-level", "warning"},
             dir / "mockcloud.log", &mockcloud)) {
    return Fail("cannot start mockcloud", dir);
  }
  std::string port;
  if (!WaitFor([&] { return !base::ReadFile(dir / "mock" / "port", 64, &port) && !port.empty(); },
               30s)) {
    return Fail("mockcloud did not start", dir);
  }
  while (!port.empty() && (port.back() == '\n' || port.back() == ' ')) port.pop_back();
  std::string base_url = "https://127.0.0.1:" + port;

  std::string instance = "bench" + std::to_string(::getpid());
  Child host;
  if (!Spawn({AMAHOST_BINARY, "--state-dir", (dir / "host").string(), "--instance", instance,
              "--cloud-endpoint", base_url, "--ca-file", (dir / "mock" / "ca.pem").string(),
              "--upload-window", upload ? "1" : "86400", "--sync", sync, "--log-level", "warning"},
             dir / "amahost.log", &host)) {
    return Fail("cannot start amahost", dir);
  }
  pipes::SocketNaming naming;
  naming.instance = instance;
  load.address = pipes::ExtensionSocketAddress(naming, "ChangeTracking-Linux");
  load.tag = kStream;
  if (!WaitFor(
          [&] {
            std::unique_ptr<pipes::Client> client;
            return !pipes::Client::Connect(load.address, &client) || !host.Running();
          },
          30s) ||
      !host.Running()) {
    return Fail("amahost did not start", dir);
  }

  std::printf(
      "amabench: %llu records of ~%zu bytes, %d connection(s), %s mode, %d records per "
      "message, acks, synchronous=%s\n",
      static_cast<unsigned long long>(load.records), load.record_bytes, load.connections,
      mode.c_str(), load.mode == pipes::ForwardMode::kMessage ? 1 : load.batch, sync.c_str());
  std::fflush(stdout);
  Clock::time_point began = Clock::now();
  bench::LoadResult result = bench::RunLoad(load);
  if (!result.error.empty()) return Fail("load failed: " + result.error, dir);
  if (result.records_acked != load.records) {
    return Fail(std::to_string(result.records_acked) + " of " + std::to_string(load.records) +
                    " records acknowledged",
                dir);
  }
  std::printf(
      "  durable ingest   %12.0f records/s   (%llu records acknowledged after commit in "
      "%.2f s)\n",
      static_cast<double>(result.records_acked) / result.seconds,
      static_cast<unsigned long long>(result.records_acked), result.seconds);
  std::fflush(stdout);

  if (upload) {
    ama::CurlGlobal curl;
    ama::CurlHttpClient http({.ca_file = (dir / "mock" / "ca.pem").string()});
    long items = 0;
    bool all = WaitFor(
        [&] {
          items = MockItems(http, base_url);
          return items >= static_cast<long>(load.records);
        },
        std::chrono::minutes(10));
    double seconds = std::chrono::duration<double>(Clock::now() - began).count();
    if (!all) return Fail(std::to_string(items) + " records reached mockcloud in 10 minutes", dir);
    std::printf(
        "  end to end       %12.0f records/s   (all %ld records in mockcloud after %.2f s)\n",
        static_cast<double>(items) / seconds, items, seconds);
  } else {
    std::printf("  end to end       (not measured: --no-upload)\n");
  }
  long rss = PeakRssKiB(host.pid);
  std::printf("  host peak RSS    %12.1f MiB\n", static_cast<double>(rss) / 1024.0);
  host.Stop();
  mockcloud.Stop();
  if (keep.empty()) std::filesystem::remove_all(dir);
  return 0;
}
