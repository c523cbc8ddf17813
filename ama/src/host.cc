#include "ama/host.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <asio.hpp>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "agent_settings.h"
#include "ama/routing.h"
#include "base/files.h"
#include "base/thread_annotations.h"
#include "base/uuid.h"
#include "base/version.h"
#include "config_source.h"
#include "dcr/active_config.h"
#include "descriptor_limit.h"
#include "health.h"
#include "host_command.h"
#include "http_endpoints.h"
#include "httpclient/curl_http_client.h"
#include "httpclient/curl_multi_client.h"
#include "io_call.h"
#include "localstore/store.h"
#include "metrics.h"
#include "pipes/server.h"
#include "service_notifier.h"
#include "status.h"
#include "uploader/uploader.h"

namespace ama {

namespace {

// How long a stopping host waits for a full disk to free space before it fails the batches held.
constexpr std::chrono::seconds kDiskFullStopGrace{5};

// The uploader's client under --no-upload, when the uploader never runs: never called.
class NoHttp final : public base::AsyncHttpClient {
 public:
  void Start(base::HttpRequest, Done done) override {
    done(std::make_error_code(std::errc::operation_canceled), base::HttpResponse{});
  }
};

}  // namespace

class Host::Impl {
 public:
  Impl(HostOptions options, base::Logger& logger)
      : options_(std::move(options)),
        logger_(logger),
        work_(asio::make_work_guard(io_)),
        signals_(io_, SIGINT, SIGTERM, SIGHUP),
        watchdog_timer_(io_),
        status_timer_(io_),
        disk_full_stop_timer_(io_) {}

