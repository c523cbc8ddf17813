#include "ama/host_options.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "base/args.h"
#include "base/files.h"
#include "base/uuid.h"
#include "base/version.h"
#include "config_file.h"

namespace ama {

std::string HostUsage() {
  return fmt::format(R"(amahost {} — an open stand-in for the Azure Monitor Agent host on Linux.

Serves extensions (such as the Change Tracking agent) their configuration on the CloudAgentInfo
socket, takes their records on per-extension Fluent Forward sockets, keeps every acknowledged
record in per-stream SQLite tables (.tsf) and uploads them in batches to the DCR's ODS or Logs
Ingestion endpoint. Batches a receiver refuses for good are kept as dead letters (amactl
deadletter).

Usage: amahost [options]
       amahost check-config <file or folder>   check DCR files (see check-config --help)

Where the DCRs come from (one of; with neither, the bundled DCRs, ChangeTracking-Linux and
LogsIngestion-Example, uploading to mockcloud at https://127.0.0.1:7443):
  --dcr-dir DIR            load every *.json in DIR (agent-side content or ARM resource shape)
  --handler URL            fetch from an AMCS-shaped control plane
  --refresh SECONDS        how often the folder or control plane is read again (default 300);
                           SIGHUP reads it at once
  --token-file FILE        control-plane bearer token (default: $AMAHOST_CONTROL_PLANE_TOKEN);
                           read again before every call, so it can be renewed in place
  --control-retry SECONDS  first retry after a failed control-plane call (default 10), doubling
                           with jitter up to 300, or what Retry-After asks

State:
  --state-dir DIR          tables (DIR/Tables), agent id and lock (default ./amahost-state)
  --config-dir DIR         where config-cache/ goes (default: the state dir)
  --sync full|normal       SQLite synchronous mode: full survives power loss (default full)
  --max-disk-quota-mb N    keep at most N MiB of records (default: AgentSettings'
                           MaxDiskQuotaInMB, 10000); over it the oldest records are dropped,
                           counted and logged
  --max-age DURATION       remove records whose event time is older than this (90s, 30m, 12h,
                           7d, …): checked at start and every minute, counted as expired and
                           logged; a record already that old when it arrives is acknowledged
                           and not stored (default: keep them)
  --table-idle-timeout SECONDS
                           close a stream's table after this long unused: it then holds no
                           descriptor or memory and opens again on its next data or upload
                           (default 60; 0 keeps tables open)
  --max-table-pages N      cap every table at N SQLite pages, as if the disk were full there
                           (a seam for tests of the full-disk path; default: no cap)

Sockets:
  --socket-mode abstract|path
                           abstract namespace, as AMA (default), or files in --run-dir
  --run-dir DIR            folder of filesystem sockets (default /run/azuremonitoragent)
  --instance NAME          prefix every socket name with NAME_ so several hosts can run
  --fluent-port PORT       also take Fluent Forward on 127.0.0.1:PORT (AMA uses 28230)
  --shared-key-file FILE   TCP clients must pass the Forward shared-key handshake with the key
                           in FILE (fluentd <security>, fluent-bit Shared_Key)
  --shared-key KEY         the same with the key on the command line (visible in ps)
  --allow-uid UID[,UID…]   accept Unix-socket clients only with one of these uids or
  --allow-gid GID[,GID…]   one of these gids (abstract sockets have no file permissions)
  --idle-timeout SECONDS   close a connection silent for this long (default 3600)
  --max-connections N      connections open at once (default 1024)

Upload:
  --cloud-endpoint URL     send every upload and token request to URL (e.g. a mockcloud)
                           instead of the hosts named in the DCR channels: each channel URL
                           keeps its path and query; its scheme, host and port become URL's
  --ca-file FILE           also trust this CA (e.g. mockcloud-state/ca.pem); TLS is always
                           verified
  --resource-id ID         the agent's Azure resource id (default: a placeholder VM named after
                           this host)
  --region NAME            x-ms-AzureRegion (default local)
  --agent-id UUID          x-ms-UUID (default: generated once, kept in the state dir)
  --upload-window SECONDS  a batch goes when full or this old (default 60, as AMA)
  --no-upload              keep every record in the tables and upload nothing
  --batch-max-records N    records per batch (default 10000)
  --batch-max-bytes N      stored bytes per batch (default 4194304)
  --retry-base SECONDS     first retry delay, doubling, with full jitter (default 1)
  --retry-max SECONDS      longest retry delay (default 300)
  --upload-workers N       threads that read, convert and compress batches (default: one per
                           core)
  --upload-requests N      upload requests in flight at once (default 8)
  --upload-budget-mb N     memory for upload bodies built or in flight (default 64)

Network:
  --proxy URL              send every request through this proxy (default: $HTTPS_PROXY,
                           $https_proxy or $ALL_PROXY, as curl reads them)
  --no-proxy LIST          hosts never proxied, comma-separated, curl's NO_PROXY syntax (default:
                           $NO_PROXY); loopback is never proxied unless --proxy-loopback
  --proxy-loopback         proxy requests to 127.0.0.1/localhost too (to test a proxy against a
                           local mockcloud)
  --client-cert FILE       present this PEM client certificate (mutual TLS) ...
  --client-key FILE        ... with this PEM private key

HTTP (off unless --http is given):
  --http ADDR:PORT         serve GET /healthz, /readyz, /metrics (Prometheus) and /api/v1/status
                           over plain HTTP, e.g. 127.0.0.1:9464; port 0 = any free port, written
                           to <state-dir>/http-port and shown in the ready banner
  --http-allow-remote      let --http listen on an address other than loopback (127.0.0.0/8,
                           ::1); the endpoints have no authentication

Other:
  --config FILE            read options from FILE first, a JSON object whose keys are the long
                           flags without their dashes ({{"state-dir": "/var/lib/amahost",
                           "upload-window": 5, "no-upload": true, "allow-uid": [0, 1000]}});
                           a flag on the command line wins over the file's key
  --log-level LEVEL        debug, info, warning or error (default info)
  --log-format text|json   log lines on stderr as text (default) or one JSON object each
  --help, --version

Signals: SIGTERM/SIGINT stop gracefully (in-flight records are committed and acknowledged
first; on a full disk, batches still held after 5 s fail unacknowledged, for their senders to
send again); a second one stops at once. SIGHUP reloads the DCRs.
)",
                     base::kVersion);
}

