// amactl replay: sends (or exports) the streams of a state folder, offline, read-only, through
// the uploader's own pipeline (ReplaySource stands in for the store).

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ama/host_options.h"
#include "ama/routing.h"
#include "base/args.h"
#include "base/files.h"
#include "base/logger.h"
#include "base/uuid.h"
#include "base/version.h"
#include "commands.h"
#include "dcr/active_config.h"
#include "dcr/config_cache.h"
#include "dcr/parse.h"
#include "httpclient/curl_http_client.h"
#include "httpclient/curl_multi_client.h"
#include "localstore/table_name.h"
#include "progress.h"
#include "record_lines.h"
#include "replay_source.h"
#include "state_folder.h"
#include "uploader/token_cache.h"
#include "uploader/uploader.h"

namespace amactl {
namespace {

constexpr char kHelp[] = R"(Usage: amactl replay STATE_DIR [options]

Sends the records kept in a state folder's tables (STATE_DIR/Tables/*.tsf) to their channels,
or writes them out as NDJSON. Works on a copy of a folder from another machine, on the folder of
a stopped host, and beside a running one: the tables are only read (SQLite read-only, in WAL
mode: the host is never held up and nothing it owns is written). Each table is replayed as it
was when the replay began; the host's own uploads are not affected.

Where records go (one of):
  (default)                each stream to the channel its cached DCR names
                           (STATE_DIR/config-cache, or --config-dir), with tokens from the
                           channel's token endpoint
  --to URL                 every stream to this endpoint instead: an ODS endpoint
                           (https://<workspace>.ods.opinsights.azure.com) or, with
                           --protocol gig, a Logs Ingestion endpoint (a DCE)
  --ndjson PATH|-          no upload: write one JSON line per record to PATH (- = stdout)
  --dry-run                no upload: count what would go, and say where

Options:
  --protocol ods|gig       the protocol of --to (default ods)
  --ip-name NAME           the ODS IPName (the DCR stream's solution, e.g. ChangeTracking) of
                           streams whose DCR is not cached
  --token-file FILE        the bearer token of every request (instead of the channels' token
                           endpoints); needed with --to for streams whose DCR is not cached
  --ca-file FILE           PEM CA certificates to trust (e.g. mockcloud-state/ca.pem)
  --config-dir DIR         where config-cache/ is (default: STATE_DIR)
  --cloud-endpoint URL     point the cached channels at URL, as amahost's flag does: scheme,
                           host and port replaced, paths kept (e.g. a mockcloud)
  --stream ID|DATATYPE     only this stream (a full stream id or its DATATYPE); repeatable
  --since TIME             only records with an event time at or after TIME
  --until TIME             only records with an event time before TIME
                           TIME: 2026-12-01T10:00:00Z (RFC 3339, any offset), 2026-12-01,
                           @<unix seconds>, or an age: 90s, 30m, 12h, 7d (that long ago)
  --limit N                at most N records of each stream (the oldest that pass the filters)
  --with-time              NDJSON: {"time":…,"record":{…}} with each record's event time
  --with-stream            NDJSON: add "stream":<stream id> to each line
  --progress auto|bar|lines|none
                           a bar on a terminal, a line every 5 s otherwise (auto, the default)
  --give-up-after SECONDS  stop when nothing was delivered or refused for this long while
                           requests fail (default 120; 0 = never)
  --progress-interval SECONDS
                           how often plain progress lines are printed (default 5)
  --workers N              conversion and compression threads (default: one per core)
  --requests N             requests in flight at once (default 8); with 1, each stream's
                           records arrive in the order they were stored
  --batch-records N        records per request at most (default 10000)
  --resource-id ID         x-ms-AzureResourceId of ODS requests (default: as amahost's)
  --agent-id UUID          x-ms-UUID of ODS requests (default: STATE_DIR/agent-id)

Every batch's request id is derived from its rows (the agent id, the table, the row range and
the filters), so a replay interrupted and run again sends each batch under the same id, and a
receiver that removes duplicates by id (as mockcloud does) stores every record once.

Exit status: 0 when every record taken went (sent and accepted, written, or counted); 1 when
some did not (refused, damaged, no route, given up, interrupted); 2 for bad usage.
)";

std::atomic<int> g_signal{0};
extern "C" void OnSignal(int signal) { g_signal.store(signal); }

// The first `limit` characters of a one-line reason.
std::string Short(std::string text, std::size_t limit = 60) {
  if (text.size() > limit) text = text.substr(0, limit - 1) + "…";
  return text;
}

// A name-based UUID (RFC 4122 version 5: SHA-1 of `name` in a namespace of our own).
std::string NameBasedUuid(std::string_view name) {
  // Random once, fixed forever: the namespace of amactl replay's request ids.
  static constexpr unsigned char kNamespace[16] = {0x5d, 0x2b, 0x61, 0x8e, 0x0c, 0x4f, 0x47, 0x3a,
                                                   0x9b, 0x7e, 0x21, 0xd6, 0x8a, 0x53, 0xf0, 0x19};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  std::string input(reinterpret_cast<const char*>(kNamespace), sizeof kNamespace);
  input += name;
  EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha1(), nullptr);
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x50);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);
  std::string text;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += fmt::format("{:02x}", digest[i]);
  }
  return text;
}

