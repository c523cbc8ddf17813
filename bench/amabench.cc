// amabench: measures a real amahost. Each phase runs a fresh host on the embedded
// ChangeTracking-Linux DCR:
//  - ingest: the host runs with --no-upload, so the figure is the sockets and the store alone:
//    durable ingest records/s (every record acknowledged only after its commit, or without
//    acks timed until the host's status counts every record committed), the host's CPU, its
//    store commits (fsyncs) per second, ack latency per message and peak RSS; --matrix makes a
//    table of it over modes, acks and connections;
//  - end to end: the host uploads over HTTPS to a mockcloud that checks and counts every item
//    and keeps none (--discard), then to one that keeps them in memory (--memory); the figure is
//    records/s from the first send until every record is counted at mockcloud, with the host's
//    CPU per delivered record, the compressed bytes per record and the host's peak RSS;
//  - replay: `amactl replay` of a stopped host's state folder to a discarding mockcloud;
//  - mixed: records offered at a fixed rate for a while, ingest and upload at once, to see
//    whether the host's backlog stays flat.

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/args.h"
#include "base/files.h"
#include "base/uuid.h"
#include "drain.h"
#include "httpclient/curl_http_client.h"
#include "loadgen.h"
#include "pipes/client.h"
#include "processes.h"
#include "rapidjson/document.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using bench::Child;
using bench::CpuSeconds;
using bench::PeakRssKiB;
using bench::Spawn;
using bench::WaitFor;

constexpr char kUsage[] = R"(Usage: amabench [options]

Runs amahost (and mockcloud) from this build and sends records to the host's
ChangeTracking-Linux socket with acks (unless --no-acks). Prints durable ingest records/s, the
host's CPU per record and peak RSS (uploads off); then end-to-end records/s over HTTPS to a
mockcloud that checks and counts every item and keeps none (--discard), with the host's CPU per
delivered record, the compressed bytes per record and its peak RSS, and the same to a mockcloud
that keeps the items (--memory); then a mixed run, records offered at a fixed rate while they
are uploaded, with the host's backlog every few seconds, and `amactl replay` of a stopped host's
folder. Messages are built before the clock starts; each connection cycles through a bounded
pool of them (32 MiB over all connections, at least two windows each), as a real client reuses
its buffers, with a fresh chunk id in every message sent.

Options:
  --records N          records to send for the ingest figure (default 2000000: a shorter run
                       is mostly the host starting up); with --matrix, Message mode cells with
                       acks send at most 100000 (each message waits for an fsync)
  --e2e-records N      records to send for each end-to-end figure (default 2000000)
  --connections K      connections, one thread each (default 1)
  --batch N            records per message (default 1000)
  --record-bytes N     size of each record, at least ~300 (default 300): Change Tracking-like
                       fields, a random checksum, random filler past 300 bytes
  --mode MODE          forward (default), message, packed or compressed
  --window N           messages awaiting their ack per connection (default 8)
  --messages-per-write N
                       messages the client gathers into one write (default 1: a write per
                       message, as the fluent-logger libraries do; more is a client with its
                       own buffer, as Node's streams or Fluency; a write also goes when the
                       window is full)
  --no-acks            send without asking for acks; the ingest figure is then timed until
                       the host's status says it committed every record sent (the replay
                       and mixed phases always ask for acks); then the same load is sent into
                       a socket that only reads it ("sender alone"): the sender's own ceiling
  --no-e2e             skip the end-to-end and mixed phases
  --sink SINK          end-to-end to mockcloud --discard, --memory or both (default both)
  --mixed-seconds S    length of the mixed run (default 60; 0 skips it)
  --mixed-rate R       records/s offered in the mixed run (default 300000)
  --matrix             ingest as one table (then the other phases, unless --no-e2e):
                       forward and packed modes with acks over 1, 8 and 64 connections;
                       message mode (one record per message) without acks on one connection,
                       timed until the host has committed every record; and message mode with
                       an ack per message over 1, 8 and 64 connections. Columns: records/s,
                       messages/s, the store's commits/s (transactions, one fsync each with
                       --sync full: group commit keeps them far below messages/s), the host's
                       CPU per record, p50 and p99 ack latency (a message's send to its ack,
                       measured per message in the loader) and the host's peak RSS; under
                       it, message mode's sender alone (as with --no-acks) and message
                       mode without acks from a client writing 64 messages per write
  --sync full|normal   the host's SQLite synchronous mode (default full)
  --keep DIR           keep the state and logs in DIR instead of a temporary folder
  --amahost PATH       run this amahost binary instead of the build's, e.g. another build's,
                       for interleaved A/B runs
  --host-arg ARG       pass ARG to every amahost started (repeatable), e.g. --upload-workers 1
)";

