// amabench: measures a real amahost. Two phases, each on a fresh host with the embedded
// ChangeTracking-Linux DCR:
//  - ingest: the host runs with --no-upload, so the figure is the sockets and the store alone:
//    durable ingest records/s (every record acknowledged only after its commit) and peak RSS;
//  - end to end: the host uploads to a mockcloud; the figure is records/s from the first send
//    until every record is in mockcloud.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

Runs amahost (and mockcloud) from this build, sends records to the host's ChangeTracking-Linux
socket with acks, and prints durable ingest records/s and the host's peak RSS (uploads off),
then end-to-end records/s to mockcloud (uploads on). Messages are built before the clock starts;
each connection cycles through a bounded pool of them (32 MiB over all connections, at least two
windows each), as a real client reuses its buffers, with a fresh chunk id in every message sent.

Options:
  --records N          records to send for the ingest figure (default 2000000: a shorter run
                       is mostly the host starting up); with --matrix, Message mode cells send
                       at most 100000 (each record waits for its own fsync)
  --e2e-records N      records to send for the end-to-end figure (default 200000)
  --connections K      connections, one thread each (default 1)
  --batch N            records per message (default 1000)
  --record-bytes N     size of each record, at least ~300 (default 300): Change Tracking-like
                       fields, a random checksum, random filler past 300 bytes
  --mode MODE          forward (default), message, packed or compressed
  --window N           messages awaiting their ack per connection (default 8)
  --no-e2e             skip the end-to-end phase
  --matrix             ingest for forward, packed and message modes over 1, 8 and 64
                       connections, as a table (then the end-to-end phase, unless --no-e2e)
  --sync full|normal   the host's SQLite synchronous mode (default full)
  --keep DIR           keep the state and logs in DIR instead of a temporary folder
)";

// Message mode commits and acks every record on its own: ~10k records/s on one connection.
constexpr std::uint64_t kMaxMessageModeRecords = 100000;

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

// CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat.
double CpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // The command name may hold spaces: the fields that follow start after its ')'.
  std::size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // utime and stime are fields 14 and 15; the state (field 3) comes first here.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
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

struct Setup {
  std::filesystem::path dir;
  std::string sync = "full";
  int runs = 0;
};

int Fail(const std::string& message, const std::filesystem::path& dir) {
  std::fprintf(stderr, "amabench: %s (logs in %s)\n", message.c_str(), dir.c_str());
  return 1;
}

