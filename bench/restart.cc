// restart_bench: how long amahost takes to be ready on a large cache, and whether reading the
// oldest rows (what each upload batch starts with) costs the same at the start and at the end of
// a large backlog. For each size (GB of records as the quota counts them, 10^9 bytes; the
// default quota is 10000 MiB) it fills a state folder through the store itself (Change
// Tracking-like records of ~300 bytes over the embedded DCR's four streams), starts amahost on
// it with uploads off and times it to "is ready." (files in the page cache, then, as root, with
// the caches dropped), then removes all but the last rows of every table (as uploads would) and
// reads the oldest rows again. Prints one line per size.
//   restart_bench [--gb N]... [--dir DIR] [--keep]   (scripts/bench --restart: --gb 1 --gb 10)

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "base/logger.h"
#include "codec/fluent_entries.h"
#include "codec/msgpack_writer.h"
#include "loadgen.h"
#include "localstore/store.h"
#include "processes.h"

namespace {

using Clock = std::chrono::steady_clock;

// The embedded DCR's streams (ama/data/changetracking-linux.json, logs-ingestion-example.json).
const std::vector<std::string>& Streams() {
  static const std::vector<std::string> streams = {
      "dcr-a3e1c0d2b4f64e8c9d7f00c7c0ffee01:CTDataSource-Linux:CONFIG_CHANGE_BLOB",
      "dcr-a3e1c0d2b4f64e8c9d7f00c7c0ffee01:CTDataSource-Linux:CONFIG_CHANGE_BLOB_V2",
      "dcr-a3e1c0d2b4f64e8c9d7f00c7c0ffee01:CTDataSource-Linux:CONFIG_DATA_BLOB_V2",
      "dcr-b7d2e1f0a9c84b3e8f6a1d2c3b4a5e01:AppEvents:Custom-AppEvents_CL",
  };
  return streams;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::uint64_t FolderBytes(const std::filesystem::path& folder) {
  std::uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  return bytes;
}

// Fills `tables` until the store holds `bytes` of entries (what the quota counts; the files take
// about a third of that: rows are compressed); returns false on a store error.
bool Fill(const std::filesystem::path& tables, std::uint64_t bytes, base::Logger& logger) {
  localstore::StoreOptions options;
  options.tables_dir = tables;
  options.logger = &logger;
  std::unique_ptr<localstore::Store> store;
  if (std::error_code ec = localstore::Store::Open(options, &store)) {
    std::fprintf(stderr, "restart_bench: cannot open the store: %s\n", ec.message().c_str());
    return false;
  }
  constexpr int kBatch = 2000;
  std::mutex mutex;
  std::condition_variable cv;
  int outstanding = 0;
  std::atomic<bool> failed{false};
  std::uint64_t sequence = 0;
  std::uint64_t next_report = 1'000'000'000;
  for (std::size_t n = 0; store->Quota().stored_bytes < bytes && !failed; ++n) {
    localstore::RecordBatch batch;
    batch.stream_id = Streams()[n % Streams().size()];
    codec::MsgpackWriter writer(&batch.entries);
    const codec::EventTime now = codec::EventTimeNow();
    for (int i = 0; i < kBatch; ++i) {
      writer.Array(2);
      codec::WriteEventTime(writer, now);
      batch.entries += bench::MakeRecord(++sequence, 300);
    }
    batch.count = kBatch;
    {
      std::unique_lock lock(mutex);
      cv.wait(lock, [&] { return outstanding < 8; });
      ++outstanding;
    }
    store->Append(std::move(batch), [&](std::error_code ec) {
      if (ec) failed = true;
      std::lock_guard lock(mutex);
      --outstanding;
      cv.notify_all();
    });
    if (store->Quota().stored_bytes >= next_report) {
      std::fprintf(stderr, "  %.0f GB stored\n", static_cast<double>(next_report) / 1e9);
      next_report += 1'000'000'000;
    }
  }
  std::unique_lock lock(mutex);
  cv.wait(lock, [&] { return outstanding == 0; });
  store->Close();
  return !failed;
}

// The median time of reading the oldest rows of one stream as an upload batch does (at most
// 4 MiB of entries: ReadLimits' defaults), in ms.
double OldestReadMs(localstore::Store& store) {
  std::vector<double> times;
  std::vector<localstore::StoredRow> rows;
  for (int i = 0; i < 9; ++i) {
    const auto start = Clock::now();
    store.ReadOldest(Streams()[1], 0, localstore::ReadLimits{}, &rows);
    times.push_back(Seconds(Clock::now() - start) * 1000);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Removes every row of every stream but the last `keep`, 100 rows at a time, oldest first, as
// uploads do (without reading the entries: row ids are contiguous in a table never drained).
void Drain(localstore::Store& store, std::size_t keep) {
  for (const std::string& stream : Streams()) {
    std::vector<localstore::StoredRow> first;
    store.ReadOldest(stream, 0, localstore::ReadLimits{.max_rows = 1}, &first);
    const localstore::Backlog backlog = store.GetBacklog(stream);
    if (first.empty() || backlog.rows <= keep) continue;
    const std::int64_t end = first[0].row_id + static_cast<std::int64_t>(backlog.rows - keep);
    for (std::int64_t id = first[0].row_id; id < end; id += 100) {
      store.Remove(stream, id, std::min(id + 99, end - 1));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  bool keep = false;  // leave each state folder for a look, undrained
  std::filesystem::path base = std::filesystem::temp_directory_path();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--gb" && i + 1 < argc) {
      sizes.push_back(std::max(1, std::atoi(argv[++i])));
    } else if (arg == "--keep") {
      keep = true;
    } else if (arg == "--dir" && i + 1 < argc) {
      base = argv[++i];
    } else {
      std::fprintf(stderr, "usage: restart_bench [--gb N]... [--dir DIR] [--keep]\n");
      return 2;
    }
  }
  if (sizes.empty()) sizes = {1};
  base::NullLogger logger;
  std::printf("%-8s %-10s %-8s %-12s %-12s %-14s %-14s %-12s %-14s %s\n", "stored", "on disk",
              "fill", "ready warm", "ready cold", "checked warm", "checked cold", "RSS ready",
              "oldest batch", "after draining");
  for (int gb : sizes) {
    const std::filesystem::path dir = base / fmt::format("amahost-restart-{}-{}", gb, ::getpid());
    std::filesystem::remove_all(dir);
    const std::filesystem::path state = dir / "state";
    std::filesystem::create_directories(state);
    std::fprintf(stderr, "restart_bench: storing %d GB of records in %s\n", gb, state.c_str());
    const auto fill_start = Clock::now();
    if (!Fill(state / "Tables", static_cast<std::uint64_t>(gb) * 1'000'000'000, logger)) return 1;
    const std::uint64_t stored = FolderBytes(state);
    // The kernel writes the files back meanwhile otherwise, and the host's reads wait behind it.
    ::sync();
    const double fill_seconds = Seconds(Clock::now() - fill_start);

    // Ready: the host says so on stderr once its sockets listen. First with the files in the
    // page cache (a restart), then, as root, with the caches dropped (a reboot; n/a otherwise).
    // Checked: the host has read every page of every table (its "checked the pages" line), which
    // it does after it is ready, on a thread of its own.
    double ready_seconds = 0, cold_seconds = -1;
    double checked_seconds = 0, checked_cold_seconds = -1;
    long rss = 0;
    for (int round = 0; round < 2; ++round) {
      if (round == 1) {
        std::ofstream drop("/proc/sys/vm/drop_caches");
        if (!(drop << "3\n" << std::flush)) break;
      }
      const std::filesystem::path log = dir / fmt::format("amahost-{}.log", round);
      bench::Child host;
      const auto start = Clock::now();
      // A quota (of entries, about three times the files) that drops nothing at start.
      if (!bench::Spawn({AMAHOST_BINARY, "--state-dir", state.string(), "--instance",
                         fmt::format("restart{}", ::getpid()), "--no-upload", "--max-disk-quota-mb",
                         std::to_string(gb * 1024 * 8)},
                        log, &host)) {
        return 1;
      }
      auto logged = [&](const char* text) {
        return bench::WaitFor(
            [&] {
              std::ifstream in(log);
              std::string all((std::istreambuf_iterator<char>(in)), {});
              return all.find(text) != std::string::npos;
            },
            std::chrono::minutes(10));
      };
      const bool ready = logged("is ready.");
      (round == 0 ? ready_seconds : cold_seconds) = Seconds(Clock::now() - start);
      if (round == 0) rss = bench::PeakRssKiB(host.pid);
      const bool checked = ready && logged("checked the pages of");
      (round == 0 ? checked_seconds : checked_cold_seconds) = Seconds(Clock::now() - start);
      host.Stop();
      if (!ready || !checked) {
        std::fprintf(stderr, "restart_bench: the host was not %s within 10 minutes (%s)\n",
                     ready ? "done checking its tables" : "ready", log.c_str());
        return 1;
      }
    }

    localstore::StoreOptions options;
    options.tables_dir = state / "Tables";
    options.logger = &logger;
    std::unique_ptr<localstore::Store> store;
    if (localstore::Store::Open(options, &store)) return 1;
    const double first_ms = OldestReadMs(*store);
    if (!keep) Drain(*store, 5);
    const double last_ms = keep ? 0 : OldestReadMs(*store);
    store->Close();
    std::printf(
        "%-8s %-10s %-8s %-12s %-12s %-14s %-14s %-12s %-14s %s\n",
        fmt::format("{} GB", gb).c_str(),
        fmt::format("{:.1f} GiB", static_cast<double>(stored) / (1 << 30)).c_str(),
        fmt::format("{:.0f} s", fill_seconds).c_str(),
        fmt::format("{:.2f} s", ready_seconds).c_str(),
        cold_seconds < 0 ? "n/a" : fmt::format("{:.2f} s", cold_seconds).c_str(),
        fmt::format("{:.2f} s", checked_seconds).c_str(),
        checked_cold_seconds < 0 ? "n/a" : fmt::format("{:.2f} s", checked_cold_seconds).c_str(),
        fmt::format("{} MiB", rss / 1024).c_str(), fmt::format("{:.2f} ms", first_ms).c_str(),
        fmt::format("{:.2f} ms", last_ms).c_str());
    std::fflush(stdout);
    if (!keep) std::filesystem::remove_all(dir);
  }
  return 0;
}
