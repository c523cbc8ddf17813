#!/usr/bin/env bash
# What one full ctagent collection costs: this machine's dpkg packages and systemd unit files plus
# a tree of 10,000 files (100 folders of 100 `.conf` files of ~1 KiB) matched by the DCR's
# /etc/.*.conf pattern. Runs `ctagent --once --dry-run` on a fixture root built from them and
# prints the wall time, the peak RSS and how many records it printed.
#   bench/ctagent_collection.sh [path/to/ctagent]     (default build/tools/ctagent/ctagent)
set -euo pipefail
cd "$(dirname "$0")/.."
ctagent=${1:-build/tools/ctagent/ctagent}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/var/lib/dpkg" "$root/lib/systemd" "$root/etc/systemd"
cp /var/lib/dpkg/status "$root/var/lib/dpkg/status"
cp -r /lib/systemd/system "$root/lib/systemd/system" 2>/dev/null || true
cp -r /etc/systemd/system "$root/etc/systemd/system" 2>/dev/null || true
python3 - "$root/etc/tree" <<'END'
import os, sys
for d in range(100):
    folder = os.path.join(sys.argv[1], f"d{d}")
    os.makedirs(folder)
    for f in range(100):
        with open(os.path.join(folder, f"f{f}.conf"), "wb") as out:
            out.write(os.urandom(768).hex().encode()[:1000] + b"\n")
END
# The bundled DCR's settings with room for the whole tree (maxOutputSize is per fileInfo entry).
cat > "$root/settings.json" <<'END'
{"extensionConfigurations":[{"extensionSettings":{"enableFiles":true,"enableSoftware":true,
 "enableServices":true,"enableInventory":true,
 "fileSettings":{"fileInfo":[{"name":"bench","enabled":true,"destinationPath":"/etc/.*.conf",
   "recurse":true,"links":"Follow","maxOutputSize":100000000}]}},
 "outputStreams":{}}]}
END
/usr/bin/time -f "%e s wall, %U s user, %S s system, peak RSS %M KiB" \
  "$ctagent" --once --dry-run --root "$root" --settings "$root/settings.json" \
  --state-dir "$root/state" --log-level warning > "$root/records.ndjson"
echo "$(wc -l < "$root/records.ndjson") records ($(grep -c '"ConfigDataType":"Files"' "$root/records.ndjson") files)"