// Warnings of the uploader, printed through the progress display.
class ReporterLogger final : public base::Logger {
 public:
  ReporterLogger(ProgressReporter& reporter, base::LogLevel level)
      : reporter_(reporter), level_(level) {}
  bool Enabled(base::LogLevel level) const override { return level >= level_; }
  void Write(base::LogLevel level, std::string_view component, std::string_view message) override {
    reporter_.Message(
        fmt::format("amactl replay: {} {}: {}", base::LogLevelName(level), component, message));
  }

 private:
  ProgressReporter& reporter_;
  base::LogLevel level_;
};

struct Settings {
  std::filesystem::path state_dir;
  std::filesystem::path config_dir;
  std::string to;
  std::string cloud_endpoint;
  std::string protocol = "ods";
  std::string ip_name;
  std::string token_file;
  std::string ca_file;
  std::string ndjson;
  bool dry_run = false;
  std::vector<std::string> streams;
  ReplayFilter filter;
  RecordLineOptions lines;
  std::string progress = "auto";
  std::chrono::milliseconds give_up_after{120000};
  std::chrono::milliseconds progress_interval{5000};
  unsigned workers = 0;
  std::size_t requests = 8;
  std::size_t batch_records = 10000;
  std::string resource_id;
  std::string agent_id;
};

int Usage(std::FILE* err, const std::string& message) {
  std::fprintf(err, "amactl replay: %s\nTry 'amactl replay --help'.\n", message.c_str());
  return 2;
}