  ~Impl() {
    StopHttp();
    StopThreads();
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  bool Start(std::string* error) {
    if (!PrepareStateDir(error)) return false;
    httpclient::CurlHttpClientOptions http_options{.ca_file = options_.ca_file,
                                                   .proxy = options_.proxy,
                                                   .no_proxy = options_.no_proxy,
                                                   .proxy_loopback = options_.proxy_loopback,
                                                   .client_cert = options_.client_cert,
                                                   .client_key = options_.client_key};
    token_http_ = std::make_unique<httpclient::CurlHttpClient>(http_options);
    if (options_.source == HostOptions::DcrSource::kControlPlane) {
      control_http_ = std::make_unique<httpclient::CurlHttpClient>(http_options);
    }
    config_ = std::make_unique<ConfigSource>(options_, logger_, control_http_.get());
    // First, so that /readyz says what the host waits for while it starts.
    if (options_.http && !StartHttp(error)) return false;
    if (!config_->LoadInitial(error)) return false;
    SetStarting("opening the store");

    localstore::StoreOptions store_options;
    store_options.tables_dir = options_.state_dir / "Tables";
    store_options.synchronous_full = options_.sync_full;
    store_options.quota_bytes = quota_bytes_ = QuotaBytes(
        quota_settings_, options_.max_disk_quota_mb, FilesystemBytes(options_.state_dir));
    store_options.max_age = options_.max_age;
    store_options.max_table_pages = options_.max_table_pages;
    store_options.table_idle_timeout = options_.table_idle_timeout;
    const DescriptorBudget descriptors = RaiseDescriptorLimit(options_.max_connections);
    logger_.Info("ama", "{}", descriptors.Describe());
    store_options.max_tables = descriptors.tables;
    store_options.logger = &logger_;
    if (std::error_code ec = localstore::Store::Open(store_options, &store_)) {
      *error =
          "cannot open the tables in " + store_options.tables_dir.string() + ": " + ec.message();
      return false;
    }

    uploader::UploaderOptions upload_options;
    upload_options.agent_id = agent_id_;
    upload_options.resource_id = options_.resource_id;
    upload_options.region = options_.region;
    upload_options.user_agent = std::string("amahost/") + base::kVersion + " (Linux; x64)";
    upload_options.batch_window = options_.upload_window;
    upload_options.max_batch_records = options_.batch_max_records;
    upload_options.max_batch_bytes = options_.batch_max_bytes;
    upload_options.retry_base = options_.retry_base;
    upload_options.retry_cap = options_.retry_max;
    upload_options.max_requests_in_flight = options_.upload_max_requests;
    upload_options.max_body_bytes_in_flight = options_.upload_budget_bytes;
    upload_options.logger = &logger_;
    if (options_.upload) upload_http_ = std::make_unique<httpclient::CurlMultiClient>(http_options);
    uploader_ = std::make_unique<uploader::Uploader>(
        upload_options, *store_, upload_http_ ? *upload_http_ : *null_http_, *token_http_);
    store_->SetCommitListener([this](const std::string& stream) { uploader_->Notify(stream); });

    pipes::ServerOptions server_options;
    server_options.naming = options_.naming;
    server_options.fluent_port = options_.fluent_port;
    server_options.shared_key = options_.shared_key;
    server_options.allow_uids = options_.allow_uids;
    server_options.allow_gids = options_.allow_gids;
    server_options.idle_timeout = options_.idle_timeout;
    server_options.max_connections = options_.max_connections;
    server_options.host_status = [this] { return HostStatusJson(StatusInput()); };
    server_options.waiting_for_configuration = [this] { return config_->progress().waiting_for; };
    server_options.host_command = [this](std::string_view json, bool privileged) {
      return HandleHostCommand(json, privileged, *store_, *uploader_, logger_);
    };
    server_options.logger = &logger_;
    server_ = std::make_unique<pipes::Server>(io_, server_options, *store_);
    if (options_.naming.mode == pipes::SocketMode::kPath) {
      if (std::error_code ec = base::CreateDirectories(options_.naming.run_dir)) {
        *error = "cannot create the socket folder " + options_.naming.run_dir.string() + ": " +
                 ec.message() + " (choose another with --run-dir)";
        return false;
      }
    }
    SetStarting("binding the sockets");
    if (!ApplyConfigurations(/*initial=*/true, error)) return false;

    if (options_.upload) {
      unsigned workers = options_.upload_workers;
      if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
      for (unsigned i = 0; i < workers; ++i) {
        upload_threads_.emplace_back([this](std::stop_token stop) { uploader_->Run(stop); });
      }
    } else {
      logger_.Warning("ama", "--no-upload: records are kept in the tables and not uploaded");
    }
    if (options_.source != HostOptions::DcrSource::kEmbedded) {
      control_thread_ = std::jthread([this](std::stop_token stop) { ControlLoop(stop); });
    }
    SetStarting("");
    serving_ = true;  // after every member the endpoints read is set
    return true;
  }

  void Run() {
    notifier_.Ready();
    if (notifier_.enabled()) {
      if (notifier_.watchdog_interval().count() > 0) ScheduleWatchdog();
      ScheduleStatus();
    }
    WaitForSignal();
    io_.run();
    io_done_ = true;
    StopThreads();
    if (store_) store_->Close();
    // Last: /healthz answers, and /readyz says "stopping", until the host has stopped.
    StopHttp();
    logger_.Info("ama", "stopped");
  }

  void RequestStop() {
    asio::post(io_, [this] { BeginShutdown(); });
  }

  std::string ReadyBanner() {
    base::MutexLock lock(&banner_mutex_);
    if (routes_configured_) {
      ready_banner_given_ = true;
      return Banner(banner_active_, /*ready=*/true);
    }
    waiting_banner_given_ = true;
    return Banner(banner_active_, /*ready=*/false);
  }

  void OnLaterReady(std::function<void(const std::string&)> on_later_ready) {
    base::MutexLock lock(&banner_mutex_);
    on_later_ready_ = std::move(on_later_ready);
  }

 private:
  // The banner for `active`: "is ready." with where everything is, or (not `ready`) "is waiting
  // for a configuration." and why. Any thread.
  std::string Banner(const dcr::ActiveConfig& active, bool ready) const {
    std::string text =
        ready ? fmt::format("amahost {} is ready.\n", base::kVersion)
              : fmt::format("amahost {} is waiting for a configuration.\n", base::kVersion);
    if (!ready) {
      text += fmt::format(
          "  waiting   for {}; until then only the config socket is open, and it answers "
          "\"no configuration loaded yet\"\n",
          config_->progress().waiting_for);
    }
    text += fmt::format("  DCRs      {}\n", config_->Describe());
    text += fmt::format("  config    {}\n", pipes::ConfigSocketAddress(options_.naming).Display());
    text += fmt::format("  generic   {}\n", pipes::GenericSocketAddress(options_.naming).Display());
    text += fmt::format("  diag      {}  (extensions report their own errors here)\n",
                        pipes::DiagnosticsSocketAddress(options_.naming).Display());
    if (options_.fluent_port != 0) {
      text += fmt::format("  tcp       127.0.0.1:{}{}\n", options_.fluent_port,
                          options_.shared_key.empty() ? "" : " (shared-key handshake)");
    }
    // "https://host:port (ODS)" and the like, once each.
    std::set<std::string> endpoints;
    for (const auto& [name, entry] : active.extensions) {
      std::size_t streams = 0;
      for (const auto& [id, route] : active.streams) {
        if (route.extension_name == name) {
          ++streams;
          for (const dcr::Channel& channel : route.channels) {
            if (channel.protocol == "ods") endpoints.insert(channel.endpoint + " (ODS)");
            if (channel.protocol == "gig") {
              std::string url = channel.endpoint_uri_template.empty()
                                    ? channel.endpoint
                                    : channel.endpoint_uri_template;
              // The origin: what follows is the DCR's path and the <STREAM> placeholder.
              const std::size_t scheme = url.find("://");
              const std::size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
              endpoints.insert(url.substr(0, path) + " (Logs Ingestion)");
            }
          }
        }
      }
      text += fmt::format("  data      {}  ({}: {} output streams)\n",
                          pipes::ExtensionSocketAddress(options_.naming, name).Display(), name,
                          streams);
    }
    text += fmt::format("  tables    {}\n", (options_.state_dir / "Tables").string());
    text += fmt::format("  cache     {}\n",
                        (options_.effective_config_dir() / "config-cache").string());
    if (http_) {
      httpserver::ListenAddress bound{options_.http->address, http_->port()};
      text += fmt::format("  http      http://{}  (/healthz /readyz /metrics /api/v1/status)\n",
                          bound.ToString());
    }
    if (!options_.upload) text += "  uploads   none (--no-upload): records stay in the tables\n";
    for (const std::string& endpoint : options_.upload ? endpoints : std::set<std::string>{}) {
      text += fmt::format("  uploads   {} (batches every {} s, or sooner when full)\n", endpoint,
                          options_.upload_window.count() / 1000.0);
    }
    std::string where;
    if (!options_.naming.instance.empty()) where += " --instance " + options_.naming.instance;
    if (options_.naming.mode == pipes::SocketMode::kPath) {
      where += " --socket-mode path --run-dir " + options_.naming.run_dir.string();
    }
    std::string extension = active.extensions.empty() ? std::string("<ExtensionName>")
                                                      : active.extensions.begin()->first;
    text += "Look at it with:\n";
    text += fmt::format("  amactl config {}{}\n", extension, where);
    if (std::optional<std::string> tag = ExampleTag(active, extension)) {
      text += fmt::format(
          "  echo '{{\"Computer\":\"vm1\"}}' | amactl send --extension {} --stream {} --ack{}\n",
          extension, *tag, where);
    }
    text += fmt::format("  amactl status{}\n", where);
    text += fmt::format("  amactl dump {}/<table>.tsf\n", (options_.state_dir / "Tables").string());
    return text;
  }

  // A tag `amactl send --stream` can use for one of `extension`'s own streams: its DATATYPE when
  // no other stream of the extension has it, else the whole stream id; CONFIG_CHANGE_BLOB_V2
  // first, as the README's examples. None when the extension has no stream.
  static std::optional<std::string> ExampleTag(const dcr::ActiveConfig& active,
                                               const std::string& extension) {
    const dcr::StreamRoute* chosen = nullptr;
    std::map<std::string, int> per_data_type;
    for (const auto& [id, route] : active.streams) {
      if (route.extension_name != extension) continue;
      ++per_data_type[route.data_type];
      if (chosen == nullptr || (route.data_type == "CONFIG_CHANGE_BLOB_V2" &&
                                chosen->data_type != "CONFIG_CHANGE_BLOB_V2")) {
        chosen = &route;
      }
    }
    if (chosen == nullptr) return std::nullopt;
    return per_data_type[chosen->data_type] == 1 ? chosen->data_type : chosen->stream_id;
  }

  // The --http endpoints, on their own thread (http_endpoints.h); the port goes to
  // <state-dir>/http-port for whoever asked for port 0.
  bool StartHttp(std::string* error) {
    const std::filesystem::path port_file = options_.state_dir / "http-port";
    base::RemoveFileDurably(port_file);  // a stale one would point at somebody else
    SetStarting("reading the configuration");
    EndpointSources sources{
        .not_ready = [this] { return NotReadyReason(); },
        .status_json =
            [this] { return OnIoThread<std::string>([this] { return server_->StatusJson(); }); },
        .metrics = [this] { return Metrics(); },
    };
    http_ = std::make_unique<HttpEndpoints>(*options_.http, std::move(sources), logger_);
    if (std::error_code ec = http_->Start()) {
      *error =
          fmt::format("cannot listen on --http {}: {}", options_.http->ToString(), ec.message());
      http_.reset();
      return false;
    }
    if (std::error_code ec =
            base::WriteFileAtomically(port_file, fmt::format("{}\n", http_->port()))) {
      *error = "cannot write " + port_file.string() + ": " + ec.message();
      return false;
    }
    return true;
  }

  void StopHttp() {
    if (!http_) return;
    http_->Stop();
    http_.reset();
    base::RemoveFileDurably(options_.state_dir / "http-port");
  }

  void SetStarting(std::string what) {
    base::MutexLock lock(&readiness_mutex_);
    starting_ = what.empty() ? what : "starting: " + what;
  }

  // Empty when ready: started, with a configuration to serve, and not stopping. Any thread.
  std::string NotReadyReason() {
    if (stopping_) {
      return "stopping: no new connections; records in flight are being committed and "
             "acknowledged";
    }
    {
      base::MutexLock lock(&readiness_mutex_);
      if (!starting_.empty()) return starting_;
    }
    ConfigSource::Progress progress = config_->progress();
    if (!progress.loaded) return "waiting for " + progress.waiting_for;
    return {};
  }

  // Runs `fn` on the io thread; none when the host is not serving or the io thread does not
  // run it within 2 s. `fn` may only use the io thread's state through `this`, which outlives
  // the io_context. From the HTTP thread.
  template <typename T, typename Fn>
  std::optional<T> OnIoThread(Fn fn) {
    if (!serving_ || io_done_) return std::nullopt;
    return CallOnIo<T>(io_, std::move(fn), std::chrono::seconds(2));
  }

  // /metrics: the sockets' figures from the io thread, the rest from thread-safe calls here.
  std::optional<std::string> Metrics() {
    struct Sockets {
      pipes::ServerCounters counters;
      std::map<std::string, std::uint64_t> received;
    };
    std::optional<Sockets> sockets = OnIoThread<Sockets>([this] {
      return Sockets{server_->counters(), server_->RecordsReceivedByStream()};
    });
    if (!sockets) return std::nullopt;
    MetricsSnapshot snapshot = CollectMetrics(*store_, *uploader_, *config_);
    snapshot.sockets = sockets->counters;
    snapshot.received_by_stream = std::move(sockets->received);
    snapshot.ready = NotReadyReason().empty();
    snapshot.uptime = std::chrono::steady_clock::now() - started_;
    return MetricsText(snapshot);
  }

  bool PrepareStateDir(std::string* error) {
    for (const std::filesystem::path& folder :
         {options_.state_dir, options_.effective_config_dir()}) {
      if (std::error_code ec = base::CreateDirectories(folder)) {
        *error = "cannot create " + folder.string() + ": " + ec.message();
        return false;
      }
    }
    // One host per state folder: two would upload and delete the same rows.
    std::filesystem::path lock_path = options_.state_dir / "amahost.lock";
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) {
      *error = "cannot open " + lock_path.string() + ": " + std::strerror(errno);
      return false;
    }
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      std::string owner;
      base::ReadFile(lock_path, 512, &owner);
      owner = owner.substr(0, owner.find('\n'));
      *error = fmt::format(
          "the state folder {} is in use by another amahost (pid {}); give each "
          "host its own --state-dir",
          options_.state_dir.string(), owner.empty() ? "?" : owner);
      return false;
    }
    // The pid, then the config socket, so that a tool given only the state folder finds the
    // host that runs on it (amactl deadletter).
    std::string pid = std::to_string(::getpid()) + "\n" +
                      pipes::ConfigSocketAddress(options_.naming).Display() + "\n";
    if (::ftruncate(lock_fd_, 0) != 0 ||
        ::pwrite(lock_fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
      logger_.Warning("ama", "cannot write the pid into {}", lock_path.string());
    }

    agent_id_ = options_.agent_id;
    if (agent_id_.empty()) {
      std::filesystem::path id_path = options_.state_dir / "agent-id";
      std::string text;
      if (!base::ReadFile(id_path, 256, &text)) {
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
      }
      if (base::IsUuid(text)) {
        agent_id_ = text;
      } else {
        agent_id_ = base::NewUuid();
        if (std::error_code ec = base::WriteFileAtomically(id_path, agent_id_ + "\n")) {
          *error = "cannot write " + id_path.string() + ": " + ec.message();
          return false;
        }
      }
    }
    return true;
  }