std::string DefaultResourceId() {
  char host[256] = {};
  std::string name = "amahost";
  if (::gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') {
    name.clear();
    for (const char* p = host; *p; ++p) {
      char c = *p;
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.';
      name.push_back(ok ? c : '-');
    }
  }
  return "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/amahost/providers/"
         "Microsoft.Compute/virtualMachines/" +
         name;
}

namespace {

// "0,1000,1001" → {0, 1000, 1001}; false on anything that is not such a list.
bool ParseIdList(const std::string& text, std::vector<std::uint32_t>* ids) {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string_view part(text.data() + start, end - start);
    std::uint32_t id = 0;
    auto [rest, ec] = std::from_chars(part.data(), part.data() + part.size(), id);
    if (part.empty() || ec != std::errc() || rest != part.data() + part.size()) return false;
    ids->push_back(id);
    start = end + 1;
  }
  return true;
}

// Reads flags into `options` until the arguments end or one is wrong; the checks that look at
// several flags at once come after, in CheckHostOptions.
ParseOutcome ReadFlags(base::ArgReader& args, HostOptions* options, std::string* message) {
  std::string text;
  std::int64_t number = 0;
  while (!args.Done()) {
    if (args.TakeFlag("--help") || args.TakeFlag("-h")) return ParseOutcome::kHelp;
    if (args.TakeFlag("--version")) return ParseOutcome::kVersion;
    if (args.TakeOption("--config", &text)) {
      options->config_file = text;
      continue;
    }
    if (args.TakeOption("--log-format", &text)) {
      if (!base::ParseLogFormat(text, &options->log_format)) {
        *message = fmt::format("--log-format takes text or json, not '{}'", text);
        return ParseOutcome::kError;
      }
      continue;
    }
    if (args.TakeOption("--dcr-dir", &text)) {
      options->dcr_dir = text;
      continue;
    }
    if (args.TakeOption("--handler", &options->handler_url)) continue;
    if (args.TakeSeconds("--refresh", 0.05, 86400, &options->refresh)) continue;
    if (args.TakeSeconds("--control-retry", 0.001, 3600, &options->control_retry_base)) continue;
    if (args.TakeOption("--token-file", &text)) {
      options->token_file = text;
      continue;
    }
    if (args.TakeOption("--state-dir", &text)) {
      options->state_dir = text;
      continue;
    }
    if (args.TakeOption("--config-dir", &text)) {
      options->config_dir = text;
      continue;
    }
    if (args.TakeOption("--sync", &text)) {
      if (text != "full" && text != "normal") {
        *message = fmt::format("--sync takes full or normal, not '{}'", text);
        return ParseOutcome::kError;
      }
      options->sync_full = text == "full";
      continue;
    }
    if (args.TakeNumber("--max-disk-quota-mb", 1, 1000000, &number)) {
      options->max_disk_quota_mb = static_cast<std::uint64_t>(number);
      continue;
    }
    if (args.TakeDuration("--max-age", std::chrono::seconds(1), std::chrono::days(3650),
                          &options->max_age)) {
      continue;
    }
    if (args.TakeSeconds("--table-idle-timeout", 0, 7 * 86400, &options->table_idle_timeout)) {
      continue;
    }
    if (args.TakeNumber("--max-table-pages", 1, 1LL << 40, &number)) {
      options->max_table_pages = static_cast<std::uint64_t>(number);
      continue;
    }
    if (args.TakeOption("--socket-mode", &text)) {
      if (text != "abstract" && text != "path") {
        *message = fmt::format("--socket-mode takes abstract or path, not '{}'", text);
        return ParseOutcome::kError;
      }
      options->naming.mode =
          text == "path" ? pipes::SocketMode::kPath : pipes::SocketMode::kAbstract;
      continue;
    }
    if (args.TakeOption("--run-dir", &text)) {
      options->naming.run_dir = text;
      continue;
    }
    if (args.TakeOption("--instance", &options->naming.instance)) {
      if (!pipes::IsValidInstanceName(options->naming.instance)) {
        *message = "--instance takes 1-64 characters of A-Z a-z 0-9 . _ -";
        return ParseOutcome::kError;
      }
      continue;
    }
    if (args.TakeNumber("--fluent-port", 1, 65535, &number)) {
      options->fluent_port = static_cast<std::uint16_t>(number);
      continue;
    }
    if (args.TakeOption("--shared-key", &options->shared_key)) continue;
    if (args.TakeOption("--shared-key-file", &text)) {
      if (std::error_code ec = base::ReadFile(text, 64 * 1024, &options->shared_key)) {
        *message = fmt::format("cannot read --shared-key-file {}: {}", text, ec.message());
        return ParseOutcome::kError;
      }
      while (!options->shared_key.empty() &&
             (options->shared_key.back() == '\n' || options->shared_key.back() == '\r')) {
        options->shared_key.pop_back();
      }
      continue;
    }
    if (args.TakeOption("--allow-uid", &text)) {
      if (!ParseIdList(text, &options->allow_uids)) {
        *message =
            fmt::format("--allow-uid takes numeric uids separated by commas, not '{}'", text);
        return ParseOutcome::kError;
      }
      continue;
    }
    if (args.TakeOption("--allow-gid", &text)) {
      if (!ParseIdList(text, &options->allow_gids)) {
        *message =
            fmt::format("--allow-gid takes numeric gids separated by commas, not '{}'", text);
        return ParseOutcome::kError;
      }
      continue;
    }
    if (args.TakeSeconds("--idle-timeout", 0.01, 7 * 86400, &options->idle_timeout)) continue;
    if (args.TakeNumber("--max-connections", 1, 65536, &number)) {
      options->max_connections = static_cast<std::size_t>(number);
      continue;
    }
    if (args.TakeOption("--cloud-endpoint", &options->cloud_endpoint)) continue;
    if (args.TakeOption("--ca-file", &options->ca_file)) continue;
    if (args.TakeOption("--resource-id", &options->resource_id)) continue;
    if (args.TakeOption("--region", &options->region)) continue;
    if (args.TakeOption("--agent-id", &options->agent_id)) {
      if (!base::IsUuid(options->agent_id)) {
        *message = fmt::format("--agent-id needs a UUID, not '{}'", options->agent_id);
        return ParseOutcome::kError;
      }
      continue;
    }
    if (args.TakeSeconds("--upload-window", 0, 86400, &options->upload_window)) continue;
    if (args.TakeFlag("--no-upload")) {
      options->upload = false;
      continue;
    }
    if (args.TakeNumber("--batch-max-records", 1, 1000000, &number)) {
      options->batch_max_records = static_cast<std::size_t>(number);
      continue;
    }
    if (args.TakeNumber("--batch-max-bytes", 1024, 256 * 1024 * 1024, &number)) {
      options->batch_max_bytes = static_cast<std::size_t>(number);
      continue;
    }
    if (args.TakeNumber("--upload-workers", 1, 256, &number)) {
      options->upload_workers = static_cast<unsigned>(number);
      continue;
    }
    if (args.TakeNumber("--upload-requests", 1, 1024, &number)) {
      options->upload_max_requests = static_cast<std::size_t>(number);
      continue;
    }
    if (args.TakeNumber("--upload-budget-mb", 1, 65536, &number)) {
      options->upload_budget_bytes = static_cast<std::size_t>(number) * 1024 * 1024;
      continue;
    }
    if (args.TakeOption("--proxy", &options->proxy)) continue;
    if (args.TakeOption("--no-proxy", &options->no_proxy)) continue;
    if (args.TakeFlag("--proxy-loopback")) {
      options->proxy_loopback = true;
      continue;
    }
    if (args.TakeOption("--client-cert", &options->client_cert)) continue;
    if (args.TakeOption("--client-key", &options->client_key)) continue;
    if (args.TakeSeconds("--retry-base", 0.001, 3600, &options->retry_base)) continue;
    if (args.TakeSeconds("--retry-max", 0.001, 86400, &options->retry_max)) continue;
    if (args.TakeOption("--http", &text)) {
      httpserver::ListenAddress address;
      std::string error;
      if (!httpserver::ParseListenAddress(text, &address, &error)) {
        *message = "--http: " + error;
        return ParseOutcome::kError;
      }
      options->http = address;
      continue;
    }
    if (args.TakeFlag("--http-allow-remote")) {
      options->http_allow_remote = true;
      continue;
    }
    if (args.TakeOption("--log-level", &text)) {
      if (!base::ParseLogLevel(text, &options->log_level)) {
        *message = fmt::format("--log-level takes debug, info, warning or error, not '{}'", text);
        return ParseOutcome::kError;
      }
      continue;
    }
    args.RejectCurrent();
  }
  if (!args.error().empty()) {
    *message = args.error();
    return ParseOutcome::kError;
  }
  return ParseOutcome::kRun;
}