// With an ack per message, Message mode waits for an fsync per window of messages: ~10k
// records/s on one connection.
constexpr std::uint64_t kMaxMessageModeRecords = 100000;

constexpr char kStream[] =
    "dcr-a3e1c0d2b4f64e8c9d7f00c7c0ffee01:CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2";

struct Setup {
  std::filesystem::path dir;
  std::string sync = "full";
  std::string amahost = AMAHOST_BINARY;
  std::vector<std::string> host_args;
  int runs = 0;
};

int Fail(const std::string& message, const std::filesystem::path& dir) {
  std::fprintf(stderr, "amabench: %s (logs in %s)\n", message.c_str(), dir.c_str());
  return 1;
}

// A mockcloud in one of its sink modes, and a client for its admin API.
struct Sink {
  Child child;
  std::string base_url;
  std::string ca;
  std::unique_ptr<httpclient::CurlHttpClient> http;

  // GET /_mock/stats, parsed; an empty document when it does not answer.
  rapidjson::Document Stats() {
    base::HttpRequest request;
    request.url = base_url + "/_mock/stats";
    base::HttpResponse response;
    rapidjson::Document stats;
    if (http->Send(request, &response) || response.status != 200) return stats;
    stats.Parse(response.body.c_str());
    return stats;
  }
  std::uint64_t Counter(const char* name) {
    rapidjson::Document stats = Stats();
    if (!stats.IsObject() || !stats.HasMember(name) || !stats[name].IsUint64()) return 0;
    return stats[name].GetUint64();
  }
};

bool StartSink(Setup& setup, const std::string& mode, Sink* sink, std::string* error) {
  std::filesystem::path state = setup.dir / ("mock-" + mode + std::to_string(++setup.runs));
  if (!Spawn({MOCKCLOUD_BINARY, "--state-dir", state.string(), "--port", "0", "--log-level",
              "warning", "--" + mode},
             setup.dir / ("mockcloud-" + mode + std::to_string(setup.runs) + ".log"),
             &sink->child)) {
    *error = "cannot start mockcloud";
    return false;
  }
  std::string port;
  if (!WaitFor([&] { return !base::ReadFile(state / "port", 64, &port) && !port.empty(); }, 30s)) {
    *error = "mockcloud did not start";
    return false;
  }
  while (!port.empty() && (port.back() == '\n' || port.back() == ' ')) port.pop_back();
  sink->base_url = "https://127.0.0.1:" + port;
  sink->ca = (state / "ca.pem").string();
  sink->http = std::make_unique<httpclient::CurlHttpClient>(
      httpclient::CurlHttpClientOptions{.ca_file = sink->ca});
  return true;
}