// 0 = parsed, 2 = usage error (printed), -1 = --help printed.
int Parse(const std::vector<std::string>& argv, Settings* s, std::FILE* out, std::FILE* err) {
  base::ArgReader args(argv);
  std::string since;
  std::string until;
  std::string state_dir;
  std::string config_dir;
  while (!args.Done()) {
    std::string value;
    std::int64_t number = 0;
    if (args.TakeFlag("--help")) {
      std::fputs(kHelp, out);
      return -1;
    }
    if (args.TakeOption("--to", &s->to) ||
        args.TakeOption("--cloud-endpoint", &s->cloud_endpoint) ||
        args.TakeOption("--protocol", &s->protocol) ||
        args.TakeOption("--token-file", &s->token_file) ||
        args.TakeOption("--ip-name", &s->ip_name) || args.TakeOption("--ca-file", &s->ca_file) ||
        args.TakeOption("--ndjson", &s->ndjson) || args.TakeOption("--config-dir", &config_dir) ||
        args.TakeOption("--since", &since) || args.TakeOption("--until", &until) ||
        args.TakeOption("--progress", &s->progress) ||
        args.TakeOption("--resource-id", &s->resource_id) ||
        args.TakeOption("--agent-id", &s->agent_id) ||
        args.TakeSeconds("--give-up-after", 0, 7 * 86400, &s->give_up_after) ||
        args.TakeSeconds("--progress-interval", 0.05, 3600, &s->progress_interval)) {
      continue;
    }
    if (args.TakeOption("--stream", &value)) {
      s->streams.push_back(value);
      continue;
    }
    if (args.TakeNumber("--limit", 1, std::numeric_limits<std::int64_t>::max(), &number)) {
      s->filter.limit = static_cast<std::uint64_t>(number);
      continue;
    }
    if (args.TakeNumber("--workers", 1, 256, &number)) {
      s->workers = static_cast<unsigned>(number);
      continue;
    }
    if (args.TakeNumber("--requests", 1, 1024, &number)) {
      s->requests = static_cast<std::size_t>(number);
      continue;
    }
    if (args.TakeNumber("--batch-records", 1, 1000000, &number)) {
      s->batch_records = static_cast<std::size_t>(number);
      continue;
    }
    if (args.TakeFlag("--dry-run")) {
      s->dry_run = true;
      continue;
    }
    if (args.TakeFlag("--with-time")) {
      s->lines.with_time = true;
      continue;
    }
    if (args.TakeFlag("--with-stream")) {
      s->lines.with_stream = true;
      continue;
    }
    if (state_dir.empty() && args.TakePositional(&state_dir)) continue;
    args.RejectCurrent();
  }
  if (!args.error().empty()) return Usage(err, args.error());
  if (state_dir.empty()) return Usage(err, "which state folder? give STATE_DIR");
  s->state_dir = state_dir;
  s->config_dir = config_dir.empty() ? s->state_dir : std::filesystem::path(config_dir);
  if (s->protocol != "ods" && s->protocol != "gig") {
    return Usage(err, "--protocol must be ods or gig, not '" + s->protocol + "'");
  }
  if (s->progress != "auto" && s->progress != "bar" && s->progress != "lines" &&
      s->progress != "none") {
    return Usage(err, "--progress must be auto, bar, lines or none");
  }
  if (!s->to.empty() && !s->ndjson.empty()) {
    return Usage(err, "--to and --ndjson are two destinations; give one");
  }
  for (const auto& [url, name] :
       {std::pair{&s->to, "--to"}, {&s->cloud_endpoint, "--cloud-endpoint"}}) {
    if (!url->empty() && url->rfind("https://", 0) != 0 && url->rfind("http://", 0) != 0) {
      return Usage(err, std::string(name) + " must be an http(s) URL, not '" + *url + "'");
    }
  }
  if ((s->lines.with_time || s->lines.with_stream) && s->ndjson.empty()) {
    return Usage(err, "--with-time and --with-stream shape --ndjson lines; give --ndjson");
  }
  const auto now = std::chrono::system_clock::now();
  std::string error;
  for (const auto& [text, bound, name] :
       {std::tuple{&since, &s->filter.since_unix_ns, "--since"},
        std::tuple{&until, &s->filter.until_unix_ns, "--until"}}) {
    if (text->empty()) continue;
    std::int64_t ns = 0;
    if (!ParseTimeBound(*text, now, &ns, &error)) {
      return Usage(err, std::string(name) + " " + *text + ": " + error);
    }
    *bound = ns;
  }
  if (s->filter.since_unix_ns && s->filter.until_unix_ns &&
      *s->filter.since_unix_ns >= *s->filter.until_unix_ns) {
    return Usage(err, "--since must come before --until");
  }
  return 0;
}

// The route of each selected stream (upload mode), or why it has none.
struct Plan {
  std::vector<uploader::Route> routes;
  std::map<std::string, std::string> unroutable;  // stream id → why
};

// What the cached DCRs (config-cache/) say about each stream: its upload route, and which
// streams they name at all.
struct CachedRoutes {
  std::map<std::string, uploader::Route> routes;
  std::set<std::string> named;
};

CachedRoutes LoadCachedRoutes(const Settings& s) {
  CachedRoutes cached;
  std::vector<dcr::Configuration> configurations;
  dcr::Diagnostics diagnostics;
  if (!dcr::ConfigCache(s.config_dir).Load(&configurations, &diagnostics)) return cached;
  if (!s.cloud_endpoint.empty()) {
    for (dcr::Configuration& configuration : configurations) {
      dcr::RewriteChannelEndpoints(s.cloud_endpoint, &configuration);
    }
  }
  const dcr::ActiveConfig active = dcr::Resolve(configurations, &diagnostics);
  for (const auto& [id, stream] : active.streams) cached.named.insert(id);
  base::NullLogger quiet;
  for (uploader::Route& route : ama::BuildUploadRoutes(active, quiet)) {
    cached.routes[route.stream_id] = std::move(route);
  }
  return cached;
}

