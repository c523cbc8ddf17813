"""A reference client for amahost's extension sockets (docs/protocol.md §3, docs/clients.md).

It does what an extension such as the Change Tracking agent does, and nothing more:

* finds the sockets: ``CAgentStream_CloudAgentInfo_<middle>_default_fluent.socket``, with the
  ``<instance>_`` prefix of a host started with ``--instance``, in the abstract namespace bound
  with the whole 108-byte NUL-padded ``sun_path`` (the host binds that padded name, so a client
  must connect with it too), or as files in a run folder (``--socket-mode path --run-dir DIR``);
* asks for its configuration: the AgentTaggedData JSON wrapped in one msgpack str, answered with
  plain JSON text (not msgpack);
* sends records in Fluent Forward mode, one message per chunk of at most ``max_chunk_records``,
  with option ``chunk`` when acks are wanted, and waits for ``{"ack": chunk}``;
* knows that acks have gaps: a message whose tag names no stream is dropped by the host and never
  acked, while acks of the others come in message order. So a chunk still waiting when a later
  chunk's ack arrives will never be acked (a *gap*); a chunk still waiting after ``ack_timeout``
  is reported as *timed out*. Neither makes ``send`` hang;
* reconnects with exponential backoff and full jitter when the host is not there yet or went
  away, and sends again every chunk not acked yet (delivery is at least once).

Only the standard library and msgpack (Debian's python3-msgpack) are needed. A Client is not
thread-safe: use one per thread.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import errno
import json
import os
import random
import socket
import struct
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgpack

SUN_PATH_BYTES = 108  # sizeof(sockaddr_un.sun_path) on Linux
DEFAULT_RUN_DIR = "/run/azuremonitoragent"
MAX_REPLY_BYTES = 4 * 1024 * 1024  # a config reply is a few KiB; refuse runaway input
MAX_ACK_BYTES = 64 * 1024  # an ack is {"ack": "<24-character chunk id>"}
# The host accepts msgpack nested 10 deep; the message, its entries and each entry take 3.
MAX_RECORD_DEPTH = 7
_NAME_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
# What a connect or a send meets while the host starts, restarts or stops.
_RETRYABLE = (ConnectionError, FileNotFoundError, TimeoutError)


class ConfigError(Exception):
    """The host answered the config request with ``Success: false``; the message says why."""


def _check_name(kind: str, name: str) -> None:
    # The host accepts 1-64 characters of [A-Za-z0-9._-] for both (pipes/socket_address.h).
    if not 1 <= len(name) <= 64 or not set(name) <= _NAME_CHARACTERS:
        raise ValueError(f"{kind} {name!r}: expected 1-64 characters of [A-Za-z0-9._-]")


def socket_name(middle: str, instance: str = "") -> str:
    """``[<instance>_]CAgentStream_CloudAgentInfo_<middle>_default_fluent.socket``.

    ``middle`` is ``config`` for the config socket or an extension name for its data socket.
    """
    _check_name("socket name part", middle)
    if instance:
        _check_name("instance", instance)
    prefix = f"{instance}_" if instance else ""
    return f"{prefix}CAgentStream_CloudAgentInfo_{middle}_default_fluent.socket"


def socket_address(name: str, socket_mode: str = "abstract",
                   run_dir: str = DEFAULT_RUN_DIR) -> bytes | str:
    """What to pass to ``socket.connect`` for the socket called ``name``.

    Abstract: a NUL, the name, then NULs up to the whole 108-byte sun_path, so the address length
    is sizeof(sockaddr_un) as when the host bound it (the unpadded name is another address and is
    refused). Path: ``run_dir/name``.
    """
    if socket_mode == "abstract":
        raw = b"\0" + name.encode("ascii")
        if len(raw) > SUN_PATH_BYTES:
            raise ValueError(f"socket name {name!r} is longer than {SUN_PATH_BYTES - 1} bytes")
        return raw.ljust(SUN_PATH_BYTES, b"\0")
    if socket_mode == "path":
        path = os.path.join(run_dir, name)
        if len(path.encode()) >= SUN_PATH_BYTES:
            raise ValueError(f"socket path {path!r} is longer than {SUN_PATH_BYTES - 1} bytes")
        return path
    raise ValueError(f"socket_mode {socket_mode!r}: expected 'abstract' or 'path'")


class Backoff:
    """Exponential backoff with full jitter: retry n waits uniform in [0, min(cap, base·2^n)]."""

    def __init__(self, base: float = 0.02, cap: float = 1.0) -> None:
        self.base, self.cap, self.attempt = base, cap, 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * (2 ** min(self.attempt, 30)))
        self.attempt += 1
        return random.uniform(0, ceiling)

    def reset(self) -> None:
        self.attempt = 0


class ChunkStatus(enum.Enum):
    ACKED = "acked"
    GAP = "gap"  # a later chunk was acked first: the host dropped this one (unknown tag)
    TIMED_OUT = "timed out"  # no ack within ack_timeout
    NOT_REQUESTED = "not requested"  # sent with ack=False


@dataclasses.dataclass
class ChunkResult:
    chunk: str
    tag: str
    records: int
    status: ChunkStatus


@dataclasses.dataclass
class SendResult:
    """What became of each chunk of one ``send``/``send_messages``, in the order sent."""

    chunks: list[ChunkResult]
    reconnects: int = 0

    @property
    def acked(self) -> list[str]:
        return [c.chunk for c in self.chunks if c.status is ChunkStatus.ACKED]

    @property
    def unacked(self) -> list[str]:
        """Chunks asked to be acked that were not: gaps and timeouts."""
        return [c.chunk for c in self.chunks
                if c.status in (ChunkStatus.GAP, ChunkStatus.TIMED_OUT)]

    @property
    def all_acked(self) -> bool:
        return all(c.status is ChunkStatus.ACKED for c in self.chunks)


def new_chunk_id() -> str:
    """Base64 of 16 random bytes, as fluentd makes them."""
    return base64.b64encode(os.urandom(16)).decode("ascii")


def event_time(seconds: float) -> msgpack.ExtType:
    """Fluent's EventTime (ext type 0: seconds and nanoseconds, 32-bit big-endian each)."""
    whole = int(seconds)
    return msgpack.ExtType(0, struct.pack(">II", whole, int((seconds - whole) * 1e9)))