// Starts a host in a fresh state folder; `extra` selects uploads or not. Points `load` at it.
bool StartHost(Setup& setup, const std::vector<std::string>& extra, Child* host,
               bench::LoadOptions* load, pipes::SocketNaming* naming, std::string* error,
               std::filesystem::path* state_dir = nullptr) {
  int run = ++setup.runs;
  std::filesystem::path state = setup.dir / ("host" + std::to_string(run));
  if (state_dir != nullptr) *state_dir = state;
  std::string instance = "bench" + std::to_string(::getpid()) + "r" + std::to_string(run);
  std::vector<std::string> argv = {setup.amahost, "--state-dir", state.string(),
                                   "--instance",  instance,      "--sync",
                                   setup.sync,    "--log-level", "warning"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.end(), setup.host_args.begin(), setup.host_args.end());
  if (!Spawn(argv, setup.dir / ("amahost" + std::to_string(run) + ".log"), host)) {
    *error = "cannot start amahost";
    return false;
  }
  naming->instance = instance;
  load->address = pipes::ExtensionSocketAddress(*naming, "ChangeTracking-Linux");
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

// The host's status (AmahostStatus on its config socket), parsed; empty when it does not answer.
rapidjson::Document HostStatus(const pipes::SocketNaming& naming) {
  rapidjson::Document document;
  std::unique_ptr<pipes::Client> client;
  std::string buffer, reply;
  std::error_code ec = pipes::Client::Connect(pipes::ConfigSocketAddress(naming), &client);
  if (!ec) {
    ec = client->SendAll(R"({"Request":"AmahostStatus","RequestId":")" + base::NewUuid() +
                         R"(","Version":"1"})");
  }
  if (!ec) ec = client->ReadJsonObject(&buffer, &reply, 10s);
  if (!ec) document.Parse(reply.c_str(), reply.size());
  return document;
}

// The records the host holds and has not uploaded, over all its streams.
std::uint64_t Backlog(const rapidjson::Document& status) {
  std::uint64_t records = 0;
  if (!status.IsObject() || !status.HasMember("Status")) return 0;
  const auto& streams = status["Status"]["host"]["streams"];
  if (!streams.IsArray()) return 0;
  for (const auto& stream : streams.GetArray()) {
    if (stream.HasMember("backlogRecords")) records += stream["backlogRecords"].GetUint64();
  }
  return records;
}

// A number at `path` in the host's status document ({"Status": {...}}), if it is there (an
// older host given with --amahost may lack it).
std::optional<std::uint64_t> StatusNumber(const rapidjson::Document& status,
                                          std::initializer_list<const char*> path) {
  if (!status.IsObject() || !status.HasMember("Status")) return std::nullopt;
  const rapidjson::Value* value = &status["Status"];
  for (const char* name : path) {
    if (!value->IsObject() || !value->HasMember(name)) return std::nullopt;
    value = &(*value)[name];
  }
  if (!value->IsUint64()) return std::nullopt;
  return value->GetUint64();
}

// The store's transactions that committed rows since it opened (store.commits): with WAL and
// synchronous=FULL, one fsync each. Asked again for up to 2 s if the host does not answer; none
// if it still does not, or has no such figure (an older host given with --amahost).
std::optional<std::uint64_t> StoreCommits(const pipes::SocketNaming& naming) {
  std::optional<std::uint64_t> commits;
  WaitFor(
      [&] {
        rapidjson::Document status = HostStatus(naming);
        commits = StatusNumber(status, {"host", "store", "commits"});
        // An answer without the figure will not grow one.
        return commits || StatusNumber(status, {"host", "uptimeSeconds"}).has_value();
      },
      2s);
  return commits;
}

struct IngestResult {
  double records_per_second = 0;
  double messages_per_second = 0;
  double seconds = 0;
  double peak_rss_mib = 0;
  double cpu_seconds = 0;  // the host's, during the load
  // The store's commits (fsyncs) per second during the load; none when the host does not say.
  std::optional<double> commits_per_second;
  double ack_p50_ms = 0;  // with acks, from a message's send to its ack
  double ack_p99_ms = 0;
};

