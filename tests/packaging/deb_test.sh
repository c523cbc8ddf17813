#!/usr/bin/env bash
# The .deb: packed with cpack from this build folder, its control fields and files checked,
# unpacked into a scratch root with dpkg -x, and its binary run there on the packaged config.
#   deb_test.sh CPACK BUILD_DIR SOURCE_DIR VERSION
set -euo pipefail
cpack=$1
build=$2
source=$3
version=$4
scratch=$(mktemp -d "${TMPDIR:-/tmp}/amahost-deb.XXXXXX")
host_pid=
cleanup() {
  if [[ -n $host_pid ]]; then kill -KILL "$host_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  exit 1
}
# Waits up to $1 seconds for the command after it to succeed (a condition with a deadline).
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

echo "packing with cpack"
"$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$scratch/out" >"$scratch/cpack.log" 2>&1 ||
  { cat "$scratch/cpack.log"; fail "cpack failed"; }
deb="$scratch/out/amahost_${version}_amd64.deb"
[[ -f $deb ]] || { ls -l "$scratch/out"; fail "no $deb"; }

echo "control fields"
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == amahost ]] || fail "Package: $(field Package)"
[[ $(field Version) == "$version" ]] || fail "Version: $(field Version)"
[[ $(field Architecture) == amd64 ]] || fail "Architecture: $(field Architecture)"
# Computed by dpkg-shlibdeps from the binaries' libraries.
depends=$(field Depends)
for library in libc6 libcurl4 libsqlite3-0 libsystemd0 libzstd1 libssl3; do
  [[ $depends == *"$library"* ]] || fail "Depends lacks $library: $depends"
done
[[ $(dpkg-deb -I "$deb" conffiles) == /etc/amahost/config.json ]] ||
  fail "conffiles: $(dpkg-deb -I "$deb" conffiles)"
for script in postinst prerm postrm; do
  dpkg-deb -I "$deb" "$script" | head -n 1 | grep -qx '#!/bin/sh' || fail "no $script"
done

echo "files"
dpkg -c "$deb" | awk '{print $1, $6}' >"$scratch/contents"
for entry in "-rwxr-xr-x ./usr/bin/amahost" "-rwxr-xr-x ./usr/bin/amactl" \
  "-rwxr-xr-x ./usr/bin/mockcloud" "-rwxr-xr-x ./usr/bin/ctagent" \
  "-rw-r--r-- ./usr/share/doc/amahost/ctagent.md" "-rw-r--r-- ./lib/systemd/system/amahost.service" \
  "-rw-r--r-- ./etc/amahost/config.json" "-rw-r--r-- ./usr/share/amahost/changetracking-linux.json" \
  "-rw-r--r-- ./usr/share/amahost/logs-ingestion-example.json"; do
  grep -qxF -- "$entry" "$scratch/contents" || { cat "$scratch/contents"; fail "missing: $entry"; }
done
root="$scratch/root"
dpkg -x "$deb" "$root"
cmp "$root/lib/systemd/system/amahost.service" "$source/packaging/amahost.service"
cmp "$root/etc/amahost/config.json" "$source/packaging/config.json"
cmp "$root/usr/share/amahost/changetracking-linux.json" "$source/ama/data/changetracking-linux.json"
# Nothing points back into the build folder.
if readelf -d "$root/usr/bin/amahost" | grep -E 'RPATH|RUNPATH'; then fail "amahost has an rpath"; fi

echo "the installed binary"
[[ $("$root/usr/bin/amahost" --version) == "amahost $version" ]] ||
  fail "amahost --version: $("$root/usr/bin/amahost" --version)"
"$root/usr/bin/amactl" --help >/dev/null || fail "amactl --help"
"$root/usr/bin/mockcloud" --help >/dev/null || fail "mockcloud --help"
[[ $("$root/usr/bin/ctagent" --help) == "Usage: ctagent"* ]] || fail "ctagent --help"
# The packaged ctagent collects the unpacked root's own files, sending nothing.
cat >"$scratch/ct-settings.json" <<'END'
{"extensionConfigurations":[{"extensionSettings":{"enableSoftware":false,"enableServices":false,
 "fileSettings":{"fileInfo":[{"name":"deb","destinationPath":"/etc/.*.json"}]}},"outputStreams":{}}]}
END
"$root/usr/bin/ctagent" --once --dry-run --root "$root" --settings "$scratch/ct-settings.json" \
  --log-level warning >"$scratch/ct.ndjson" 2>"$scratch/ct.log" ||
  { cat "$scratch/ct.log"; fail "ctagent --dry-run on the unpacked root"; }
grep -q '"FileSystemPath":"/etc/amahost/config.json"' "$scratch/ct.ndjson" ||
  fail "ctagent did not see /etc/amahost/config.json: $(head -c 500 "$scratch/ct.ndjson")"

# On the packaged config, with the state folder and socket names of this test: the command line
# wins over the config's state-dir.
instance="deb$$"
"$root/usr/bin/amahost" --config "$root/etc/amahost/config.json" --state-dir "$scratch/state" \
  --instance "$instance" --no-upload >"$scratch/host.log" 2>&1 &
host_pid=$!
ready() {
  kill -0 "$host_pid" 2>/dev/null || { cat "$scratch/host.log"; fail "amahost exited"; }
  grep -q "is ready" "$scratch/host.log"
}
wait_until 30 ready || { cat "$scratch/host.log"; fail "amahost not ready within 30 s"; }
grep -q "@${instance}_CAgentStream_CloudAgentInfo_ChangeTracking-Linux_default_fluent.socket" \
  "$scratch/host.log" || { cat "$scratch/host.log"; fail "no ChangeTracking-Linux socket"; }
[[ -f $scratch/state/amahost.lock && -d $scratch/state/Tables ]] || fail "no state in $scratch/state"
kill -TERM "$host_pid"
status=0
wait "$host_pid" || status=$?
host_pid=
[[ $status == 0 ]] || { cat "$scratch/host.log"; fail "amahost exited $status after SIGTERM"; }
grep -q "stopped" "$scratch/host.log" || fail "no 'stopped' in the log"
echo "PASS: $(basename "$deb") installs and its amahost starts and stops"
