#!/usr/bin/env bash
# An extension author's shell test suite, as docs/extension-authors.md shows it: start a private
# sandbox for an extension of one's own, send records with the C++ reference client (amactl send),
# assert with amactl items, and leave nothing behind with down. Also the mistakes a newcomer makes
# and what each one says. Needs AMACTL, AMAHOST_BIN and MOCKCLOUD_BIN (CMake sets them).
set -euo pipefail
amactl=${AMACTL:?}
fail() { echo "FAIL: $*"; exit 1; }
# A failing step must not leave processes behind.
trap '[[ -n ${AMAHOST_SANDBOX:-} && -d ${AMAHOST_SANDBOX:-} ]] && "$amactl" sandbox down >/dev/null 2>&1 || true' EXIT

# Settings larger than a config request may be (64 KiB): replies are read with their own bound.
big=$(head -c 100000 /dev/zero | tr '\0' x)
env_text=$("$amactl" sandbox up --extension Contoso-Linux --stream CONTOSO_EVENTS \
             --stream CONTOSO_AUDIT --solution Contoso --settings "{\"level\":\"verbose\",\"big\":\"$big\"}")
eval "$env_text"
for name in AMAHOST_SANDBOX AMAHOST_INSTANCE AMAHOST_CONFIG_SOCKET AMAHOST_DIAGNOSTICS_SOCKET AMAHOST_DATA_SOCKET \
            AMAHOST_DATA_SOCKET_CONTOSO_LINUX AMAHOST_SOCKET_PADDED_LENGTH AMAHOST_STATE_DIR \
            AMAHOST_HTTP_URL AMAHOST_PID MOCKCLOUD_URL MOCKCLOUD_CA MOCKCLOUD_STATE_DIR MOCKCLOUD_PID; do
  [[ -n ${!name:-} ]] || fail "sandbox up exported no $name"
done
[[ $AMAHOST_SOCKET_PADDED_LENGTH == 108 ]] || fail "padded length $AMAHOST_SOCKET_PADDED_LENGTH"
[[ $AMAHOST_DATA_SOCKET == "@${AMAHOST_INSTANCE}_CAgentStream_CloudAgentInfo_Contoso-Linux_default_fluent.socket" ]] ||
  fail "data socket $AMAHOST_DATA_SOCKET"
[[ $AMAHOST_DIAGNOSTICS_SOCKET == "@${AMAHOST_INSTANCE}_CAgentStream_CloudAgentInfo_MaExtensionDiagnostics_default_fluent.socket" ]] ||
  fail "diagnostics socket $AMAHOST_DIAGNOSTICS_SOCKET"
sandbox=$AMAHOST_SANDBOX
host_pid=$AMAHOST_PID
cloud_pid=$MOCKCLOUD_PID
kill -0 "$host_pid" && kill -0 "$cloud_pid" || fail "the sandbox's processes do not run"

# The configuration the extension will read, with its settings; wait says it is ready.
"$amactl" wait --extension Contoso-Linux --timeout 10 | grep -q "streams CONTOSO_EVENTS, CONTOSO_AUDIT" ||
  fail "amactl wait does not list both streams"
config=$("$amactl" config Contoso-Linux) || fail "amactl config failed"
[[ $config == *'"level": "verbose"'* && $config == *"\"big\": \"$big\""* ]] ||
  fail "the settings are not served whole"

# Three records to one stream, two to the other, acknowledged once stored.
printf '{"Event":"start","N":1}\n{"Event":"stop","N":2}\n{"Event":"start","N":3}\n' |
  "$amactl" send --extension Contoso-Linux --stream CONTOSO_EVENTS --ack >/dev/null
printf '{"User":"root","N":1}\n{"User":"alice","N":2}\n' |
  "$amactl" send --extension Contoso-Linux --stream CONTOSO_AUDIT --ack >/dev/null

"$amactl" items --data-type CONTOSO_EVENTS --count 3 --timeout 30 | grep -qx "3 items of CONTOSO_EVENTS at $MOCKCLOUD_URL" ||
  fail "amactl items did not count 3 CONTOSO_EVENTS"
