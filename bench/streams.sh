#!/usr/bin/env bash
# What streams cost the host: for each N, a DCR folder with N output streams spread over
# ceil(N/100) extensions (100 streams each, so 1000 streams are 10 extensions), a host on it with
# uploads off, 10 records sent to every stream (so that each has its table), then the host's
# resident memory and open descriptors, measured once the records are stored ("busy": every table
# open) and again once the host has closed its idle tables (--table-idle-timeout, 2 s here
# instead of the default 60 s, so as not to wait). Prints one line per N.
#   bench/streams.sh BUILD_FOLDER N...      (scripts/bench --streams runs it with 10 100 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
folder=$1
shift
amahost="$PWD/$folder/ama/amahost"
amactl="$PWD/$folder/tools/amactl/amactl"
python=/usr/bin/python3
work=$(mktemp -d)
host_pid=
cleanup() {
  [[ -n $host_pid ]] && kill "$host_pid" 2>/dev/null && wait "$host_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# In MiB with one decimal.
rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
hwm_mib() { awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
now() { date +%s.%N; }
fds() { ls "/proc/$1/fd" | wc -l; }

# The host's open tables, from its status document.
open_tables() {
  "$amactl" status --instance "$1" --json |
    "$python" -c 'import json, sys; print(json.load(sys.stdin)["host"]["store"]["openTables"])'
}

row='%-8s %-11s %-7s %-11s %-11s %-11s %-11s %-11s %s\n'
printf "$row" streams extensions tables "busy RSS" "busy fds" "idle RSS" "idle fds" "peak RSS" "ready (s)"
for n in "$@"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench/streams.sh: N must be a positive number" >&2; exit 2; }
  run="$work/$n"
  mkdir -p "$run/dcrs" "$run/state"
  "$python" - "$run/dcrs/bench.json" "$n" <<'END'
import json, math, sys
path, n = sys.argv[1], int(sys.argv[2])
dcr = "dcr-bench0000000000000000000000000001"
channel = "ods-00000000-0000-4000-8000-0000000000b1"
sources, configurations = [], {}
for e in range(math.ceil(n / 100)):
    name = f"Bench-{e}"
    count = min(100, n - e * 100)
    streams = [{"stream": f"T{i}", "solution": "Bench", "extensionOutputStream": f"{dcr}:ds-{name}:T{i}"}
               for i in range(count)]
    sources.append({"configuration": {"extensionName": name}, "id": f"ds-{name}", "kind": "extension",
                    "streams": streams, "sendToChannels": [channel]})
    configurations[name] = [{"id": f"{dcr}:ds-{name}", "originIds": [], "extensionSettings": {},
                             "outputStreams": {s["stream"]: s["extensionOutputStream"] for s in streams}}]
json.dump({"dataSources": sources,
           "channels": [{"endpoint": "https://ods.invalid", "id": channel, "protocol": "ods",
                         "tokenEndpointUri": "https://handler.invalid/subscriptions/0/resourceGroups/r/providers/"
                         f"Microsoft.Compute/virtualMachines/vm/agentConfigurations/{dcr}/channels/{channel}/"
                         "issueIngestionToken?platform=linux"}],
           "extensionConfigurations": configurations}, open(path, "w"))
END
  instance="bench$$n$n"
  started=$(now)
  "$amahost" --dcr-dir "$run/dcrs" --state-dir "$run/state" --instance "$instance" --no-upload \
    --table-idle-timeout 2 --log-level warning >"$run/host.log" 2>&1 &
  host_pid=$!
  "$amactl" wait --extension Bench-0 --instance "$instance" --timeout 60 >/dev/null
  ready=$(awk -v a="$started" -v b="$(now)" 'BEGIN {printf "%.2f", b - a}')
  # 10 records to every stream, each extension on its own connection, every chunk acked.
  PYTHONPATH=clients/python "$python" - "$instance" "$n" <<'END'
import math, sys
from amahost_client import Client
instance, n = sys.argv[1], int(sys.argv[2])
for e in range(math.ceil(n / 100)):
    client = Client(f"Bench-{e}", instance=instance)
    count = min(100, n - e * 100)
    result = client.send_messages([(f"T{i}", [{"Stream": i, "N": k} for k in range(10)]) for i in range(count)])
    assert result.all_acked, result
    client.close()
END
  tables=$(ls "$run/state/Tables"/*.tsf | wc -l)
  busy_rss=$(rss_mib $host_pid)
  busy_fds=$(fds $host_pid)
  # Idle: every table closed (the idle timeout plus one check), within a deadline.
  deadline=$(($(date +%s) + 60))
  until [[ $(open_tables "$instance") == 0 ]]; do
    if (($(date +%s) > deadline)); then
      echo "bench/streams.sh: the host still has open tables after 60 s" >&2
      exit 1
    fi
    sleep 0.5
  done
  printf "$row" "$n" $(((n + 99) / 100)) "$tables" "$busy_rss" "$busy_fds" \
    "$(rss_mib $host_pid)" "$(fds $host_pid)" "$(hwm_mib $host_pid)" "$ready"
  kill "$host_pid"
  wait "$host_pid" 2>/dev/null || true
  host_pid=
done