def _depth(value: Any) -> int:
    if isinstance(value, Mapping):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, (list, tuple)):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def encode_forward(tag: str, records: Sequence[Mapping[str, Any]], chunk: str | None,
                   when: float) -> bytes:
    """One Forward-mode message: ``[tag, [[time, record]…], {"chunk": c, "size": n}]``.

    Raises ValueError for a record the host would refuse as malformed (and close the connection
    for): not a mapping, or nested deeper than MAX_RECORD_DEPTH."""
    if not tag:
        raise ValueError("empty tag")
    for record in records:
        if not isinstance(record, Mapping):
            raise ValueError(f"a record must be a mapping, not {type(record).__name__}")
        if _depth(record) > MAX_RECORD_DEPTH:
            raise ValueError(f"record nested deeper than {MAX_RECORD_DEPTH} levels")
    stamp = event_time(when)
    message: list[Any] = [tag, [[stamp, dict(r)] for r in records]]
    if chunk is not None:
        message.append({"chunk": chunk, "size": len(records)})
    return msgpack.packb(message, use_bin_type=True)


def json_object_end(data: bytes | bytearray) -> int:
    """The length of the JSON object that starts ``data``, or 0 while it is incomplete.

    The config reply is plain JSON with no length before it: count braces outside strings.
    """
    if not data:
        return 0
    if data[0:1] != b"{":
        raise ValueError(f"config reply does not start with '{{': {bytes(data[:40])!r}")
    depth, in_string, escape = 0, False, False
    for i, byte in enumerate(data):
        if in_string:
            if escape:
                escape = False
            elif byte == 0x5C:  # backslash
                escape = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte == 0x7B:
            depth += 1
        elif byte == 0x7D:
            depth -= 1
            if depth == 0:
                return i + 1
    return 0