// Adds stream `id` to plan->routes, or to plan->unroutable with the reason; true for a route.
bool PlanStream(const Settings& s, const CachedRoutes& cached, const std::string& id, Plan* plan) {
  auto it = cached.routes.find(id);
  if (s.to.empty()) {
    if (it == cached.routes.end()) {
      plan->unroutable[id] = cached.named.count(id) != 0
                                 ? "its cached DCR names no ODS or Logs Ingestion channel"
                                 : "no cached DCR names it (give --to URL)";
      return false;
    }
    plan->routes.push_back(it->second);
    return true;
  }
  uploader::Route route;
  if (it != cached.routes.end()) route = it->second;
  // "<dcr>:<data source>:<DATATYPE>": what a stream id says when no DCR is cached.
  route.stream_id = id;
  if (route.data_type.empty()) route.data_type = localstore::DataTypeOf(id);
  if (route.configuration_id.empty()) route.configuration_id = id.substr(0, id.find(':'));
  route.channel_id = "replay";
  route.protocol = s.protocol;
  route.endpoint = s.to;
  route.endpoint_uri_template.clear();
  if (route.ip_name.empty()) route.ip_name = s.ip_name;
  if (route.protocol == "ods" && route.ip_name.empty()) {
    plan->unroutable[id] =
        "ODS needs an IPName and its DCR is not cached (give --ip-name, e.g. ChangeTracking)";
    return false;
  }
  if (s.token_file.empty() && route.token_endpoint_uri.empty()) {
    plan->unroutable[id] = "no token source: its DCR is not cached (give --token-file)";
    return false;
  }
  plan->routes.push_back(std::move(route));
  return true;
}

std::string Destination(const uploader::Route& route) {
  return fmt::format("{} {}", route.protocol == "gig" ? "Logs Ingestion" : "ODS",
                     uploader::UploadUrl(route));
}

ProgressReporter::Style ChooseStyle(const std::string& progress, std::FILE* err) {
  if (progress == "bar") return ProgressReporter::Style::kBar;
  if (progress == "lines") return ProgressReporter::Style::kLines;
  if (progress == "none") return ProgressReporter::Style::kNone;
  return ::isatty(::fileno(err)) ? ProgressReporter::Style::kBar : ProgressReporter::Style::kLines;
}

double Fraction(const StreamProgress& p) {
  if (p.finished() || p.records == 0) return p.finished() ? 1.0 : 0.0;
  const double read = static_cast<double>(p.records_read) / static_cast<double>(p.records);
  const double out = p.records_taken == 0
                         ? 0
                         : static_cast<double>(p.records_out) / static_cast<double>(p.records);
  return std::clamp(read - out, 0.0, 1.0);
}

// Figures for the reporter: done = what `done_records(stream)` says.
// Records and bytes done (sent, written or counted) per stream id.
using DoneFigures = std::map<std::string, std::pair<std::uint64_t, std::uint64_t>>;

void Report(ProgressReporter& reporter, const ReplaySource& source, const DoneFigures& done,
            const std::string& note) {
  ProgressFigures total;
  std::vector<ProgressFigures> streams;
  std::uint64_t all = 0;
  double weighted = 0;
  for (const StreamProgress& p : source.Progress()) {
    ProgressFigures f;
    f.name = p.stream_id;
    if (auto it = done.find(p.stream_id); it != done.end()) {
      std::tie(f.records, f.bytes) = it->second;
    }
    f.fraction = Fraction(p);
    f.finished = p.finished();
    total.records += f.records;
    total.bytes += f.bytes;
    all += p.records;
    weighted += f.fraction * static_cast<double>(p.records);
    streams.push_back(std::move(f));
  }
  total.fraction = all == 0 ? 1.0 : weighted / static_cast<double>(all);
  total.finished = source.Finished();
  total.note = note;
  reporter.Update(total, streams);
}