events=$("$amactl" items --data-type CONTOSO_EVENTS --count 3 --timeout 30 --json)
[[ $events == '{"count":3,"items":[{"Event":"start","N":1},{"Event":"stop","N":2},{"Event":"start","N":3}]}' ]] ||
  fail "CONTOSO_EVENTS items: $events"
audit=$("$amactl" items --data-type CONTOSO_AUDIT --count 2 --timeout 30 --json)
[[ $audit == '{"count":2,"items":[{"User":"root","N":1},{"User":"alice","N":2}]}' ]] ||
  fail "CONTOSO_AUDIT items: $audit"

# --meta: each item with what mockcloud kept about it; the solution is the IPName.
meta=$("$amactl" items --data-type CONTOSO_AUDIT --count 2 --json --meta)
[[ $meta == '{"count":2,"items":[{"item":{"User":"root","N":1},"dataType":"CONTOSO_AUDIT","ipName":"Contoso","requestId":"'* ]] ||
  fail "items --meta: $meta"
[[ $meta == *'"time":"'* ]] || fail "items --meta has no received time: $meta"

# An extension's own error, reported on the diagnostics socket (any tag), shows in amactl status.
echo '{"Level":"Error","Message":"cannot read /etc/contoso.conf"}' |
  "$amactl" send --extension MaExtensionDiagnostics --stream Contoso-Linux --ack >/dev/null ||
  fail "the diagnostics socket did not acknowledge a report"
status=$("$amactl" status)
[[ $status == *"diagnostics: 1 record on $AMAHOST_DIAGNOSTICS_SOCKET"* &&
   $status == *'Contoso-Linux: 1 record, last at '* &&
   $status == *'{"Level":"Error","Message":"cannot read /etc/contoso.conf"}'* ]] ||
  fail "amactl status does not show the report: $status"
metrics=$(curl -sf "$AMAHOST_HTTP_URL/metrics") || fail "no /metrics at $AMAHOST_HTTP_URL"
grep -qx 'amahost_diagnostics_records_total 1' <<<"$metrics" ||
  fail "/metrics does not count the report"
! grep -q 'MaExtensionDiagnostics' <<<"$metrics" ||
  fail "the diagnostics stream has upload series in /metrics"

# What a newcomer's mistakes say.
if out=$("$amactl" wait --extension Contoso-Windows --timeout 0.3 2>&1); then fail "wait for an unknown extension succeeded"; fi
[[ $out == *"Contoso-Windows is not ready after 0.3 s"* ]] || fail "wait's message: $out"
if out=$("$amactl" items --data-type CONTOSO_EVENTS --count 4 --timeout 0.3 2>&1); then fail "items waited for 4 of 3"; fi
[[ $out == *"3 of 4 items of CONTOSO_EVENTS arrived"* ]] || fail "items' message: $out"
if out=$("$amactl" sandbox up --extension Lonely 2>&1); then fail "up with an extension of no stream succeeded"; fi
[[ $out == *"--extension Lonely has no stream"* ]] || fail "up's message: $out"
if out=$("$amactl" sandbox up --dir "$sandbox" --extension X --stream Y 2>&1); then fail "a second up in the same folder succeeded"; fi
[[ $out == *"a sandbox runs in $sandbox already"* ]] || fail "second up's message: $out"

# env says the same as up did.
[[ $("$amactl" sandbox env) == "$env_text" ]] || fail "sandbox env differs from what up printed"

"$amactl" sandbox down 2>/dev/null
[[ ! -e $sandbox ]] || fail "down left $sandbox"
for pid in "$host_pid" "$cloud_pid"; do
  # Gone, or a zombie waiting for whoever adopted it.
  if [[ -e /proc/$pid ]] && [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]; then
    fail "process $pid still runs after down"
  fi
done
if out=$("$amactl" sandbox down 2>&1); then fail "a second down succeeded"; fi
[[ $out == *"no sandbox in $sandbox"* ]] || fail "second down's message: $out"
unset AMAHOST_SANDBOX
echo "PASS"
