// upload_steps: the cost of each step an upload batch takes, per record, on one core: restoring
// the stored rows (zstd), converting the records to the ODS JSON body, and compressing the body
// with each candidate (zlib and libdeflate at several levels). No sockets, no SQLite: what
// docs/design.md's "Where upload time goes" table is read from.

#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "base/args.h"
#include "codec/fluent_entries.h"
#include "codec/msgpack_writer.h"
#include "loadgen.h"
#include "localstore/record_batch.h"
#include "uploader/ods_request.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr char kUsage[] = R"(Usage: upload_steps [options]

Builds one upload batch of Change Tracking-like records (as amabench sends them), then times
each step of turning it into an ODS request body, many times over, and prints microseconds per
record and the body sizes.

Options:
  --records N       records in the batch (default 10000, the uploader's batch size)
  --per-row N       records per stored row (default 1000: one Forward message each)
  --record-bytes N  size of each record (default 300)
  --seconds S       how long to repeat each step (default 2)
  --only STEP       time one step alone (restore, json, zlib or libdeflate), e.g. under perf
  --runs N          repeat each step exactly N times instead of for --seconds (for callgrind,
                    whose instruction counts compare builds on a busy machine)
)";

// Exactly this many runs of each step when not zero (--runs).
int g_fixed_runs = 0;

// Runs `step` repeatedly for about `seconds` (or g_fixed_runs times) and returns the mean
// seconds per run.
double Time(double seconds, const std::function<void()>& step) {
  step();  // warm caches and buffers
  int runs = 0;
  Clock::time_point start = Clock::now();
  double elapsed = 0;
  do {
    step();
    ++runs;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (g_fixed_runs > 0 ? runs < g_fixed_runs : elapsed < seconds);
  return elapsed / runs;
}

std::string ZlibCompress(const std::string& data, int level) {
  uLongf size = compressBound(data.size());
  std::string out(size, '\0');
  compress2(reinterpret_cast<Bytef*>(out.data()), &size,
            reinterpret_cast<const Bytef*>(data.data()), data.size(), level);
  out.resize(size);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  base::ArgReader args(argv + 1, argv + argc);
  std::int64_t records = 10000, per_row = 1000, record_bytes = 300;
  double seconds = 2;
  std::int64_t number = 0;
  std::string only;
  while (!args.Done()) {
    if (args.TakeFlag("--help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (args.TakeNumber("--records", 1, 10000000, &records)) continue;
    if (args.TakeNumber("--per-row", 1, 1000000, &per_row)) continue;
    if (args.TakeNumber("--record-bytes", 64, 1000000, &record_bytes)) continue;
    if (args.TakeOption("--only", &only)) continue;
    if (args.TakeNumber("--runs", 1, 1000000, &number)) {
      g_fixed_runs = static_cast<int>(number);
      continue;
    }
    if (args.TakeNumber("--seconds", 1, 600, &number)) {
      seconds = static_cast<double>(number);
      continue;
    }
    args.RejectCurrent();
  }
  if (!args.error().empty()) {
    std::fprintf(stderr, "upload_steps: %s\n%s", args.error().c_str(), kUsage);
    return 2;
  }

  // The stored rows: packed entries as the store keeps them, and their zstd frames (level -1).
  std::vector<localstore::StoredRow> rows;
  std::vector<std::string> frames;
  std::uint64_t raw_bytes = 0;
  const codec::EventTime now = codec::EventTimeNow();
  for (std::int64_t first = 0; first < records; first += per_row) {
    const std::int64_t n = std::min(per_row, records - first);
    localstore::StoredRow row;
    row.row_id = static_cast<std::int64_t>(rows.size()) + 1;
    row.count = static_cast<std::uint32_t>(n);
    codec::MsgpackWriter writer(&row.entries);
    for (std::int64_t i = 0; i < n; ++i) {
      writer.Array(2);
      codec::WriteEventTime(writer, now);
      writer.Raw(bench::MakeRecord(static_cast<std::uint64_t>(first + i),
                                   static_cast<std::size_t>(record_bytes)));
    }
    raw_bytes += row.entries.size();
    std::string frame(ZSTD_compressBound(row.entries.size()), '\0');
    frame.resize(
        ZSTD_compress(frame.data(), frame.size(), row.entries.data(), row.entries.size(), -1));
    frames.push_back(std::move(frame));
    rows.push_back(std::move(row));
  }
  const double per_record = 1e6 / static_cast<double>(records);

  std::printf("upload_steps: %lld records of ~%lld bytes in %zu rows; %.1f MB of entries\n",
              static_cast<long long>(records), static_cast<long long>(record_bytes), rows.size(),
              static_cast<double>(raw_bytes) / 1e6);
  std::printf("  %-34s %10s  %12s  %8s\n", "step", "us/record", "bytes/record", "MB/s in");

  auto run = [&](const char* step) { return only.empty() || only == step; };
  double t = 0;
  std::vector<std::string> restored(rows.size());
  if (run("restore"))
    t = Time(seconds, [&] {
      for (std::size_t i = 0; i < rows.size(); ++i) {
        restored[i].resize(rows[i].entries.size());
        ZSTD_decompress(restored[i].data(), restored[i].size(), frames[i].data(), frames[i].size());
      }
    });
  if (run("restore")) {
    std::printf("  %-34s %10.3f  %12.1f  %8.0f\n", "restore rows (zstd)", t * per_record,
                static_cast<double>(raw_bytes) / records, raw_bytes / t / 1e6);
  }

  uploader::OdsJson json;
  t = Time(run("json") ? seconds : 0.001, [&] {
    uploader::BuildOdsJson({.data_type = "CONFIG_CHANGE_BLOB_V2",
                            .ip_name = "ChangeTracking",
                            .agent_id = "6f1c4a52-3b8e-4d2a-9c71-0e5d2b7a8f10"},
                           rows, &json);
  });
  const std::string& body = json.text;
  if (run("json")) {
    std::printf("  %-34s %10.3f  %12.1f  %8.0f\n", "msgpack -> ODS JSON", t * per_record,
                static_cast<double>(body.size()) / records, raw_bytes / t / 1e6);
  }

  for (int level : {1, 6}) {
    if (!run("zlib")) break;
    std::string out;
    t = Time(seconds, [&] { out = ZlibCompress(body, level); });
    std::printf("  %-34s %10.3f  %12.1f  %8.0f\n", ("zlib level " + std::to_string(level)).c_str(),
                t * per_record, static_cast<double>(out.size()) / records, body.size() / t / 1e6);
  }
  for (int level : {1, 2, 4, 6}) {
    if (!run("libdeflate")) break;
    libdeflate_compressor* compressor = libdeflate_alloc_compressor(level);
    std::string out(libdeflate_zlib_compress_bound(compressor, body.size()), '\0');
    std::size_t size = 0;
    t = Time(seconds, [&] {
      size = libdeflate_zlib_compress(compressor, body.data(), body.size(), out.data(), out.size());
    });
    libdeflate_free_compressor(compressor);
    std::printf("  %-34s %10.3f  %12.1f  %8.0f\n",
                ("libdeflate zlib level " + std::to_string(level)).c_str(), t * per_record,
                static_cast<double>(size) / records, body.size() / t / 1e6);
  }
  return 0;
}
