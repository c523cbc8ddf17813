#include "mockcloud/command_line.h"

#include <fmt/format.h>

#include "base/args.h"

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
    } else if (reader.TakeOption("--state-dir", &text)) {
      parsed.state_dir = text;
    } else if (reader.TakeOption("--dcr-dir", &text)) {
      parsed.dcr_dir = text;
    } else if (reader.TakeNumber("--port", 0, 65535, &number)) {
      parsed.port = static_cast<std::uint16_t>(number);
    } else if (reader.TakeNumber("--token-max-age", 1, 7 * 86400, &number)) {
      parsed.token_max_age = std::chrono::seconds(number);
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
  for (const auto* folder : {&parsed.state_dir, parsed.dcr_dir ? &*parsed.dcr_dir : nullptr}) {
    if (folder != nullptr && folder->empty()) {
      *error = "a folder option was given an empty value";
      return false;
    }
  }
  *out = std::move(parsed);
  return true;
}

std::string HelpText() {
  return R"(Usage: mockcloud [options]

A fake Azure for amahost and extension authors: the AMCS control plane, the ingestion token
endpoint, the ODS and Logs Ingestion upload endpoints, and an admin API, over HTTPS on
127.0.0.1 only. Everything it receives is kept in <state-dir>/items.db.

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
  --log-level L            debug, info, warning or error (default info); logs go to stderr
  --help                   this text

Files in the state folder:
  ca.pem       the CA to trust (curl --cacert, CURLOPT_CAINFO); kept across restarts
  ca.key, server.pem, server.key   made on first start; keys are mode 0600
  items.db     SQLite (WAL): every upload request and every DataItem accepted
  port         the port in use, while mockcloud runs

Endpoints (https://127.0.0.1:<port>):
  GET  /ping                                        200 "Healthy"
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
       Content-Encoding: deflate (zlib) or none, body {"DataType","IPName","DataItems":[…]}.
       200 when stored; an X-Request-ID accepted before is answered 200 and not stored again.
  POST /dataCollectionRules/{id}/streams/{stream}?api-version=2023-01-01
       Logs Ingestion: gzip or plain JSON array of objects, at most 1 MB; 204 when stored.

Admin API (plain JSON):
  GET    /_mock/items[?dataType=X][&offset=N][&limit=N]   {"count":N,"items":[…]}
  GET    /_mock/requests[?offset=N][&limit=N]             every upload request and its answer
  GET    /_mock/stats                                     totals and per-DataType counts
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
