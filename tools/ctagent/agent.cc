#include "agent.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "amahost/extension_client.h"
#include "base/files.h"
#include "dpkg_collector.h"
#include "file_collector.h"
#include "rpm_collector.h"
#include "service_collector.h"

namespace ctagent {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t kRecordsPerMessage = 500;
constexpr char kConfigCache[] = "tagged-data.json";
constexpr std::size_t kMaxTaggedData = 4 * 1024 * 1024;
constexpr std::size_t kRecordsPerSend = 5000;
// --once gives the host this long to answer and acknowledge before it gives up.
constexpr auto kOnceDeadline = 60s;

std::int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsEnabled(const Settings& settings, Kind kind) {
  switch (kind) {
    case Kind::kSoftware:
      return settings.enable_software;
    case Kind::kDaemons:
      return settings.enable_services;
    case Kind::kFiles:
      return settings.enable_files;
  }
  return false;
}

std::chrono::seconds FrequencyOf(const Settings& settings, Kind kind) {
  switch (kind) {
    case Kind::kSoftware:
      return settings.software_frequency;
    case Kind::kDaemons:
      return settings.services_frequency;
    case Kind::kFiles:
      return settings.files_frequency;
  }
  return 300s;
}

}  // namespace

Agent::Agent(AgentOptions options, base::Logger& logger, ErrorReporter& errors)
    : options_(std::move(options)), logger_(logger), errors_(errors), send_backoff_(1s, 60s) {
  std::filesystem::path folder = options_.state_dir;
  std::error_code exists_ec;
  // A dry run keeps nothing: it diffs against the state folder's snapshot when there is one
  // (and never commits to it), else against an empty one in memory.
  if (options_.dry_run && !std::filesystem::exists(folder / "snapshot.db", exists_ec)) {
    folder.clear();
  }
  std::string error;
  if (Snapshot::Open(folder, options_.max_pending, &snapshot_, &error)) {
    throw std::runtime_error(error);
  }
  amahost::ClientOptions client_options;
  client_options.extension = kExtensionName;
  client_options.instance = options_.instance;
  client_options.connect_timeout = 2s;
  client_options.ack_timeout = 10s;
  client_options.max_resends = 1;
  if (std::error_code ec = amahost::ExtensionClient::Create(client_options, &client_)) {
    throw std::runtime_error(fmt::format("instance '{}': {}", options_.instance, ec.message()));
  }
}

Agent::~Agent() = default;

bool Agent::Enabled(Kind kind) const { return IsEnabled(*settings_, kind); }
std::chrono::seconds Agent::Frequency(Kind kind) const { return FrequencyOf(*settings_, kind); }

Agent::ConfigResult Agent::FetchConfig() {
  amahost::ConfigReply reply;
  std::string problem;
  Settings settings;
  if (client_->Config(&reply)) {
    problem = "no answer on amahost's config socket (" + client_->error_text() + ")";
  } else if (!reply.success) {
    problem = "amahost has no configuration for " + std::string(kExtensionName) + ": " +
              reply.description;
  } else {
    std::string error, warning;
    if (!ParseTaggedData(reply.tagged_data, &settings, &error, &warning)) {
      problem = "the configuration from amahost is unusable: " + error;
    } else if (!warning.empty()) {
      logger_.Warning("ctagent", "{}", warning);
    }
  }
  if (!problem.empty()) {
    if (problem != last_config_problem_) {
      logger_.Warning("ctagent", "{}; {}", problem,
                      settings_          ? "keeping the last configuration"
                      : options_.dry_run ? "a dry run goes on without it"
                                         : "waiting and asking again");
    }
    last_config_problem_ = problem;
    return ConfigResult::kNone;
  }
  if (!last_config_problem_.empty()) logger_.Info("ctagent", "configuration received");
  last_config_problem_.clear();
  if (!options_.dry_run && reply.tagged_data != last_tagged_data_) {
    if (std::error_code ec =
            base::WriteFileAtomically(options_.state_dir / kConfigCache, reply.tagged_data, 0600)) {
      logger_.Warning("ctagent", "cannot keep the configuration in {}: {}",
                      options_.state_dir.string(), ec.message());
    }
    last_tagged_data_ = reply.tagged_data;
  }
  if (settings_ && *settings_ == settings) return ConfigResult::kSame;
  ApplySettings(settings);
  return ConfigResult::kChanged;
}

bool Agent::LoadCachedConfig() {
  std::string text;
  if (base::ReadFile(options_.state_dir / kConfigCache, kMaxTaggedData, &text)) return false;
  Settings settings;
  std::string error, warning;
  if (!ParseTaggedData(text, &settings, &error, &warning)) {
    logger_.Warning("ctagent", "the kept configuration is unusable: {}", error);
    return false;
  }
  logger_.Info("ctagent", "using the last configuration received, kept in {}",
               (options_.state_dir / kConfigCache).string());
  last_tagged_data_ = text;
  ApplySettings(settings);
  return true;
}