  bool ApplyConfigurations(bool initial, std::string* error) {
    dcr::Diagnostics diagnostics;
    dcr::ActiveConfig active = dcr::Resolve(config_->configurations(), &diagnostics);
    // Resolve reports the same situation on every call: logged when it changes.
    if (diagnostics != last_resolve_diagnostics_) {
      for (const dcr::Diagnostic& diagnostic : diagnostics) {
        logger_.Warning("dcr", "{}", diagnostic.ToString());
      }
      last_resolve_diagnostics_ = diagnostics;
    }
    ApplyQuota(active.settings);
    const bool loaded = config_->progress().loaded;
    std::shared_ptr<const pipes::RoutingTable> routes =
        BuildRoutingTable(active, options_.naming, &versions_, loaded);
    uploader_->SetRoutes(BuildUploadRoutes(active, logger_));
    active_streams_ = active.streams.size();
    {
      base::MutexLock lock(&routed_mutex_);
      routed_streams_.clear();
      for (const auto& [id, route] : active.streams) routed_streams_.insert(id);
    }
    if (!initial) CloseParkedEmptyTables();
    logger_.Info("ama", "{} configurations in use: {} extensions, {} output streams",
                 active.configuration_ids.size(), active.extensions.size(), active.streams.size());
    // The ready banner, when the host said it was waiting and this is the first configuration:
    // printed once the sockets it names listen.
    std::string later_banner;
    std::function<void(const std::string&)> on_later_ready;
    {
      base::MutexLock lock(&banner_mutex_);
      routes_configured_ = loaded;
      if (!ready_banner_given_) banner_active_ = active;
      if (loaded && waiting_banner_given_ && !ready_banner_given_) {
        ready_banner_given_ = true;
        later_banner = Banner(active, /*ready=*/true);
        on_later_ready = on_later_ready_;
        logger_.Info("ama", "the first configuration arrived: ready");
      }
    }
    if (initial) {
      std::string failed;
      if (std::error_code ec = server_->Start(routes, &failed)) {
        *error = "cannot listen on " + failed + ": " + ec.message() +
                 (ec == std::errc::address_in_use
                      ? " (another amahost or AMA uses it; start this one with --instance NAME)"
                      : "");
        return false;
      }
      return true;
    }
    asio::post(io_, [this, routes, later_banner, on_later_ready] {
      if (stopping_) return;
      server_->Update(routes);
      if (!later_banner.empty() && on_later_ready) on_later_ready(later_banner);
    });
    return true;
  }