// --ndjson and --dry-run: one stream after the other, in stream id order.
int ReadOut(const Settings& s, ReplaySource& source, const Plan* plan, std::FILE* out,
            std::FILE* err) {
  std::FILE* file = nullptr;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(nullptr, &std::fclose);
  if (!s.dry_run) {
    if (s.ndjson == "-") {
      file = out;
    } else {
      owned.reset(std::fopen(s.ndjson.c_str(), "w"));
      if (!owned) {
        std::fprintf(err, "amactl replay: cannot write %s: %s\n", s.ndjson.c_str(),
                     std::strerror(errno));
        return 1;
      }
      file = owned.get();
    }
  }
  ProgressReporter reporter(err, ChooseStyle(s.progress, err), s.progress_interval,
                            s.dry_run ? "counted" : "written");
  DoneFigures done;
  std::map<std::string, std::uint64_t> bad_rows;
  bool interrupted = false;
  localstore::ReadLimits limits{
      .max_rows = 1000, .max_records = 100000, .max_bytes = 16 * 1024 * 1024};
  std::vector<localstore::StoredRow> rows;
  for (const std::string& id : source.StreamIds()) {
    std::int64_t after = std::numeric_limits<std::int64_t>::min();
    for (;;) {
      if (g_signal.load() != 0) {
        interrupted = true;
        break;
      }
      if (std::error_code ec = source.ReadOldest(id, after, limits, &rows)) {
        reporter.Finish();
        std::fprintf(err, "amactl replay: reading stream %s failed: %s\n", id.c_str(),
                     ec.message().c_str());
        return 1;
      }
      if (rows.empty()) break;
      for (const localstore::StoredRow& row : rows) {
        auto& [records, bytes] = done[id];
        if (row.damaged) {
          ++bad_rows[id];
          reporter.Message(fmt::format(
              "amactl replay: row {} of stream {} is damaged (its compressed records fail their "
              "checks); skipped",
              row.row_id, id));
          continue;
        }
        if (s.dry_run) {
          records += row.count;
          bytes += row.entries.size();
          continue;
        }
        std::uint64_t written = 0;
        if (!WriteRecordLines(row.entries, id, s.lines, file, &written)) {
          ++bad_rows[id];
          reporter.Message(fmt::format(
              "amactl replay: row {} of stream {} holds malformed records; the rest of the row "
              "is skipped",
              row.row_id, id));
        }
        records += written;
        bytes += row.entries.size();
      }
      after = rows.back().row_id;
      source.Remove(id, rows.front().row_id, rows.back().row_id);
      Report(reporter, source, done, {});
    }
    if (interrupted) break;
  }
  reporter.Finish();
  bool write_failed = false;
  if (file != nullptr && (std::fflush(file) != 0 || std::ferror(file))) write_failed = true;
  if (owned && std::fclose(owned.release()) != 0) write_failed = true;

  std::uint64_t total_records = 0;
  std::uint64_t total_bytes = 0;
  std::uint64_t total_bad = 0;
  std::string summary;
  for (const StreamProgress& p : source.Progress()) {
    const auto [records, bytes] = done[p.stream_id];
    total_records += records;
    total_bytes += bytes;
    total_bad += bad_rows[p.stream_id];
    std::string where;
    if (s.dry_run && plan != nullptr) {
      auto route =
          std::find_if(plan->routes.begin(), plan->routes.end(),
                       [&](const uploader::Route& r) { return r.stream_id == p.stream_id; });
      if (route != plan->routes.end()) {
        where = " → " + Destination(*route);
      } else if (auto why = plan->unroutable.find(p.stream_id); why != plan->unroutable.end()) {
        where = " → nowhere: " + why->second;
      }
    }
    summary += fmt::format("  {}: {} records ({}){}{}\n", p.stream_id, records, HumanBytes(bytes),
                           bad_rows[p.stream_id] != 0
                               ? fmt::format(", {} damaged rows skipped", bad_rows[p.stream_id])
                               : "",
                           where);
  }
  std::fprintf(err, "amactl replay: %s %llu records (%s) of %zu streams%s\n%s",
               s.dry_run ? "would send" : "wrote", static_cast<unsigned long long>(total_records),
               HumanBytes(total_bytes).c_str(), source.StreamIds().size(),
               interrupted ? " before it was interrupted" : "", summary.c_str());
  if (write_failed) {
    std::fprintf(err, "amactl replay: writing %s failed: %s\n", s.ndjson.c_str(),
                 std::strerror(errno));
    return 1;
  }
  bool unroutable = s.dry_run && plan != nullptr && !plan->unroutable.empty();
  return interrupted || total_bad != 0 || unroutable ? 1 : 0;
}