// With acks the figure is from the first send to the last ack. Without, the loader cannot see
// commits, so after sending it polls the host's status until the records committed for the
// sockets (counters.recordsCommitted) equal the records sent, and the figure and the host's CPU
// are from the first send to that point.
bool RunIngest(Setup& setup, const bench::LoadOptions& options, IngestResult* out,
               std::string* error) {
  Child host;
  bench::LoadOptions load = options;
  pipes::SocketNaming naming;
  if (!StartHost(setup, {"--no-upload"}, &host, &load, &naming, error)) return false;
  const std::optional<std::uint64_t> commits_before = StoreCommits(naming);
  const double cpu_before = CpuSeconds(host.pid);
  bench::LoadResult result = bench::RunLoad(load);
  if (!result.error.empty()) {
    *error = "load failed: " + result.error;
    return false;
  }
  if (load.ack) {
    out->cpu_seconds = CpuSeconds(host.pid) - cpu_before;
    out->seconds = result.seconds;
    if (result.records_acked != load.records) {
      *error = std::to_string(result.records_acked) + " of " + std::to_string(load.records) +
               " records acknowledged";
      return false;
    }
  } else {
    std::uint64_t committed = 0;
    const bool all = WaitFor(
        [&] {
          committed = StatusNumber(HostStatus(naming), {"counters", "recordsCommitted"})
                          .value_or(committed);
          return committed >= result.records_sent;
        },
        std::chrono::minutes(5));
    out->seconds = std::chrono::duration<double>(Clock::now() - result.began).count();
    out->cpu_seconds = CpuSeconds(host.pid) - cpu_before;
    if (!all || result.records_sent != load.records) {
      *error = std::to_string(committed) + " of " + std::to_string(result.records_sent) +
               " records sent (of " + std::to_string(load.records) +
               ") committed within 5 minutes of the last send";
      return false;
    }
  }
  const std::optional<std::uint64_t> commits_after = StoreCommits(naming);
  if (commits_before && commits_after) {
    out->commits_per_second = static_cast<double>(*commits_after - *commits_before) / out->seconds;
  }
  out->records_per_second = static_cast<double>(load.records) / out->seconds;
  out->messages_per_second = static_cast<double>(result.messages_sent) / out->seconds;
  out->ack_p50_ms = result.ack_p50_ms;
  out->ack_p99_ms = result.ack_p99_ms;
  out->peak_rss_mib = static_cast<double>(PeakRssKiB(host.pid)) / 1024.0;
  return true;
}

// The sender alone (drain.h): the load without a host, into a socket that only reads.
bool RunSenderAlone(const Setup& setup, const bench::LoadOptions& options,
                    double* records_per_second, std::string* error) {
  const bench::LoadResult result = bench::RunIntoDrain(options, setup.dir / "drain.sock");
  if (!result.error.empty() || result.seconds <= 0) {
    *error = "the sender alone failed: " + result.error;
    return false;
  }
  *records_per_second = static_cast<double>(result.records_sent) / result.seconds;
  return true;
}

std::vector<std::string> UploadArgs(const Sink& sink) {
  return {"--cloud-endpoint", sink.base_url, "--ca-file", sink.ca, "--upload-window", "1"};
}

struct EndToEndResult {
  double records_per_second = 0;
  double seconds = 0;
  double cpu_us_per_record = 0;
  double cores = 0;
  double compressed_bytes_per_record = 0;
  double json_bytes_per_record = 0;
  double peak_rss_mib = 0;
};

bool RunEndToEnd(Setup& setup, const bench::LoadOptions& options, const std::string& sink_mode,
                 EndToEndResult* out, std::string* error) {
  Sink sink;
  if (!StartSink(setup, sink_mode, &sink, error)) return false;
  Child host;
  bench::LoadOptions load = options;
  pipes::SocketNaming naming;
  if (!StartHost(setup, UploadArgs(sink), &host, &load, &naming, error)) return false;
  const double cpu_before = CpuSeconds(host.pid);
  Clock::time_point began = Clock::now();
  bench::LoadResult result = bench::RunLoad(load);
  if (!result.error.empty()) {
    *error = "load failed: " + result.error;
    return false;
  }
  std::uint64_t items = 0;
  bool all = WaitFor(
      [&] {
        items = sink.Counter("items");
        return items >= load.records;
      },
      std::chrono::minutes(10));
  out->seconds = std::chrono::duration<double>(Clock::now() - began).count();
  const double cpu = CpuSeconds(host.pid) - cpu_before;
  if (!all) {
    *error = std::to_string(items) + " of " + std::to_string(load.records) +
             " records reached mockcloud in 10 minutes";
    return false;
  }
  out->records_per_second = static_cast<double>(items) / out->seconds;
  out->cpu_us_per_record = cpu * 1e6 / static_cast<double>(items);
  out->cores = cpu / out->seconds;
  out->compressed_bytes_per_record =
      static_cast<double>(sink.Counter("compressedBytes")) / static_cast<double>(items);
  out->json_bytes_per_record =
      static_cast<double>(sink.Counter("bytes")) / static_cast<double>(items);
  out->peak_rss_mib = static_cast<double>(PeakRssKiB(host.pid)) / 1024.0;
  return true;
}