  // Applies AgentSettings' quota to the store (blocking until the store is within it); a refused
  // value keeps the one in use.
  void ApplyQuota(const dcr::AgentSettings& settings) {
    std::vector<std::string> errors;
    quota_settings_ = ApplyAgentSettings(settings, quota_settings_, &errors);
    for (const std::string& error : errors) logger_.Error("ama", "{}", error);
    std::uint64_t bytes = QuotaBytes(quota_settings_, options_.max_disk_quota_mb,
                                     FilesystemBytes(options_.state_dir));
    if (bytes == quota_bytes_) return;
    quota_bytes_ = bytes;
    logger_.Info("ama", "local store quota: {} MiB", bytes / (1024 * 1024));
    if (std::error_code ec = store_->SetQuota(bytes)) {
      logger_.Error("ama", "cannot apply the quota: {}", ec.message());
    }
  }

  std::set<std::string> RoutedStreams() const {
    base::MutexLock lock(&routed_mutex_);
    return routed_streams_;
  }

  // Snapshots of everything the status document shows; on the io thread.
  HostStatusInput StatusInput() const {
    const ConfigSource::Progress progress = config_->progress();
    return HostStatusInput{.state_dir = options_.state_dir,
                           .uptime = std::chrono::steady_clock::now() - started_,
                           .streams = store_->Stats(),
                           .queue = store_->Queue(),
                           .quota = store_->Quota(),
                           .retention = store_->Retention(),
                           .uploads = uploader_->StreamStats(),
                           .upload_total = uploader_->TotalStats(),
                           .config_source = config_->status(),
                           .configuration_loaded = progress.loaded,
                           .waiting_for = progress.waiting_for,
                           .routed_streams = RoutedStreams(),
                           .sockets = server_->counters(),
                           .now_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count()};
  }