void Agent::ApplySettings(const Settings& settings) {
  const Clock::time_point now = Clock::now();
  std::optional<Settings> before = std::move(settings_);
  settings_ = settings;
  for (Kind kind : kAllKinds) {
    // A kind whose settings changed is collected at once under the new ones.
    const bool changed = !before || IsEnabled(*before, kind) != IsEnabled(settings, kind) ||
                         FrequencyOf(*before, kind) != FrequencyOf(settings, kind) ||
                         (kind == Kind::kFiles && before->files != settings.files);
    if (changed) next_collection_[kind] = now;
  }
  logger_.Info("ctagent",
               "configuration: software {} every {}s, services {} every {}s, files {} every {}s "
               "({} fileInfo entries), inventory {} every {}s",
               settings.enable_software ? "on" : "off", settings.software_frequency.count(),
               settings.enable_services ? "on" : "off", settings.services_frequency.count(),
               settings.enable_files ? "on" : "off", settings.files_frequency.count(),
               settings.files.size(), settings.enable_inventory ? "on" : "off",
               settings.inventory_frequency.count());
}

bool Agent::CollectKind(Kind kind, std::int64_t now) {
  std::unique_ptr<Collector> collector;
  switch (kind) {
    case Kind::kSoftware: {
      std::vector<std::unique_ptr<Collector>> parts;
      parts.push_back(std::make_unique<DpkgCollector>(options_.root, logger_));
      parts.push_back(std::make_unique<RpmCollector>(options_.root, logger_));
      collector = std::make_unique<MergedCollector>(kind, std::move(parts));
      break;
    }
    case Kind::kDaemons:
      collector =
          std::make_unique<ServiceCollector>(options_.root, logger_, LiveSystemdFor(options_.root));
      break;
    case Kind::kFiles:
      collector = std::make_unique<FileCollector>(options_.root, settings_->files, logger_);
      break;
  }
  Items current;
  if (std::error_code ec = collector->Collect(&current)) {
    errors_.Report(fmt::format("{} collection failed: {}", KindName(kind), ec.message()));
    return false;
  }
  Items previous;
  const bool had = snapshot_->Has(kind);
  if (had) {
    if (snapshot_->Load(kind, &previous)) {
      errors_.Report(fmt::format("{}: {}", KindName(kind), snapshot_->last_error()));
      return false;
    }
  }
  const RecordContext context{options_.computer, FormatTime(now)};
  // The first collection is the baseline: its items go as inventory, not as thousands of
  // "Added" changes.
  std::vector<Record> records;
  if (had) records = ChangeRecords(kind, previous, current, context);
  const std::size_t changes = records.size();
  std::optional<std::int64_t> inventory_time;
  const std::optional<std::int64_t> last = snapshot_->LastInventory(kind);
  if (settings_->enable_inventory &&
      (!last || now - *last >= settings_->inventory_frequency.count())) {
    std::vector<Record> inventory = InventoryRecords(kind, current, context);
    records.insert(records.end(), std::make_move_iterator(inventory.begin()),
                   std::make_move_iterator(inventory.end()));
    inventory_time = now;
  }
  logger_.Info("ctagent", "{}: {} items, {} changes{}", KindName(kind), current.size(), changes,
               !inventory_time    ? ""
               : options_.dry_run ? ", inventory printed"
                                  : ", inventory queued to send");
  if (options_.dry_run) {
    for (const Record& record : records) std::fprintf(options_.out, "%s\n", record.json.c_str());
    std::fflush(options_.out);
    return true;
  }
  if (snapshot_->Commit(kind, current, records, now, inventory_time)) {
    errors_.Report(fmt::format("{}: {}", KindName(kind), snapshot_->last_error()));
    return false;
  }
  return true;
}