int Upload(const Settings& s, ReplaySource& source, const Plan& plan, std::FILE* err) {
  std::string token;
  if (!s.token_file.empty()) {
    if (std::error_code ec = base::ReadFile(s.token_file, uploader::kMaxTokenLength + 2, &token)) {
      std::fprintf(err, "amactl replay: cannot read --token-file %s: %s\n", s.token_file.c_str(),
                   ec.message().c_str());
      return 1;
    }
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
      token.pop_back();
    if (!uploader::IsBearerToken(token) || token.size() > uploader::kMaxTokenLength) {
      std::fprintf(err,
                   "amactl replay: --token-file %s does not hold a bearer token (one line of "
                   "letters, digits and -._~+/=)\n",
                   s.token_file.c_str());
      return 1;
    }
  }
  std::string agent_id = s.agent_id;
  if (agent_id.empty()) {
    std::string text;
    if (!base::ReadFile(s.state_dir / "agent-id", 256, &text)) {
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    }
    agent_id = base::IsUuid(text) ? text : base::NewUuid();
  }

  ProgressReporter reporter(err, ChooseStyle(s.progress, err), s.progress_interval, "sent");
  ReporterLogger logger(reporter, base::LogLevel::kWarning);
  httpclient::CurlGlobal curl;
  httpclient::CurlHttpClientOptions http_options{.ca_file = s.ca_file};
  httpclient::CurlMultiClient upload_http(http_options);
  httpclient::CurlHttpClient token_http(http_options);

  uploader::UploaderOptions options;
  options.agent_id = agent_id;
  options.resource_id = s.resource_id.empty() ? ama::DefaultResourceId() : s.resource_id;
  options.region = "local";
  options.user_agent = std::string("amactl-replay/") + base::kVersion + " (Linux; x64)";
  options.batch_window = std::chrono::milliseconds(0);
  options.max_batch_records = s.batch_records;
  options.max_requests_in_flight = s.requests;
  options.retry_base = std::chrono::milliseconds(500);
  options.retry_cap = std::chrono::seconds(30);
  options.logger = &logger;
  options.fixed_token = token;
  const std::string scope = agent_id + "\n" + s.filter.Fingerprint();
  options.request_id = [&scope](const std::string& stream_id, std::int64_t first,
                                std::int64_t last) {
    return NameBasedUuid(fmt::format("{}\n{}\n{}-{}", scope, stream_id, first, last));
  };
  uploader::Uploader uploader(options, source, upload_http, token_http);
  uploader.SetRoutes(plan.routes);

  const unsigned workers =
      s.workers != 0 ? s.workers : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::jthread> threads;
  for (unsigned i = 0; i < workers; ++i) {
    threads.emplace_back([&uploader](std::stop_token stop) { uploader.Run(stop); });
  }

  auto last_progress = std::chrono::steady_clock::now();
  std::uint64_t last_settled = 0;
  std::string gave_up;
  bool interrupted = false;
  for (;;) {
    const uploader::UploadStats total = uploader.TotalStats();
    const std::string note = total.last_error.empty() ? "" : "retrying: " + Short(total.last_error);
    DoneFigures sent;
    for (const auto& [id, stats] : uploader.StreamStats()) {
      sent[id] = {stats.records_uploaded, stats.bytes_uploaded};
    }
    Report(reporter, source, sent, note);
    if (source.Finished()) break;
    if (g_signal.load() != 0) {
      interrupted = true;
      break;
    }
    const std::uint64_t settled = total.records_uploaded + total.records_rejected;
    const auto now = std::chrono::steady_clock::now();
    if (settled != last_settled || total.last_error.empty()) {
      last_settled = settled;
      last_progress = now;
    } else if (s.give_up_after.count() != 0 && now - last_progress >= s.give_up_after) {
      gave_up = total.last_error;
      break;
    }
    // The display's tick: the work itself runs on the workers.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (std::jthread& thread : threads) thread.request_stop();
  threads.clear();
  upload_http.Stop();
  reporter.Finish();

  const uploader::UploadStats total = uploader.TotalStats();
  const auto per_stream = uploader.StreamStats();
  std::string summary;
  std::uint64_t not_sent = 0;
  for (const StreamProgress& p : source.Progress()) {
    uploader::UploadStats st;
    if (auto it = per_stream.find(p.stream_id); it != per_stream.end()) st = it->second;
    const std::uint64_t left =
        p.records_taken - std::min(p.records_taken, st.records_uploaded + st.records_rejected) +
        (p.records - p.records_read);
    not_sent += left;
    auto route = std::find_if(plan.routes.begin(), plan.routes.end(),
                              [&](const uploader::Route& r) { return r.stream_id == p.stream_id; });
    summary += fmt::format("  {}: {} records sent ({}), {} refused{}{} → {}\n", p.stream_id,
                           st.records_uploaded, HumanBytes(st.bytes_uploaded), st.records_rejected,
                           st.dead_letters != 0 ? " (see the warnings above)" : "",
                           left != 0 ? fmt::format(", {} not sent", left) : "",
                           route != plan.routes.end() ? Destination(*route) : "?");
  }
  for (const auto& [id, why] : plan.unroutable) {
    summary += fmt::format("  {}: not sent: {}\n", id, why);
  }
  std::string outcome = "done";
  if (interrupted) outcome = "interrupted";
  if (!gave_up.empty()) {
    outcome = fmt::format("gave up after {} s without a delivery (last error: {})",
                          s.give_up_after.count() / 1000, gave_up);
  }
  std::fprintf(err, "amactl replay: %s: %llu records sent (%s) in %llu requests, %llu refused\n%s",
               outcome.c_str(), static_cast<unsigned long long>(total.records_uploaded),
               HumanBytes(total.bytes_uploaded).c_str(),
               static_cast<unsigned long long>(total.requests),
               static_cast<unsigned long long>(total.records_rejected), summary.c_str());
  const bool all_went = !interrupted && gave_up.empty() && total.records_rejected == 0 &&
                        not_sent == 0 && plan.unroutable.empty();
  return all_went ? 0 : 1;
}

}  // namespace