  static std::uint64_t FilesystemBytes(const std::filesystem::path& path) {
    struct statvfs info {};
    if (::statvfs(path.c_str(), &info) != 0) return 0;
    return static_cast<std::uint64_t>(info.f_blocks) * info.f_frsize;
  }

  // Closes (and removes) the table of each stream the active DCRs no longer route once it holds
  // nothing: its backlog is parked until then, and a route that comes back resumes it. Not
  // before a configuration is loaded (every stream would look unrouted), nor the diagnostics
  // table, which never has a route.
  void CloseParkedEmptyTables() {
    if (!config_->progress().loaded) return;
    std::set<std::string> routed;
    {
      base::MutexLock lock(&routed_mutex_);
      routed = routed_streams_;
    }
    for (const localstore::StreamStats& stats : store_->Stats()) {
      if (routed.count(stats.stream_id) || stats.stream_id == pipes::kDiagnosticsStreamId) {
        continue;
      }
      if (stats.backlog.rows > 0 || stats.dead_letters.rows > 0) continue;
      bool closed = false;
      if (std::error_code ec = store_->CloseIfEmpty(stats.stream_id, &closed)) {
        logger_.Warning("ama", "cannot close the empty table of stream {}: {}", stats.stream_id,
                        ec.message());
      } else if (closed) {
        logger_.Info("ama", "closed and removed the empty table {} of stream {}: no DCR routes it",
                     stats.file_name, stats.stream_id);
      }
    }
  }

