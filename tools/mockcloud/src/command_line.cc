#include "mockcloud/command_line.h"

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <limits>
#include <thread>

#include "base/args.h"
#include "mockcloud/table_schema.h"

namespace mockcloud {

bool ParseCommandLine(const std::vector<std::string>& args, CommandLine* out, std::string* error) {
  CommandLine parsed;
  base::ArgReader reader(args);
  while (!reader.Done()) {
    std::string text;
    std::int64_t number = 0;
    if (reader.TakeFlag("--help") || reader.TakeFlag("-h")) {
      parsed.help = true;
    } else if (reader.TakeFlag("--redirect-to-dce")) {
      parsed.redirect_to_dce = true;
    } else if (reader.TakeFlag("--memory")) {
      parsed.memory = true;
    } else if (reader.TakeFlag("--discard")) {
      parsed.discard = true;
    } else if (reader.TakeFlag("--require-client-cert")) {
      parsed.require_client_cert = true;
    } else if (reader.TakeNumber("--seed", 0, std::numeric_limits<std::int64_t>::max(), &number)) {
      parsed.seed = static_cast<std::uint64_t>(number);
    } else if (reader.TakeNumber("--threads", 1, 256, &number)) {
      parsed.threads = static_cast<int>(number);
    } else if (reader.TakeOption("--state-dir", &text)) {
      parsed.state_dir = text;
    } else if (reader.TakeOption("--dcr-dir", &text)) {
      parsed.dcr_dir = text;
    } else if (reader.TakeNumber("--port", 0, 65535, &number)) {
      parsed.port = static_cast<std::uint16_t>(number);
    } else if (reader.TakeNumber("--token-max-age", 1, 7 * 86400, &number)) {
      parsed.token_max_age = std::chrono::seconds(number);
    } else if (reader.TakeOption("--schema", &text)) {
      if (!reader.error().empty()) continue;
      std::string data_type;
      std::filesystem::path file;
      if (!ParseSchemaOption(text, &data_type, &file, error)) return false;
      for (const auto& [given, unused] : parsed.schemas) {
        if (given == data_type) {
          *error = fmt::format("option --schema: {} is given twice", data_type);
          return false;
        }
      }
      parsed.schemas.emplace_back(std::move(data_type), std::move(file));
    } else if (reader.TakeOption("--log-level", &text)) {
      if (reader.error().empty() && !base::ParseLogLevel(text, &parsed.log_level)) {
        *error =
            fmt::format("option --log-level needs debug, info, warning or error, not '{}'", text);
        return false;
      }
    } else {
      reader.RejectCurrent();
    }
  }
  if (!reader.error().empty()) {
    *error = reader.error();
    return false;
  }
  if (parsed.memory && parsed.discard) {
    *error = "--memory and --discard exclude each other: keep items in memory, or keep none";
    return false;
  }
  for (const auto* folder : {&parsed.state_dir, parsed.dcr_dir ? &*parsed.dcr_dir : nullptr}) {
    if (folder != nullptr && folder->empty()) {
      *error = "a folder option was given an empty value";
      return false;
    }
  }
  *out = std::move(parsed);
  return true;
}

int DefaultThreads() {
  // The CPUs this process may use (a container or taskset may allow fewer than the machine has).
  cpu_set_t set;
  int cpus = 0;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cpus = CPU_COUNT(&set);
  if (cpus <= 0) cpus = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(cpus, 2, 256);
}

std::string HelpText() {
  return R"(Usage: mockcloud [options]

A fake Azure for amahost and extension authors: the AMCS control plane, the ingestion token
endpoint, the ODS and Logs Ingestion upload endpoints, and an admin API, over HTTPS on
127.0.0.1 only. Everything it receives is kept in <state-dir>/items.db (or in memory, or only
counted: --memory, --discard).

Options:
  --state-dir DIR          where certificates, items.db and the port file live
                           (default ./mockcloud-state; created if missing)
  --port N                 TCP port on 127.0.0.1 (default 7443; 0 = any free port). The port in
                           use is written to <state-dir>/port once listening.
  --dcr-dir DIR            folder of DCR files (*.json: agent-side content, one configuration,
                           a configurations response, or an ARM resource) served by the control
                           plane; read again on every request. Without it, no configurations.
  --token-max-age SECONDS  lifetime of ingestion tokens and their Cache-Control max-age
                           (default 3600, at most 604800)
  --redirect-to-dce        start in redirect mode: agentConfigurations requests are answered
                           421 with x-ms-agent-config-endpoint: https://127.0.0.1:<port>/dce,
                           where the same control plane is served (POST /_mock/redirect
                           switches it at run time)
  --memory                 keep items and requests in memory only: no items.db is written, the
                           admin API answers as with it, and everything is gone when mockcloud
                           stops. Not capped: memory grows with every item until
                           POST /_mock/reset.
  --discard                for benchmarks: check every upload as usual (api-version, token,
                           headers, the whole zlib/gzip stream, size limits, well-formed JSON of
                           the right shape) and count its items (total, per DataType, bytes), but
                           keep none. /_mock/items answers the count and no items
                           ("discarded":true). Requests and request ids are kept in memory
                           (a few hundred bytes a request, not capped either), so duplicates
                           are still found and /_mock/requests still answers.
  --seed N                 draw injected faults' probabilities from a generator seeded with N
                           (0 to 2^63-1): the same requests in the same order meet the same
                           faults, from start and again after each POST /_mock/reset
  --threads N              threads serving connections, 1-256 (default: the CPUs available, at
                           least 2). Each connection runs on one thread at a time; uploads on
                           different connections are checked and stored in parallel.
  --require-client-cert    mutual TLS: every connection must present a certificate that chains
                           to mockcloud's CA, such as <state-dir>/client.pem with client.key
                           (curl --cert client.pem --key client.key); others fail the handshake
  --schema DATATYPE=FILE   check the DataItems of DATATYPE (an ODS DataType or a Logs
                           Ingestion stream) against the table in FILE:
                           {"table":"MyTable_CL","columns":{"Name":"string","Count":"long"}}
                           with types string, datetime, long, int, bool, real, dynamic, guid.
                           Repeatable; replaces a built-in table. Built in:
                           CONFIG_CHANGE_BLOB_V2 -> ConfigurationChange,
                           CONFIG_DATA_BLOB_V2 -> ConfigurationData. The check never refuses an
                           upload: fields that match no column and values of the wrong type are
                           reported in /_mock/requests ("schema"), /_mock/stats and the log.
                           A bad file stops mockcloud at start (exit 1).
  --log-level L            debug, info, warning or error (default info); logs go to stderr
  --help                   this text

Files in the state folder:
  ca.pem       the CA to trust (curl --cacert, CURLOPT_CAINFO); kept across restarts
  ca.key, server.pem, server.key   made on first start; keys are mode 0600
  client.pem, client.key           a client certificate signed by the CA (extendedKeyUsage
               clientAuth), for --require-client-cert; made on first start and kept
  items.db     SQLite (WAL): every upload request and every DataItem accepted (not with
               --memory or --discard)
  port         the port in use, while mockcloud runs

Endpoints (https://127.0.0.1:<port>):
  GET  /ping                                        200 "Healthy"
  GET  /                                            the web page: what arrived, requests, faults,
                                                    the control plane (open it in a browser)
  GET  [/locations/{region}]/subscriptions/{sub}/resourceGroups/{rg}/providers/
       Microsoft.Compute/virtualMachines/{vm}/agentConfigurations?...
       {"configurations":[{"configurationId","eTag","op","content"}]}; If-None-Match with
       the eTags a client holds leaves those out, reports deleted ones as op "removed", and
       answers 304 when nothing changed. Channels point at this mockcloud.
       Also served under /dce (the data collection endpoint of redirect mode); in redirect
       mode the paths without /dce answer 421 with x-ms-agent-config-endpoint.
  GET  .../agentConfigurations/{configurationId}/channels/{channelId}/issueIngestionToken
       {"configurationId","ingestionAuthToken"} with Cache-Control: max-age
  POST /OperationalData.svc/PostJsonDataItems?api-version=2016-04-01
       ODS upload: Authorization: Bearer <token>, Content-Type: application/json,
       Content-Encoding: deflate (zlib) or none, body {"DataType","IPName","DataItems":[…]}
       inflating to at most 256 MiB. 200 when stored; an X-Request-ID accepted before is
       answered 200 and not stored again.
  POST /dataCollectionRules/{immutableId}/streams/{stream}?api-version=2023-01-01
       Logs Ingestion: Authorization: Bearer <token>, Content-Type: application/json,
       Content-Encoding: gzip or none, a JSON array of objects, at most 1 MiB (1048576 bytes)
       both as sent and decompressed (413 otherwise). 204 when stored; an
       x-ms-client-request-id accepted before is answered 204 and not stored again.

Admin API (plain JSON):
  GET    /_mock/items[?dataType=X][&offset=N][&limit=N]   {"count":N,"items":[…]}
  GET    /_mock/items?meta=true[&…]   each item as {"item":{…},"dataType","ipName",
                                      "requestId","resourceId","time"} (time received)
  GET    /_mock/requests[?offset=N][&limit=N]             every upload request, its answer,
                                                          its headers (Authorization redacted)
                                                          and its schema check
  GET    /_mock/stats                                     totals, per-DataType counts, bytes,
                                                          schema check counts
  POST   /_mock/faults   {"target":"ods"|"logs"|"token"|"control"|"all","status":503,
                          "count":2,"retryAfter":1,"latencyMs":0,"probability":1.0}
                         the next `count` matching requests get `status` (0 = latency only)
  GET    /_mock/faults   the faults in force;  DELETE /_mock/faults  removes them
  POST   /_mock/redirect {"enabled":true|false}   redirect mode on or off; GET shows it
  GET    /_mock/configurations[?resourceId=/subscriptions/…]
                         configurationId, eTag and source file of what is served now
  POST   /_mock/reset    clears items, requests, faults and counters; redirect mode back to
                         how it started

SIGINT or SIGTERM stops it (exit 0). Bad arguments exit 2.
See docs/mockcloud.md.
)";
}

}  // namespace mockcloud