struct ReplayResult {
  double records_per_second = 0;
  double seconds = 0;
  double cpu_us_per_record = 0;
};

double ChildrenCpuSeconds() {
  struct rusage usage = {};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// A host keeps `options.records` records (uploads off, its cache pointing at a discarding
// mockcloud) and stops; then `amactl replay` sends its state folder there. The figure is
// records/s from amactl's start until every record is counted at mockcloud.
bool RunReplay(Setup& setup, const bench::LoadOptions& options, ReplayResult* out,
               std::string* error) {
  Sink sink;
  if (!StartSink(setup, "discard", &sink, error)) return false;
  std::filesystem::path state;
  {
    Child host;
    bench::LoadOptions load = options;
    load.ack = true;  // the folder must hold every record before the host stops
    pipes::SocketNaming naming;
    std::vector<std::string> extra = UploadArgs(sink);
    extra.push_back("--no-upload");
    if (!StartHost(setup, extra, &host, &load, &naming, error, &state)) return false;
    bench::LoadResult result = bench::RunLoad(load);
    if (!result.error.empty() || result.records_acked != load.records) {
      *error = "load for the replay failed: " + result.error;
      return false;
    }
  }  // stopped: the folder is a stopped host's
  const double cpu_before = ChildrenCpuSeconds();
  const Clock::time_point began = Clock::now();
  Child replay;
  if (!Spawn({AMACTL_BINARY, "replay", state.string(), "--ca-file", sink.ca, "--progress", "none"},
             setup.dir / ("replay" + std::to_string(++setup.runs) + ".log"), &replay)) {
    *error = "cannot start amactl replay";
    return false;
  }
  std::uint64_t items = 0;
  const bool all = WaitFor(
      [&] {
        items = sink.Counter("items");
        return items >= options.records;
      },
      std::chrono::minutes(10));
  out->seconds = std::chrono::duration<double>(Clock::now() - began).count();
  if (!all) {
    *error = std::to_string(items) + " of " + std::to_string(options.records) +
             " records reached mockcloud in 10 minutes of replay";
    return false;
  }
  if (!WaitFor([&] { return !replay.Running(); }, std::chrono::minutes(1))) {
    *error = "amactl replay did not exit after sending everything";
    return false;
  }
  out->records_per_second = static_cast<double>(items) / out->seconds;
  out->cpu_us_per_record = (ChildrenCpuSeconds() - cpu_before) * 1e6 / static_cast<double>(items);
  return true;
}

// Records offered at `rate` for `seconds` while the host uploads to a discarding mockcloud;
// prints the backlog every `every` seconds and whether it stayed flat.
bool RunMixed(Setup& setup, const bench::LoadOptions& options, double rate, int seconds,
              std::string* error) {
  Sink sink;
  if (!StartSink(setup, "discard", &sink, error)) return false;
  Child host;
  bench::LoadOptions load = options;
  pipes::SocketNaming naming;
  if (!StartHost(setup, UploadArgs(sink), &host, &load, &naming, error)) return false;
  load.rate = rate;
  load.ack = true;  // the acked/s column counts the host's acks
  load.records = static_cast<std::uint64_t>(rate * seconds);
  std::printf(
      "  mixed: %.0f records/s offered for %d s while the host uploads (mockcloud "
      "--discard)\n",
      rate, seconds);
  std::printf("    %6s  %12s  %12s  %14s  %8s\n", "t (s)", "acked/s", "uploaded/s",
              "backlog records", "host CPU");
  bench::LoadResult result;
  std::thread sender([&] { result = bench::RunLoad(load); });
  const Clock::time_point began = Clock::now();
  const int every = std::max(1, seconds / 12);
  std::uint64_t last_uploaded = 0, last_acked = 0;
  double last_cpu = CpuSeconds(host.pid);
  std::vector<std::uint64_t> backlogs;
  for (int t = every; t <= seconds; t += every) {
    std::this_thread::sleep_until(began + std::chrono::seconds(t));
    rapidjson::Document status = HostStatus(naming);
    if (!status.IsObject() || !status.HasMember("Status")) {
      *error = "the host stopped answering its status";
      sender.join();
      return false;
    }
    const std::uint64_t acked = status["Status"]["counters"]["acksSent"].GetUint64() *
                                static_cast<std::uint64_t>(load.batch);
    const std::uint64_t uploaded = sink.Counter("items");
    const std::uint64_t backlog = Backlog(status);
    const double cpu = CpuSeconds(host.pid);
    backlogs.push_back(backlog);
    std::printf("    %6d  %12.0f  %12.0f  %14llu  %7.2f\n", t,
                static_cast<double>(acked - last_acked) / every,
                static_cast<double>(uploaded - last_uploaded) / every,
                static_cast<unsigned long long>(backlog), (cpu - last_cpu) / every);
    std::fflush(stdout);
    last_acked = acked;
    last_uploaded = uploaded;
    last_cpu = cpu;
  }
  sender.join();
  if (!result.error.empty()) {
    *error = "load failed: " + result.error;
    return false;
  }
  // Flat: the second half never holds much more than the first did, give or take two batches
  // (what is in flight at any moment).
  const std::size_t half = backlogs.size() / 2;
  const std::uint64_t first_max = *std::max_element(backlogs.begin(), backlogs.begin() + half);
  const std::uint64_t second_max = *std::max_element(backlogs.begin() + half, backlogs.end());
  const bool flat = second_max <= first_max * 3 / 2 + 20000;
  std::printf("    backlog %s: at most %llu records in the first half, %llu in the second\n",
              flat ? "flat" : "GROWING", static_cast<unsigned long long>(first_max),
              static_cast<unsigned long long>(second_max));
  std::printf("    host peak RSS %.1f MiB\n", static_cast<double>(PeakRssKiB(host.pid)) / 1024.0);
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
  std::uint64_t e2e_records = 2000000;
  std::int64_t number = 0;
  std::string mode = "forward", keep, sink_mode = "both";
  Setup setup;
  bool e2e = true, matrix = false;
  int mixed_seconds = 60;
  double mixed_rate = 300000;
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
    if (args.TakeNumber("--messages-per-write", 1, 100000, &number)) {
      load.messages_per_write = static_cast<int>(number);
      continue;
    }
    if (args.TakeNumber("--mixed-seconds", 0, 86400, &number)) {
      mixed_seconds = static_cast<int>(number);
      continue;
    }
    if (args.TakeNumber("--mixed-rate", 1, 100000000, &number)) {
      mixed_rate = static_cast<double>(number);
      continue;
    }
    if (args.TakeOption("--mode", &mode)) continue;
    if (args.TakeOption("--sink", &sink_mode)) continue;
    if (args.TakeOption("--sync", &setup.sync)) continue;
    if (args.TakeOption("--keep", &keep)) continue;
    if (args.TakeOption("--amahost", &setup.amahost)) continue;
    std::string host_arg;
    if (args.TakeOption("--host-arg", &host_arg)) {
      setup.host_args.push_back(host_arg);
      continue;
    }
    if (args.TakeFlag("--no-e2e")) {
      e2e = false;
      continue;
    }
    if (args.TakeFlag("--no-acks")) {
      load.ack = false;
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
  if (sink_mode != "discard" && sink_mode != "memory" && sink_mode != "both") {
    std::fprintf(stderr, "amabench: --sink takes discard, memory or both, not '%s'\n",
                 sink_mode.c_str());
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
  httpclient::CurlGlobal curl;

  std::printf(
      "amabench: %llu records of ~%zu bytes, %d records per message (1 in message mode), %s, "
      "%s, synchronous=%s, %u cores\n",
      static_cast<unsigned long long>(load.records), load.record_bytes, load.batch,
      load.messages_per_write == 1
          ? "a write per message"
          : fmt::format("{} messages per write", load.messages_per_write).c_str(),
      matrix ? "acks as the table says" : (load.ack ? "acks" : "no acks"), setup.sync.c_str(),
      std::thread::hardware_concurrency());
  if (matrix) {
    // Forward and PackedForward with an ack per message of --batch records; Message mode (one
    // record per message) first without acks, timed until the host has committed every record,
    // then with an ack per message, where each message waits for its group's fsync.
    struct Cell {
      pipes::ForwardMode mode;
      bool ack;
      int connections;
    };
    std::vector<Cell> cells;
    for (pipes::ForwardMode each :
         {pipes::ForwardMode::kForward, pipes::ForwardMode::kPackedForward}) {
      for (int connections : {1, 8, 64}) cells.push_back({each, true, connections});
    }
    cells.push_back({pipes::ForwardMode::kMessage, false, 1});
    for (int connections : {1, 8, 64}) {
      cells.push_back({pipes::ForwardMode::kMessage, true, connections});
    }
    std::printf("  %-8s %4s %5s %9s %10s %10s %9s %8s %8s %8s %8s\n", "mode", "acks", "conns",
                "records", "records/s", "messages/s", "commits/s", "host us", "ack p50", "ack p99",
                "peak RSS");
    std::printf("  %-8s %4s %5s %9s %10s %10s %9s %8s %8s %8s %8s\n", "", "", "", "", "", "",
                "(fsyncs)", "/record", "ms", "ms", "MiB");
    for (const Cell& each : cells) {
      bench::LoadOptions cell = load;
      cell.mode = each.mode;
      cell.ack = each.ack;
      cell.connections = each.connections;
      if (each.mode == pipes::ForwardMode::kMessage && each.ack) {
        cell.records = std::min<std::uint64_t>(cell.records, kMaxMessageModeRecords);
      }
      IngestResult result;
      if (!RunIngest(setup, cell, &result, &error)) return Fail(error, setup.dir);
      const std::string commits =
          result.commits_per_second ? fmt::format("{:.0f}", *result.commits_per_second) : "-";
      const std::string p50 = each.ack ? fmt::format("{:.2f}", result.ack_p50_ms) : "-";
      const std::string p99 = each.ack ? fmt::format("{:.2f}", result.ack_p99_ms) : "-";
      std::printf("  %-8s %4s %5d %9llu %10.0f %10.0f %9s %8.2f %8s %8s %8.1f\n",
                  ModeName(each.mode), each.ack ? "yes" : "no", each.connections,
                  static_cast<unsigned long long>(cell.records), result.records_per_second,
                  result.messages_per_second, commits.c_str(),
                  result.cpu_seconds * 1e6 / static_cast<double>(cell.records), p50.c_str(),
                  p99.c_str(), result.peak_rss_mib);
      std::fflush(stdout);
    }
    // Message mode's client writes one message per system call: how fast it can write at all.
    bench::LoadOptions alone = load;
    alone.mode = pipes::ForwardMode::kMessage;
    alone.connections = 1;
    double alone_rate = 0;
    if (!RunSenderAlone(setup, alone, &alone_rate, &error)) return Fail(error, setup.dir);
    std::printf("  message mode's sender alone, into a socket that only reads: %.0f records/s\n",
                alone_rate);
    std::fflush(stdout);
    // The same messages from a client that gathers them into its own buffer: the host's figure
    // when the sender's system calls are not the limit.
    bench::LoadOptions buffered = alone;
    buffered.ack = false;
    buffered.messages_per_write = 64;
    IngestResult result;
    if (!RunIngest(setup, buffered, &result, &error)) return Fail(error, setup.dir);
    std::printf(
        "  message mode, no acks, 64 messages per write (a client with its own buffer): %.0f "
        "records/s at %.2f host us per record\n",
        result.records_per_second,
        result.cpu_seconds * 1e6 / static_cast<double>(buffered.records));
    std::fflush(stdout);
  } else {
    IngestResult result;
    if (!RunIngest(setup, load, &result, &error)) return Fail(error, setup.dir);
    std::printf("  %s mode, %d connection(s), %s\n", ModeName(load.mode), load.connections,
                load.ack ? "an ack per message" : "no acks");
    std::printf("  durable ingest   %12.0f records/s   (%llu records %s in %.2f s; uploads off)\n",
                result.records_per_second, static_cast<unsigned long long>(load.records),
                load.ack ? "acknowledged after commit" : "sent and committed", result.seconds);
    std::printf("  messages         %12.0f per second\n", result.messages_per_second);
    if (result.commits_per_second) {
      std::printf("  store commits    %12.0f per second (one fsync each)\n",
                  *result.commits_per_second);
    }
    if (load.ack) {
      std::printf("  ack latency      %12.2f ms p50, %.2f ms p99 (a message's send to its ack)\n",
                  result.ack_p50_ms, result.ack_p99_ms);
    }
    if (!load.ack) {
      double alone_rate = 0;
      if (!RunSenderAlone(setup, load, &alone_rate, &error)) return Fail(error, setup.dir);
      std::printf(
          "  sender alone     %12.0f records/s   (the same load into a socket that only "
          "reads it: the most any host could take from this sender here)\n",
          alone_rate);
    }
    std::printf("  host peak RSS    %12.1f MiB\n", result.peak_rss_mib);
    std::printf("  host CPU         %12.2f us per record (%.2f of %u cores while ingesting)\n",
                result.cpu_seconds * 1e6 / static_cast<double>(load.records),
                result.cpu_seconds / result.seconds, std::thread::hardware_concurrency());
    std::fflush(stdout);
  }

  if (e2e) {
    bench::LoadOptions e2e_load = load;
    e2e_load.records = e2e_records;
    for (const char* each : {"discard", "memory"}) {
      if (sink_mode != "both" && sink_mode != each) continue;
      EndToEndResult result;
      if (!RunEndToEnd(setup, e2e_load, each, &result, &error)) return Fail(error, setup.dir);
      std::printf(
          "  end to end       %12.0f records/s   (HTTPS to mockcloud --%s: %llu records in "
          "%.2f s; %s mode, %d connection(s))\n",
          result.records_per_second, each, static_cast<unsigned long long>(e2e_records),
          result.seconds, ModeName(e2e_load.mode), e2e_load.connections);
      std::printf("    host CPU       %12.2f us per delivered record (%.2f of %u cores)\n",
                  result.cpu_us_per_record, result.cores, std::thread::hardware_concurrency());
      std::printf("    compressed     %12.1f bytes per record uploaded (%.1f as JSON, %.1fx)\n",
                  result.compressed_bytes_per_record, result.json_bytes_per_record,
                  result.json_bytes_per_record / std::max(1.0, result.compressed_bytes_per_record));
      std::printf("    host peak RSS  %12.1f MiB\n", result.peak_rss_mib);
      std::fflush(stdout);
    }
    if (sink_mode != "memory") {
      ReplayResult result;
      if (!RunReplay(setup, e2e_load, &result, &error)) return Fail(error, setup.dir);
      std::printf(
          "  replay           %12.0f records/s   (amactl replay of a stopped host's %llu records "
          "to mockcloud --discard in %.2f s)\n",
          result.records_per_second, static_cast<unsigned long long>(e2e_records), result.seconds);
      std::printf("    amactl CPU     %12.2f us per record\n", result.cpu_us_per_record);
      std::fflush(stdout);
    }
    if (mixed_seconds > 0 && !RunMixed(setup, load, mixed_rate, mixed_seconds, &error)) {
      return Fail(error, setup.dir);
    }
  }
  if (keep.empty()) std::filesystem::remove_all(setup.dir);
  return 0;
}