  void ControlLoop(std::stop_token stop) {
    // A control plane is asked at once: until then the host runs on the cached set.
    std::chrono::milliseconds wait = options_.source == HostOptions::DcrSource::kControlPlane
                                         ? std::chrono::milliseconds(0)
                                         : options_.refresh;
    while (!stop.stop_requested()) {
      bool reload = false;  // asked for by SIGHUP, not by the clock
      {
        base::UniqueLock lock(&control_mutex_);
        control_cv_.wait_for(lock, stop, wait, [this]() EXCLUSIVE_LOCKS_REQUIRED(control_mutex_) {
          return refresh_requested_;
        });
        if (stop.stop_requested()) return;
        reload = refresh_requested_;
        refresh_requested_ = false;
      }
      ConfigSource::RefreshResult result = config_->Refresh();
      wait = result.next;
      // Tables of streams no DCR routes whose rows went meanwhile (retention, the quota).
      CloseParkedEmptyTables();
      bool routes_configured = false;
      {
        base::MutexLock lock(&banner_mutex_);
        routes_configured = routes_configured_;
      }
      // The first answer may change nothing (an empty set): the sockets still learn that a
      // configuration is loaded now.
      if (result.changed || (!routes_configured && config_->progress().loaded)) {
        std::string ignored;
        ApplyConfigurations(/*initial=*/false, &ignored);
      }
      // Posted after the sockets' update, so READY=1 follows it.
      if (reload) {
        asio::post(io_, [this] {
          if (!stopping_) notifier_.Ready();
        });
      }
    }
  }