// A flag's complaint about a config file's value, without the flag's name, which the caller puts
// as the key: "needs a number of seconds from 0 to 86400, not 'soon'".
std::string ValueProblem(const std::string& key, const base::ArgReader& reader,
                         const std::string& message, bool is_false) {
  if (is_false || reader.problem() == base::ArgReader::Problem::kMissingValue) {
    return fmt::format("takes a value, not {}", is_false ? "false" : "true");
  }
  // The switch was taken, and the value after it read as an argument of its own.
  if (reader.problem() == base::ArgReader::Problem::kUnexpectedArgument ||
      reader.problem() == base::ArgReader::Problem::kUnknownOption) {
    return "is a switch: true or false";
  }
  for (const std::string& prefix : {"option --" + key + " ", "--" + key + " "}) {
    if (message.starts_with(prefix)) return message.substr(prefix.size());
  }
  return message;
}

// Reads the config file's keys into `options`, each as its flag, but for the flags the command
// line names (`command_line_flags`), which win.
bool ReadConfigFile(const std::filesystem::path& path,
                    const std::vector<std::string>& command_line_flags, HostOptions* options,
                    std::string* message) {
  std::string text;
  if (std::error_code ec = base::ReadFile(path, 1024 * 1024, &text)) {
    *message = fmt::format("cannot read the config file {}: {}", path.string(), ec.message());
    return false;
  }
  std::vector<ConfigArgument> arguments;
  std::string error;
  if (!ConfigFileArguments(text, &arguments, &error)) {
    *message = fmt::format("{}: {}", path.string(), error);
    return false;
  }
  options->config_file = path;
  for (const ConfigArgument& argument : arguments) {
    const std::string flag = "--" + argument.key;
    if (argument.key == "config") {
      *message =
          fmt::format("{}: \"config\": a config file cannot name another one", path.string());
      return false;
    }
    if (std::find(command_line_flags.begin(), command_line_flags.end(), flag) !=
        command_line_flags.end()) {
      continue;
    }
    // false and [] give no arguments: the bare flag, read into a copy, says whether the key
    // names a flag, and whether false suits it.
    const bool probe = argument.args.empty();
    HostOptions scratch = *options;
    base::ArgReader reader(probe ? std::vector<std::string>{flag} : argument.args);
    std::string problem;
    ParseOutcome outcome = ReadFlags(reader, probe ? &scratch : options, &problem);
    if (outcome == ParseOutcome::kHelp || outcome == ParseOutcome::kVersion ||
        (reader.taken().empty() && reader.problem() == base::ArgReader::Problem::kUnknownOption)) {
      options->config_unknown_keys.push_back(argument.key);
      continue;
    }
    // A switch given a value takes the value for an argument of its own: a flag, or a stray.
    const bool all_this_flag = std::all_of(reader.taken().begin(), reader.taken().end(),
                                           [&](const std::string& name) { return name == flag; });
    if (outcome == ParseOutcome::kRun && all_this_flag) continue;
    if (probe && !argument.is_false && outcome == ParseOutcome::kError) continue;  // []: none
    *message = fmt::format("{}: \"{}\": {}", path.string(), argument.key,
                           outcome == ParseOutcome::kRun
                               ? std::string("is a switch: true or false")
                               : ValueProblem(argument.key, reader, problem, argument.is_false));
    return false;
  }
  return true;
}

