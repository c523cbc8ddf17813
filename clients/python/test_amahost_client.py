"""Tests of amahost_client.py against a real amahost (ctest -L clients).

Each test class starts its own host on a unique --instance in a temporary folder, on the bundled
Change Tracking DCR and with --no-upload, so nothing but the sockets is involved. The host binary
comes from $AMAHOST_BINARY (ctest sets it) or build/ama/amahost.

Exits 77 (ctest's "skipped") when msgpack is missing: `apt-get install python3-msgpack`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

try:
    import msgpack  # noqa: F401  (the client's one dependency)
except ImportError:
    print("SKIP: python3-msgpack is not installed (apt-get install python3-msgpack)")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import amahost_client  # noqa: E402
from amahost_client import ChunkStatus, Client, ConfigError  # noqa: E402

EXTENSION = "ChangeTracking-Linux"  # the bundled DCR's extension and two of its streams
CHANGE = "CONFIG_CHANGE_BLOB_V2"
DATA = "CONFIG_DATA_BLOB_V2"
HOST = os.environ.get("AMAHOST_BINARY") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "ama", "amahost")


class Host:
    """One amahost process on its own instance name and state folder."""

    def __init__(self, folder: str, instance: str, *extra: str) -> None:
        self.folder, self.instance, self.extra = folder, instance, extra
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(os.path.join(self.folder, f"amahost.{self.starts}.log"), "wb")
        with log:
            self.process = subprocess.Popen(
                [HOST, "--instance", self.instance, "--state-dir",
                 os.path.join(self.folder, "state"), "--no-upload", *self.extra],
                stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        """SIGTERM, then wait for the graceful exit (bounded)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def log(self) -> str:
        with open(os.path.join(self.folder, f"amahost.{self.starts}.log"), "rb") as f:
            return f.read().decode(errors="replace")


def unique_instance(tag: str) -> str:
    return f"py{os.getpid()}{tag}"


def records(n: int, start: int = 0) -> list[dict[str, object]]:
    return [{"Computer": "py-vm", "ConfigChangeType": "Software", "Sequence": start + i}
            for i in range(n)]


class FramingTest(unittest.TestCase):
    """The pure parts: reply framing, addresses, the Forward message. No host."""

    def test_json_object_end_counts_braces_outside_strings(self) -> None:
        end = amahost_client.json_object_end
        reply = b'{"a":"}{\\\"","b":{"c":[1]}}'
        self.assertEqual(end(reply), len(reply))
        self.assertEqual(end(reply + b'{"next"'), len(reply))
        for cut in range(len(reply)):
            self.assertEqual(end(reply[:cut]), 0, cut)  # incomplete: read more
        with self.assertRaises(ValueError):
            end(b"\xa5hello")  # a msgpack reply is not what the host sends

    def test_path_addresses_must_fit_sun_path(self) -> None:
        self.assertEqual(amahost_client.socket_address("x.socket", "path", "/run/d"),
                         "/run/d/x.socket")
        with self.assertRaises(ValueError):
            amahost_client.socket_address("x" * 100, "path", "/run/azuremonitoragent")

    def test_forward_message_with_chunk_and_size(self) -> None:
        payload = amahost_client.encode_forward("T", [{"k": "v"}], "c1", 1700000000.5)
        tag, entries, options = msgpack.unpackb(payload, raw=False)
        self.assertEqual((tag, options), ("T", {"chunk": "c1", "size": 1}))
        self.assertEqual(entries[0][0].code, 0)  # EventTime
        self.assertEqual(entries[0][0].data, bytes.fromhex("6553f1001dcd6500"))
        self.assertEqual(entries[0][1], {"k": "v"})
        self.assertEqual(len(msgpack.unpackb(
            amahost_client.encode_forward("T", [{}], None, 0), raw=False)), 2)