int ReplayCommand(const std::vector<std::string>& argv, std::FILE* out, std::FILE* err) {
  Settings s;
  if (int parsed = Parse(argv, &s, out, err); parsed != 0) return parsed < 0 ? 0 : parsed;

  std::vector<std::filesystem::path> tables;
  std::string error;
  if (!ListTables(s.state_dir, &tables, &error)) {
    std::fprintf(err, "amactl replay: %s\n", error.c_str());
    return 1;
  }
  // Each table is taken by its stream id: --stream, and when sending, a route to send it on
  // (a dry run counts the others too, and says why they would not go).
  Plan plan;
  const CachedRoutes cached = s.ndjson.empty() ? LoadCachedRoutes(s) : CachedRoutes{};
  std::set<std::string> matched;
  auto select = [&](const std::string& id) {
    if (!s.streams.empty()) {
      bool wanted = false;
      for (const std::string& want : s.streams) {
        if (StreamMatches(id, want)) {
          wanted = true;
          matched.insert(want);
        }
      }
      if (!wanted) return false;
    }
    if (!s.ndjson.empty()) return true;
    return PlanStream(s, cached, id, &plan) || s.dry_run;
  };
  std::unique_ptr<ReplaySource> source;
  if (ReplaySource::Open(tables, s.filter, select, &source, &error)) {
    std::fprintf(err, "amactl replay: %s\n", error.c_str());
    return 1;
  }
  for (const std::string& want : s.streams) {
    if (matched.count(want) == 0) {
      std::fprintf(err, "amactl replay: no table in %s holds stream '%s'\n",
                   (s.state_dir / "Tables").c_str(), want.c_str());
      return 1;
    }
  }

  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  if (!s.ndjson.empty()) return ReadOut(s, *source, nullptr, out, err);
  if (s.dry_run) return ReadOut(s, *source, &plan, out, err);
  if (plan.routes.empty()) {
    std::fprintf(err, "amactl replay: nothing to send:%s\n",
                 plan.unroutable.empty() ? " the tables are empty" : "");
    for (const auto& [id, why] : plan.unroutable) {
      std::fprintf(err, "  %s: %s\n", id.c_str(), why.c_str());
    }
    return plan.unroutable.empty() ? 0 : 1;
  }
  return Upload(s, *source, plan, err);
}

}  // namespace amactl