// The checks that look at several flags at once, and the values derived from them.
ParseOutcome CheckHostOptions(HostOptions* options, std::string* message) {
  if (!options->dcr_dir.empty() && !options->handler_url.empty()) {
    *message = "give either --dcr-dir or --handler, not both";
    return ParseOutcome::kError;
  }
  if (!options->dcr_dir.empty()) {
    options->source = HostOptions::DcrSource::kDirectory;
  } else if (!options->handler_url.empty()) {
    options->source = HostOptions::DcrSource::kControlPlane;
  }
  for (const std::string* url : {&options->handler_url, &options->cloud_endpoint}) {
    if (!url->empty() && !url->starts_with("https://") && !url->starts_with("http://")) {
      *message = fmt::format("'{}' is not an http(s) URL", *url);
      return ParseOutcome::kError;
    }
  }
  if (options->fluent_port != 0 && (!options->allow_uids.empty() || !options->allow_gids.empty())) {
    *message =
        "--allow-uid/--allow-gid cannot restrict the TCP --fluent-port (TCP peers have no uid); "
        "use one or the other";
    return ParseOutcome::kError;
  }
  if (!options->shared_key.empty() && options->fluent_port == 0) {
    *message = "a shared key applies to the TCP fluent port only: give --fluent-port too";
    return ParseOutcome::kError;
  }
  if (options->client_cert.empty() != options->client_key.empty()) {
    *message = "--client-cert and --client-key go together: give both";
    return ParseOutcome::kError;
  }
  for (const std::string* file : {&options->client_cert, &options->client_key}) {
    std::error_code ec;
    if (!file->empty() && !std::filesystem::is_regular_file(*file, ec)) {
      *message = fmt::format("cannot read '{}': no such file", *file);
      return ParseOutcome::kError;
    }
  }
  if (options->retry_max < options->retry_base) {
    *message = "--retry-max must not be smaller than --retry-base";
    return ParseOutcome::kError;
  }
  if (options->http && !options->http_allow_remote &&
      !httpserver::IsLoopback(options->http->address)) {
    *message = fmt::format(
        "--http {}: not a loopback address. The endpoints have no authentication, so they listen "
        "on 127.0.0.0/8 or ::1 only; add --http-allow-remote to listen there anyway",
        options->http->ToString());
    return ParseOutcome::kError;
  }
  if (options->http_allow_remote && !options->http) {
    *message = "--http-allow-remote applies to --http: give --http ADDR:PORT too";
    return ParseOutcome::kError;
  }
  if (options->resource_id.empty()) options->resource_id = DefaultResourceId();
  return ParseOutcome::kRun;
}

}  // namespace

ParseOutcome ParseHostOptions(const std::vector<std::string>& argv, HostOptions* options,
                              std::string* message) {
  // The command line is read twice: first alone, for --config and the flags it names (which win
  // over the file's keys), then again after the file, into the options themselves.
  HostOptions command_line = *options;
  base::ArgReader first(argv);
  ParseOutcome outcome = ReadFlags(first, &command_line, message);
  if (outcome != ParseOutcome::kRun) return outcome;
  if (!command_line.config_file.empty() &&
      !ReadConfigFile(command_line.config_file, first.taken(), options, message)) {
    return ParseOutcome::kError;
  }
  base::ArgReader args(argv);
  outcome = ReadFlags(args, options, message);
  if (outcome != ParseOutcome::kRun) return outcome;
  return CheckHostOptions(options, message);
}

}  // namespace ama