class AbstractSocketTest(unittest.TestCase):
    """The default: abstract sockets with an instance prefix, padded to the whole sun_path."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.folder = tempfile.TemporaryDirectory(prefix="amahost-pyclient-")
        cls.host = Host(cls.folder.name, unique_instance("a"))
        cls.host.start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.host.stop()
        cls.folder.cleanup()

    def client(self, **options: object) -> Client:
        client = Client(EXTENSION, instance=self.host.instance, **options)
        self.addCleanup(client.close)
        return client

    def test_address_is_padded_to_the_whole_sun_path(self) -> None:
        address = self.client().config_address
        self.assertEqual(len(address), amahost_client.SUN_PATH_BYTES)
        name = f"{self.host.instance}_CAgentStream_CloudAgentInfo_config_default_fluent.socket"
        self.assertEqual(address, (b"\0" + name.encode()).ljust(108, b"\0"))

    def test_config_reply(self) -> None:
        reply = self.client().config_reply()
        self.assertTrue(reply["Success"], reply)
        self.assertEqual(reply["Request"], "AgentTaggedData")
        tagged = self.client().config()
        self.assertEqual(tagged["extensionName"], EXTENSION)
        streams = tagged["extensionConfigurations"][0]["outputStreams"]
        self.assertIn(CHANGE, streams)
        self.assertIn(DATA, streams)
        # namedPipe of each output stream is this extension's data socket, as `ss -x` shows it.
        pipe = tagged["outputStreamDefinitions"][streams[CHANGE]]["namedPipe"]
        self.assertEqual(pipe, "@" + amahost_client.socket_name(EXTENSION, self.host.instance))

    def test_unknown_extension_is_a_config_error(self) -> None:
        client = Client("No-Such-Extension", instance=self.host.instance)
        with self.assertRaises(ConfigError) as raised:
            client.config()
        self.assertIn("No-Such-Extension", str(raised.exception))

    def test_records_are_acked(self) -> None:
        client = self.client(max_chunk_records=2)
        stream_id = client.config()["extensionConfigurations"][0]["outputStreams"][DATA]
        result = client.send(CHANGE, records(5))
        self.assertEqual(len(result.chunks), 3)  # 2 + 2 + 1 records
        self.assertTrue(result.all_acked, result)
        self.assertEqual([c.records for c in result.chunks], [2, 2, 1])
        # A full stream id works as well as the bare DATATYPE.
        self.assertTrue(client.send(stream_id, records(1)).all_acked)

    def test_unknown_tag_is_a_gap_and_later_chunks_are_acked(self) -> None:
        client = self.client(ack_timeout=5.0)
        started = time.monotonic()
        result = client.send_messages(
            [(CHANGE, records(1)), ("NO_SUCH_STREAM", records(2)), (CHANGE, records(1, 1)),
             (DATA, records(1, 2))])
        self.assertEqual([c.status for c in result.chunks],
                         [ChunkStatus.ACKED, ChunkStatus.GAP, ChunkStatus.ACKED,
                          ChunkStatus.ACKED])
        self.assertEqual(result.unacked, [result.chunks[1].chunk])
        # The gap is known from the order of the acks, without waiting for ack_timeout.
        self.assertLess(time.monotonic() - started, 4.0)

    def test_a_last_chunk_with_an_unknown_tag_times_out(self) -> None:
        client = self.client(ack_timeout=0.5)
        result = client.send_messages([(CHANGE, records(1)), ("NO_SUCH_STREAM", records(1))])
        self.assertEqual([c.status for c in result.chunks],
                         [ChunkStatus.ACKED, ChunkStatus.TIMED_OUT])
        # The connection still works afterwards.
        self.assertTrue(client.send(CHANGE, records(1)).all_acked)

    def test_records_nested_as_deep_as_the_host_takes(self) -> None:
        deep: dict[str, object] = {"a": 1}
        for _ in range(amahost_client.MAX_RECORD_DEPTH - 1):
            deep = {"n": deep}
        client = self.client()
        self.assertTrue(client.send(CHANGE, [deep]).all_acked)
        # One level more would be malformed to the host, which closes the connection for it.
        with self.assertRaises(ValueError):
            client.send(CHANGE, [{"n": deep}])
        with self.assertRaises(ValueError):
            client.send(CHANGE, ["not a record"])  # type: ignore[list-item]

    def test_without_acks_nothing_is_waited_for(self) -> None:
        result = self.client().send(CHANGE, records(3), ack=False)
        self.assertEqual([c.status for c in result.chunks], [ChunkStatus.NOT_REQUESTED])

    def test_bad_names_are_refused(self) -> None:
        for name in ("", "has space", "a/b", "x" * 65):
            with self.assertRaises(ValueError):
                Client(name)
        with self.assertRaises(ValueError):
            Client(EXTENSION, instance="bad instance")
        with self.assertRaises(ValueError):
            Client(EXTENSION, socket_mode="tcp")


class RestartTest(unittest.TestCase):
    """A client keeps working across a host restart: it reconnects with backoff and resends."""

    def test_reconnects_after_the_host_restarts(self) -> None:
        with tempfile.TemporaryDirectory(prefix="amahost-pyclient-") as folder:
            host = Host(folder, unique_instance("r"))
            host.start()
            try:
                with Client(EXTENSION, instance=host.instance, connect_timeout=15) as client:
                    # The first connect may race the host's start: the backoff covers it.
                    self.assertTrue(client.send(CHANGE, records(2)).all_acked)
                    host.stop()
                    host.start()
                    result = client.send(CHANGE, records(2, 2))
                    self.assertTrue(result.all_acked, result)
                    self.assertGreaterEqual(result.reconnects, 1)
            finally:
                host.stop()


class PathSocketTest(unittest.TestCase):
    """--socket-mode path: the same names, as files in the run folder."""

    def test_config_and_records_over_path_sockets(self) -> None:
        # sun_path holds 107 bytes and the extension's socket name alone takes 70 of them.
        with tempfile.TemporaryDirectory(prefix="ac", dir="/tmp") as folder:
            run_dir = folder
            host = Host(folder, unique_instance("p"), "--socket-mode", "path", "--run-dir",
                        run_dir)
            host.start()
            try:
                with Client(EXTENSION, instance=host.instance, socket_mode="path",
                            run_dir=run_dir) as client:
                    self.assertEqual(client.config()["extensionName"], EXTENSION)
                    self.assertTrue(client.send(DATA, records(3)).all_acked)
            finally:
                host.stop()


if __name__ == "__main__":
    if not os.access(HOST, os.X_OK):
        print(f"amahost not found at {HOST}: set AMAHOST_BINARY", file=sys.stderr)
        sys.exit(2)
    unittest.main(verbosity=2)