bool Agent::SendPending() {
  for (int round = 0; round < 100; ++round) {
    std::vector<PendingRecord> pending;
    if (snapshot_->Pending(kRecordsPerSend, &pending)) {
      errors_.Report(snapshot_->last_error());
      return false;
    }
    if (pending.empty()) return true;
    std::vector<amahost::Message> messages;
    std::vector<std::vector<std::int64_t>> ids;
    for (const PendingRecord& record : pending) {
      auto stream = settings_->output_streams.find(record.record.data_type);
      if (stream == settings_->output_streams.end()) {
        errors_.Report(
            fmt::format("the configuration names no output stream for {}; {} records "
                        "kept until one does",
                        record.record.data_type, snapshot_->PendingCount()));
        return false;
      }
      if (messages.empty() || messages.back().tag != stream->second ||
          messages.back().records.size() >= kRecordsPerMessage) {
        messages.push_back({stream->second, {}});
        ids.emplace_back();
      }
      messages.back().records.push_back(record.record.json);
      ids.back().push_back(record.id);
    }
    std::vector<amahost::ChunkResult> results;
    const std::error_code ec = client_->Send(messages, /*ack=*/true, &results);
    std::vector<std::int64_t> acked;
    for (std::size_t i = 0; i < results.size() && i < ids.size(); ++i) {
      if (results[i].status == amahost::ChunkStatus::kAcked) {
        acked.insert(acked.end(), ids[i].begin(), ids[i].end());
      }
    }
    if (!acked.empty() && snapshot_->Forget(acked)) {
      errors_.Report(snapshot_->last_error());
      return false;
    }
    if (ec || acked.size() != pending.size()) {
      const auto delay = send_backoff_.Delay(send_failures_++);
      next_send_ = Clock::now() + delay;
      logger_.Warning("ctagent", "{} of {} records acknowledged ({}); {} kept, next try in {} ms",
                      acked.size(), pending.size(),
                      ec ? client_->error_text() : "some chunks were not acknowledged",
                      snapshot_->PendingCount(), delay.count());
      return false;
    }
    send_failures_ = 0;
    logger_.Info("ctagent", "{} records sent and acknowledged", acked.size());
  }
  return snapshot_->PendingCount() == 0;
}

int Agent::Run(const std::function<bool(std::chrono::milliseconds)>& wait) {
  const Clock::time_point start = Clock::now();
  Clock::time_point next_config = start;
  bool collected_once = false;
  bool collect_failed = false;
  while (true) {
    Clock::time_point now = Clock::now();
    if (!options_.settings_text.empty() && !settings_) {
      Settings settings;
      std::string error, warning;
      if (!ParseTaggedData(options_.settings_text, &settings, &error, &warning)) {
        errors_.Report("--settings: " + error);
        return 2;
      }
      ApplySettings(settings);
      next_config = Clock::time_point::max();
    }
    if (now >= next_config) {
      const ConfigResult result = FetchConfig();
      if (result == ConfigResult::kNone && !settings_ && !options_.dry_run) LoadCachedConfig();
      if (result == ConfigResult::kNone && !settings_ && options_.dry_run) {
        logger_.Info("ctagent", "dry run: using the bundled ChangeTracking-Linux settings");
        ApplySettings(DefaultSettings());
      }
      next_config =
          now + (settings_ ? std::chrono::milliseconds(options_.config_refresh)
                           : std::min<std::chrono::milliseconds>(options_.config_refresh, 2s));
    }
    if (options_.once && !settings_ && now - start > kOnceDeadline) {
      errors_.Report("no configuration from amahost; giving up (--once)");
      return 1;
    }
    now = Clock::now();
    if (settings_ && !(options_.once && collected_once)) {
      for (Kind kind : kAllKinds) {
        if (!Enabled(kind) || now < next_collection_[kind]) continue;
        if (!CollectKind(kind, UnixNow())) collect_failed = true;
        next_collection_[kind] = now + Frequency(kind);
      }
      collected_once = true;
    }
    if (const std::int64_t dropped = snapshot_->dropped(); dropped > dropped_seen_) {
      errors_.Report(fmt::format("{} unsent records dropped so far: more than {} were waiting",
                                 dropped, options_.max_pending));
      dropped_seen_ = dropped;
    }
    bool pending_left = false;
    bool attempted_send = false;
    if (settings_ && !options_.dry_run && Clock::now() >= next_send_ &&
        snapshot_->PendingCount() > 0) {
      attempted_send = true;
      pending_left = !SendPending();
      // Whatever stopped it (no stream for a DATATYPE, a store error), try again later, not in
      // a busy loop.
      if (pending_left && next_send_ <= Clock::now()) {
        next_send_ = Clock::now() + send_backoff_.Delay(send_failures_++);
      }
    } else if (!options_.dry_run) {
      pending_left = snapshot_->PendingCount() > 0;
    }
    if (options_.once && collected_once) {
      if (!pending_left) return collect_failed ? 1 : 0;
      // One attempt (the client itself retries the connection and resends once): a host that
      // is away does not hold --once up; the records wait in the state folder for the next run.
      if (attempted_send || Clock::now() - start > kOnceDeadline) {
        errors_.Report(fmt::format("{} records not acknowledged; they are kept for the next run",
                                   snapshot_->PendingCount()));
        return 1;
      }
    }
    Clock::time_point wake = std::min(next_config, Clock::now() + std::chrono::seconds(60));
    for (Kind kind : kAllKinds) {
      if (settings_ && Enabled(kind)) wake = std::min(wake, next_collection_[kind]);
    }
    if (pending_left) wake = std::min(wake, next_send_);
    errors_.Flush();
    const auto delay =
        std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now()),
                   std::chrono::milliseconds(0), std::chrono::milliseconds(60000));
    if (!wait(delay)) return 0;
  }
}

}  // namespace ctagent
