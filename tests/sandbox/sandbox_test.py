#!/usr/bin/env python3
"""An extension author's Python test suite on amactl sandbox, as docs/extension-authors.md shows:
up, send with the reference client (clients/python/amahost_client.py), assert with amactl items,
and down leaves no process and no folder. Needs AMACTL, AMAHOST_BIN and MOCKCLOUD_BIN (CMake
sets them) and python3-msgpack (exit 77, a skip, without it)."""

import json
import os
import subprocess
import sys
import unittest

try:
    import amahost_client
except ImportError as error:  # python3-msgpack missing: scripts/install-deps installs it
    print(f"SKIP: {error} (scripts/install-deps installs python3-msgpack)")
    sys.exit(77)

AMACTL = os.environ["AMACTL"]


def amactl(*args, sandbox=None, check=True):
    env = dict(os.environ)
    if sandbox is not None:
        env.update(MOCKCLOUD_URL=sandbox["mockcloud"]["url"],
                   MOCKCLOUD_CA=sandbox["mockcloud"]["caFile"],
                   AMAHOST_INSTANCE=sandbox["instance"])
    return subprocess.run([AMACTL, *args], capture_output=True, text=True, timeout=120,
                          check=check, env=env)


def running(pid):
    """True while `pid` runs (a zombie waiting for its adopter does not count)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class SandboxSuite(unittest.TestCase):
    def test_up_send_items_down(self):
        up = amactl("sandbox", "up", "--extension", "Contoso-Linux", "--stream", "CONTOSO_EVENTS",
                    "--stream", "CONTOSO_AUDIT", "--json")
        sandbox = json.loads(up.stdout)
        try:
            self.assertTrue(running(sandbox["host"]["pid"]))
            self.assertTrue(running(sandbox["mockcloud"]["pid"]))
            self.assertEqual(sandbox["socketPaddedLength"], 108)
            [extension] = sandbox["extensions"]
            self.assertEqual(extension["dataSocket"],
                             f"@{sandbox['instance']}_CAgentStream_CloudAgentInfo_Contoso-Linux"
                             "_default_fluent.socket")

            client = amahost_client.Client("Contoso-Linux", instance=sandbox["instance"])
            streams = client.config()["extensionConfigurations"][0]["outputStreams"]
            self.assertEqual(sorted(streams), ["CONTOSO_AUDIT", "CONTOSO_EVENTS"])
            events = [{"Event": "start", "N": n} for n in range(1, 101)]
            self.assertTrue(client.send("CONTOSO_EVENTS", events).all_acked)

            # A chunk with a tag of no stream is never acked; the ones around it are.
            result = client.send_messages([("CONTOSO_AUDIT", [{"User": "root"}]),
                                           ("CONTOSO_TYPO", [{"User": "lost"}]),
                                           ("CONTOSO_AUDIT", [{"User": "alice"}])])
            self.assertEqual(len(result.acked), 2)
            self.assertEqual(len(result.unacked), 1)
            client.close()

            items = amactl("items", "--data-type", "CONTOSO_EVENTS", "--count", "100",
                           "--timeout", "30", "--json", sandbox=sandbox)
            self.assertEqual(json.loads(items.stdout), {"count": 100, "items": events})
            audit = amactl("items", "--data-type", "CONTOSO_AUDIT", "--count", "2", "--timeout",
                           "30", "--json", sandbox=sandbox)
            self.assertEqual(json.loads(audit.stdout)["items"], [{"User": "root"},
                                                                  {"User": "alice"}])
            # The host counted the stray chunk's record as unknown_stream.
            status = json.loads(amactl("status", "--json", sandbox=sandbox).stdout)
            self.assertEqual(status["counters"]["dropped"]["unknown_stream"], 1)
        finally:
            down = amactl("sandbox", "down", "--dir", sandbox["dir"], check=False)
        self.assertEqual(down.returncode, 0, down.stderr)
        self.assertFalse(os.path.exists(sandbox["dir"]))
        self.assertFalse(running(sandbox["host"]["pid"]))
        self.assertFalse(running(sandbox["mockcloud"]["pid"]))


if __name__ == "__main__":
    unittest.main()