  void WaitForSignal() {
    signals_.async_wait([this](const asio::error_code& ec, int signal_number) {
      if (ec) return;
      if (signal_number == SIGHUP) {
        notifier_.Reloading();
        if (options_.source == HostOptions::DcrSource::kEmbedded) {
          logger_.Info("ama", "SIGHUP: the bundled DCR does not change; nothing to reload");
          notifier_.Ready();
        } else {
          logger_.Info("ama", "SIGHUP: reloading the DCRs");
          {
            base::MutexLock lock(&control_mutex_);
            refresh_requested_ = true;
          }
          control_cv_.notify_all();
        }
        WaitForSignal();
        return;
      }
      logger_.Info("ama", "{}: stopping (in-flight records are committed and acknowledged first)",
                   signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
      BeginShutdown();
      // Listen on for a second signal (stop at once) until the graceful stop has finished.
      if (!stopped_) WaitForSignal();
    });
  }

  void BeginShutdown() {
    if (stopping_) {
      logger_.Warning("ama", "stopping at once");
      io_.stop();
      return;
    }
    stopping_ = true;
    notifier_.Stopping();
    status_timer_.cancel();
    notifier_.Status("stopping: committing and acknowledging what was received");
    server_->Stop([this] {
      stopped_ = true;
      asio::error_code ignored;
      signals_.cancel(ignored);
      watchdog_timer_.cancel();
      disk_full_stop_timer_.cancel();
      work_.reset();
    });
    WatchStopOnFullDisk();
  }

  // A graceful stop waits for every connection's commits, and a full disk holds them: after
  // kDiskFullStopGrace of stopping with batches held, they fail (never acknowledged, so their
  // senders send them again) and so does every later one that does not fit, so that one signal
  // is enough to stop.
  void WatchStopOnFullDisk() {
    disk_full_stop_timer_.expires_after(kDiskFullStopGrace);
    disk_full_stop_timer_.async_wait([this](const asio::error_code& ec) {
      if (ec || stopped_) return;
      const localstore::QueueStats queue = store_->Queue();
      if (queue.held_batches == 0) {
        WatchStopOnFullDisk();
        return;
      }
      logger_.Warning("ama",
                      "stopping: a full disk still holds {} batches ({} bytes) after {} s; they "
                      "fail unacknowledged, and their senders will send them again",
                      queue.held_batches, queue.held_bytes,
                      std::chrono::duration_cast<std::chrono::seconds>(kDiskFullStopGrace).count());
      store_->FailHeldBatches();
    });
  }

  // WATCHDOG=1 from the io thread, so that an io thread that hangs stops the keep-alives and
  // systemd restarts the host.
  void ScheduleWatchdog() {
    watchdog_timer_.expires_after(notifier_.watchdog_interval());
    watchdog_timer_.async_wait([this](const asio::error_code& ec) {
      // A wait that had completed before cancel() runs with no error: stopped_ ends the loop.
      if (ec || stopped_) return;
      notifier_.Watchdog();
      ScheduleWatchdog();
    });
  }

  // STATUS= now and every few seconds (sent only when it changed).
  void ScheduleStatus() {
    ServiceSummary summary;
    summary.streams = active_streams_;
    summary.connections = server_->counters().connections_open;
    for (const localstore::StreamStats& stream : store_->Stats()) {
      summary.backlog_records += stream.backlog.records;
    }
    const HostStatusInput input = StatusInput();
    const std::vector<HealthProblem> problems = AssessHealth(input);
    if (!problems.empty()) summary.problem = HealthSummary(problems);
    summary.waiting = !input.configuration_loaded;
    notifier_.Status(ServiceStatusLine(summary));
    status_timer_.expires_after(std::chrono::seconds(5));
    status_timer_.async_wait([this](const asio::error_code& ec) {
      if (!ec && !stopping_) ScheduleStatus();
    });
  }

  void StopThreads() {
    if (control_thread_.joinable()) {
      control_thread_.request_stop();
      control_thread_.join();
    }
    for (std::jthread& thread : upload_threads_) thread.request_stop();
    for (std::jthread& thread : upload_threads_) {
      if (thread.joinable()) thread.join();
    }
    upload_threads_.clear();
    // What is still in flight is cancelled now, while the uploader its answers go to exists;
    // the journal keeps those batches for the next start.
    if (upload_http_) upload_http_->Stop();
  }

  HostOptions options_;
  base::Logger& logger_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::signal_set signals_;
  ServiceNotifier notifier_;
  asio::steady_timer watchdog_timer_;        // io thread
  asio::steady_timer status_timer_;          // io thread
  asio::steady_timer disk_full_stop_timer_;  // io thread: see WatchStopOnFullDisk
  std::atomic<std::size_t> active_streams_{0};
  // The stream ids the active DCRs route; a table of another stream is parked (status.h).
  mutable base::Mutex routed_mutex_;
  std::set<std::string> routed_streams_ GUARDED_BY(routed_mutex_);
  int lock_fd_ = -1;
  std::string agent_id_;
  std::unique_ptr<httpclient::CurlHttpClient>
      token_http_;  // ingestion tokens, one worker at a time
  std::unique_ptr<httpclient::CurlMultiClient> upload_http_;  // none with --no-upload
  std::unique_ptr<base::AsyncHttpClient> null_http_ = std::make_unique<NoHttp>();
  std::unique_ptr<httpclient::CurlHttpClient> control_http_;
  std::unique_ptr<ConfigSource> config_;
  std::unique_ptr<localstore::Store> store_;
  std::unique_ptr<uploader::Uploader> uploader_;
  std::unique_ptr<pipes::Server> server_;
  TaggedDataVersions versions_;   // control thread after Start
  QuotaSettings quota_settings_;  // control thread after Start
  dcr::Diagnostics last_resolve_diagnostics_;
  std::uint64_t quota_bytes_ = 0;
  // What the banners describe and whether they were given; ApplyConfigurations (start-up, then
  // the control thread) and ReadyBanner (the main thread) share them.
  mutable base::Mutex banner_mutex_;
  dcr::ActiveConfig banner_active_ GUARDED_BY(banner_mutex_);
  // The sockets' routes have a configuration.
  bool routes_configured_ GUARDED_BY(banner_mutex_) = false;
  bool waiting_banner_given_ GUARDED_BY(banner_mutex_) = false;
  bool ready_banner_given_ GUARDED_BY(banner_mutex_) = false;
  std::function<void(const std::string&)> on_later_ready_ GUARDED_BY(banner_mutex_);
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;  // io thread: the sockets have drained
  base::Mutex control_mutex_;
  std::condition_variable_any control_cv_;
  bool refresh_requested_ GUARDED_BY(control_mutex_) = false;
  std::vector<std::jthread> upload_threads_;
  std::jthread control_thread_;
  // The --http endpoints' view of the start: what is being done (empty once started), and
  // whether the members they read are all set (serving_) and the io thread still runs.
  base::Mutex readiness_mutex_;
  std::string starting_ GUARDED_BY(readiness_mutex_);
  std::atomic<bool> serving_{false};
  std::atomic<bool> io_done_{false};
  // Last, so that it stops (its thread joined) before anything it reads is destroyed.
  std::unique_ptr<HttpEndpoints> http_;
};

Host::Host(HostOptions options, base::Logger& logger)
    : impl_(std::make_unique<Impl>(std::move(options), logger)) {}

Host::~Host() = default;

bool Host::Start(std::string* error) { return impl_->Start(error); }

void Host::Run() { impl_->Run(); }

void Host::RequestStop() { impl_->RequestStop(); }

std::string Host::ReadyBanner() const { return impl_->ReadyBanner(); }

void Host::OnLaterReady(std::function<void(const std::string& banner)> on_later_ready) {
  impl_->OnLaterReady(std::move(on_later_ready));
}

}  // namespace ama