class Client:
    """One extension's view of an amahost: its configuration and its data socket. ::

        client = Client("ChangeTracking-Linux", instance="mytest")
        streams = client.config()["extensionConfigurations"][0]["outputStreams"]
        assert client.send("CONFIG_CHANGE_BLOB_V2", [{"Computer": "vm1"}]).all_acked
    """

    def __init__(self, extension: str, *, instance: str = "", socket_mode: str = "abstract",
                 run_dir: str = DEFAULT_RUN_DIR, connect_timeout: float = 10.0,
                 ack_timeout: float = 5.0, max_chunk_records: int = 1000,
                 max_resends: int = 3) -> None:
        """``connect_timeout``: how long connects are retried (with backoff) before giving up;
        ``ack_timeout``: how long a chunk may wait for its ack after the last progress;
        ``max_resends``: how many times chunks are sent again after a lost connection."""
        _check_name("extension", extension)
        if max_chunk_records < 1:
            raise ValueError("max_chunk_records must be at least 1")
        self.extension = extension
        self.config_address = socket_address(socket_name("config", instance), socket_mode, run_dir)
        self.data_address = socket_address(socket_name(extension, instance), socket_mode, run_dir)
        self.connect_timeout = connect_timeout
        self.ack_timeout = ack_timeout
        self.max_chunk_records = max_chunk_records
        self.max_resends = max_resends
        self._sock: socket.socket | None = None
        self._backoff = Backoff()

    # -- connections -------------------------------------------------------------------------

    def _connect(self, address: bytes | str) -> socket.socket:
        """Connects, retrying with backoff for up to connect_timeout (the host may be starting)."""
        deadline = time.monotonic() + self.connect_timeout
        self._backoff.reset()
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(address)
                return sock
            except _RETRYABLE as error:
                sock.close()
                delay = self._backoff.next_delay()
                if time.monotonic() + delay > deadline:
                    raise ConnectionError(
                        f"cannot connect to {_display(address)} for {self.connect_timeout} s: "
                        f"{error}") from error
                time.sleep(delay)  # backoff between attempts, not synchronisation

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- configuration -----------------------------------------------------------------------

    def config_reply(self) -> dict[str, Any]:
        """The whole AgentTaggedData reply, as a dict (``TaggedData`` still a JSON string)."""
        request_id = str(uuid.uuid4())
        request = json.dumps({"Request": "AgentTaggedData", "RequestId": request_id,
                              "Tag": self.extension, "Version": "1"})
        with self._connect(self.config_address) as sock:
            sock.settimeout(self.ack_timeout)
            sock.sendall(msgpack.packb(request))  # the JSON text as one msgpack str
            buffer = bytearray()
            while not (end := json_object_end(buffer)):
                data = sock.recv(65536)
                if not data:
                    raise ConnectionError("the host closed the config socket before replying")
                buffer += data
                if len(buffer) > MAX_REPLY_BYTES:
                    raise ValueError(f"config reply larger than {MAX_REPLY_BYTES} bytes")
        reply = json.loads(buffer[:end])
        if reply.get("RequestId") != request_id:
            raise ValueError(f"config reply for another request: {reply.get('RequestId')!r}")
        return reply

    def config(self) -> dict[str, Any]:
        """The extension's TaggedData (extensionConfigurations, outputStreamDefinitions…).

        Raises ConfigError with the host's Description when it answers Success: false.
        """
        reply = self.config_reply()
        if not reply.get("Success"):
            raise ConfigError(reply.get("Description") or "Success: false")
        return json.loads(reply["TaggedData"])

    # -- records -----------------------------------------------------------------------------

    def send(self, stream: str, records: Sequence[Mapping[str, Any]], *, ack: bool = True,
             when: float | None = None) -> SendResult:
        """Sends ``records`` for ``stream`` (a stream id, or a bare DATATYPE of this extension),
        ``max_chunk_records`` per message, and with ``ack`` waits for each chunk's fate."""
        n = self.max_chunk_records
        return self.send_messages([(stream, records[i:i + n]) for i in range(0, len(records), n)],
                                  ack=ack, when=when)

    def send_messages(self, messages: Iterable[tuple[str, Sequence[Mapping[str, Any]]]], *,
                      ack: bool = True, when: float | None = None) -> SendResult:
        """Sends one Forward message per (tag, records), all before the first ack is read."""
        stamp = time.time() if when is None else when
        chunks, payloads = [], []
        for tag, records in messages:
            chunk = new_chunk_id()
            chunks.append(ChunkResult(chunk, tag, len(records), ChunkStatus.NOT_REQUESTED))
            payloads.append(encode_forward(tag, records, chunk if ack else None, stamp))
        result = SendResult(chunks)
        waiting = list(range(len(chunks)))  # indexes still waiting for their fate, in order
        while waiting:
            if self._sock is None:
                self._sock = self._connect(self.data_address)  # gives up after connect_timeout
            try:
                self._sock.settimeout(self.ack_timeout)  # a host that stops reading for so long
                for i in waiting:
                    self._sock.sendall(payloads[i])
                if not ack:
                    return result
                self._read_acks(result, waiting)
            except _RETRYABLE as error:
                # The host went away (restart, stop) before every ack came: send the rest again.
                self.close()
                result.reconnects += 1
                if result.reconnects > self.max_resends:
                    raise ConnectionError(f"lost the connection {result.reconnects} times; "
                                          f"{len(waiting)} chunks not acked: {error}") from error
        return result

    def _read_acks(self, result: SendResult, waiting: list[int]) -> None:
        """Reads acks until every chunk in ``waiting`` is acked, a gap or timed out. Removes the
        chunks settled from ``waiting``; raises ConnectionError when the host closes."""
        assert self._sock is not None
        by_id = {result.chunks[i].chunk: i for i in waiting}
        unpacker = msgpack.Unpacker(raw=False, max_buffer_size=MAX_ACK_BYTES)
        deadline = time.monotonic() + self.ack_timeout
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                for i in waiting:
                    result.chunks[i].status = ChunkStatus.TIMED_OUT
                waiting.clear()
                return
            self._sock.settimeout(left)
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                continue
            if not data:
                raise ConnectionResetError("the host closed the connection before every ack")
            unpacker.feed(data)
            for reply in unpacker:
                if not isinstance(reply, dict) or not isinstance(reply.get("ack"), str):
                    raise ValueError(f"not an ack: {reply!r}")
                index = by_id.get(reply["ack"])
                if index is None or index not in waiting:
                    continue  # an ack of a chunk settled before a reconnect
                # Acks come in message order: every chunk sent before this one and still
                # waiting was dropped by the host (its tag names no stream).
                position = waiting.index(index)
                for earlier in waiting[:position]:
                    result.chunks[earlier].status = ChunkStatus.GAP
                result.chunks[index].status = ChunkStatus.ACKED
                del waiting[:position + 1]
                deadline = time.monotonic() + self.ack_timeout


def _display(address: bytes | str) -> str:
    """``@name`` for an abstract address (as ``ss -x`` shows it), else the path."""
    if isinstance(address, bytes):
        return "@" + address[1:].rstrip(b"\0").decode("ascii", "replace") + " (padded)"
    return address