// Starts a host in a fresh state folder; `extra` selects uploads or not.
bool StartHost(Setup& setup, const std::vector<std::string>& extra, Child* host,
               bench::LoadOptions* load, std::string* error) {
  int run = ++setup.runs;
  std::filesystem::path state = setup.dir / ("host" + std::to_string(run));
  std::string instance = "bench" + std::to_string(::getpid()) + "r" + std::to_string(run);
  std::vector<std::string> argv = {AMAHOST_BINARY, "--state-dir", state.string(),
                                   "--instance",   instance,      "--sync",
                                   setup.sync,     "--log-level", "warning"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  if (!Spawn(argv, setup.dir / ("amahost" + std::to_string(run) + ".log"), host)) {
    *error = "cannot start amahost";
    return false;
  }
  pipes::SocketNaming naming;
  naming.instance = instance;
  load->address = pipes::ExtensionSocketAddress(naming, "ChangeTracking-Linux");
  load->tag = kStream;
  bool up = WaitFor(
      [&] {
        std::unique_ptr<pipes::Client> client;
        return !pipes::Client::Connect(load->address, &client) || !host->Running();
      },
      30s);
  if (!up || !host->Running()) {
    *error = "amahost did not start";
    return false;
  }
  return true;
}

struct IngestResult {
  double records_per_second = 0;
  double seconds = 0;
  double peak_rss_mib = 0;
  double cpu_seconds = 0;  // the host's, during the load
};

bool RunIngest(Setup& setup, const bench::LoadOptions& options, IngestResult* out,
               std::string* error) {
  Child host;
  bench::LoadOptions load = options;
  if (!StartHost(setup, {"--no-upload"}, &host, &load, error)) return false;
  const double cpu_before = CpuSeconds(host.pid);
  bench::LoadResult result = bench::RunLoad(load);
  out->cpu_seconds = CpuSeconds(host.pid) - cpu_before;
  if (!result.error.empty()) {
    *error = "load failed: " + result.error;
    return false;
  }
  if (result.records_acked != load.records) {
    *error = std::to_string(result.records_acked) + " of " + std::to_string(load.records) +
             " records acknowledged";
    return false;
  }
  out->seconds = result.seconds;
  out->records_per_second = static_cast<double>(result.records_acked) / result.seconds;
  out->peak_rss_mib = static_cast<double>(PeakRssKiB(host.pid)) / 1024.0;
  return true;
}

const char* ModeName(pipes::ForwardMode mode) {
  switch (mode) {
    case pipes::ForwardMode::kMessage:
      return "message";
    case pipes::ForwardMode::kForward:
      return "forward";
    case pipes::ForwardMode::kPackedForward:
      return "packed";
    case pipes::ForwardMode::kCompressedPackedForward:
      return "compressed";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  base::ArgReader args(argv + 1, argv + argc);
  bench::LoadOptions load;
  load.records = 2000000;
  std::uint64_t e2e_records = 200000;
  std::int64_t number = 0;
  std::string mode = "forward", keep;
  Setup setup;
  bool e2e = true, matrix = false;
  while (!args.Done()) {
    if (args.TakeFlag("--help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (args.TakeNumber("--records", 1, 1000000000, &number)) {
      load.records = static_cast<std::uint64_t>(number);
      continue;
    }
    if (args.TakeNumber("--e2e-records", 1, 1000000000, &number)) {
      e2e_records = static_cast<std::uint64_t>(number);
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
    if (args.TakeOption("--sync", &setup.sync)) continue;
    if (args.TakeOption("--keep", &keep)) continue;
    if (args.TakeFlag("--no-e2e")) {
      e2e = false;
      continue;
    }
    if (args.TakeFlag("--matrix")) {
      matrix = true;
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

  setup.dir = keep;
  if (setup.dir.empty()) {
    std::string pattern = "/tmp/amabench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) return Fail("mkdtemp failed", "/tmp");
    setup.dir = pattern;
  } else {
    base::CreateDirectories(setup.dir);
  }
  std::string error;

  std::printf(
      "amabench: %llu records of ~%zu bytes, %d records per message, acks, "
      "synchronous=%s, %u cores\n",
      static_cast<unsigned long long>(load.records), load.record_bytes, load.batch,
      setup.sync.c_str(), std::thread::hardware_concurrency());
  if (matrix) {
    std::printf("  %-10s %6s  %10s  %24s  %14s\n", "mode", "conns", "records", "durable ingest",
                "host peak RSS");
    for (pipes::ForwardMode each :
         {pipes::ForwardMode::kForward, pipes::ForwardMode::kPackedForward,
          pipes::ForwardMode::kMessage}) {
      for (int connections : {1, 8, 64}) {
        bench::LoadOptions cell = load;
        cell.mode = each;
        cell.connections = connections;
        if (each == pipes::ForwardMode::kMessage) {
          cell.records = std::min<std::uint64_t>(cell.records, kMaxMessageModeRecords);
        }
        IngestResult result;
        if (!RunIngest(setup, cell, &result, &error)) return Fail(error, setup.dir);
        std::printf("  %-10s %6d  %10llu  %14.0f records/s  %10.1f MiB\n", ModeName(each),
                    connections, static_cast<unsigned long long>(cell.records),
                    result.records_per_second, result.peak_rss_mib);
        std::fflush(stdout);
      }
    }
  } else {
    IngestResult result;
    if (!RunIngest(setup, load, &result, &error)) return Fail(error, setup.dir);
    std::printf("  %s mode, %d connection(s)\n", ModeName(load.mode), load.connections);
    std::printf(
        "  durable ingest   %12.0f records/s   (%llu records acknowledged after commit "
        "in %.2f s; uploads off)\n",
        result.records_per_second, static_cast<unsigned long long>(load.records), result.seconds);
    std::printf("  host peak RSS    %12.1f MiB\n", result.peak_rss_mib);
    std::printf("  host CPU         %12.2f s     (%.2f of %u cores while ingesting)\n",
                result.cpu_seconds, result.cpu_seconds / result.seconds,
                std::thread::hardware_concurrency());
    std::fflush(stdout);
  }

  if (e2e) {
    Child mockcloud;
    if (!Spawn({MOCKCLOUD_BINARY, "--state-dir", (setup.dir / "mock").string(), "--port", "0",
                "--log-level", "warning"},
               setup.dir / "mockcloud.log", &mockcloud)) {
      return Fail("cannot start mockcloud", setup.dir);
    }
    std::string port;
    if (!WaitFor(
            [&] {
              return !base::ReadFile(setup.dir / "mock" / "port", 64, &port) && !port.empty();
            },
            30s)) {
      return Fail("mockcloud did not start", setup.dir);
    }
    while (!port.empty() && (port.back() == '\n' || port.back() == ' ')) port.pop_back();
    std::string base_url = "https://127.0.0.1:" + port;
    std::string ca = (setup.dir / "mock" / "ca.pem").string();
    Child host;
    bench::LoadOptions e2e_load = load;
    e2e_load.records = e2e_records;
    if (!StartHost(setup, {"--cloud-endpoint", base_url, "--ca-file", ca, "--upload-window", "1"},
                   &host, &e2e_load, &error)) {
      return Fail(error, setup.dir);
    }
    Clock::time_point began = Clock::now();
    bench::LoadResult result = bench::RunLoad(e2e_load);
    if (!result.error.empty()) return Fail("load failed: " + result.error, setup.dir);
    ama::CurlGlobal curl;
    ama::CurlHttpClient http({.ca_file = ca});
    long items = 0;
    bool all = WaitFor(
        [&] {
          items = MockItems(http, base_url);
          return items >= static_cast<long>(e2e_load.records);
        },
        std::chrono::minutes(10));
    double seconds = std::chrono::duration<double>(Clock::now() - began).count();
    if (!all) {
      return Fail(std::to_string(items) + " records reached mockcloud in 10 minutes", setup.dir);
    }
    std::printf(
        "  end to end       %12.0f records/s   (%s mode, %d connection(s): all %ld "
        "records in mockcloud after %.2f s)\n",
        static_cast<double>(items) / seconds, ModeName(e2e_load.mode), e2e_load.connections, items,
        seconds);
    std::printf("  host peak RSS    %12.1f MiB   (uploading)\n",
                static_cast<double>(PeakRssKiB(host.pid)) / 1024.0);
  }
  if (keep.empty()) std::filesystem::remove_all(setup.dir);
  return 0;
}
