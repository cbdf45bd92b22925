"""A Python client of tutti's protocol v1 (docs/PROTOCOL.md): numpy arrays in and out.

One I/O thread owns the ZeroMQ sockets (they are not thread-safe); callers hand it requests and get
concurrent.futures.Future objects back, so any number of requests can be in flight. Like the
TypeScript client it takes replies straight from the combiner when the server offers that (a second
DEALER with the same `tutti-` routing id), and it re-sends, under the same id, what a dropped
connection may have lost once the connection is back (at most `tries` sends, with the time left as
timeout_ms). Needs pyzmq, msgpack and numpy (Debian: python3-zmq python3-msgpack python3-numpy).

    from tutti_client import TuttiClient
    with TuttiClient("tcp://127.0.0.1:5555") as client:
        result = client.infer({"pixels": np.zeros((1, 64), dtype=np.float32)})
        print(result.outputs["probabilities"])
"""
from __future__ import annotations

import re
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Optional

import msgpack
import numpy as np
import zmq
from zmq.utils.monitor import recv_monitor_message

__all__ = ["TuttiClient", "TuttiError", "InferResult"]

DATATYPES = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
    "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
    "FP16": np.float16, "FP32": np.float32, "FP64": np.float64,
}
DATATYPE_OF = {np.dtype(dtype): name for name, dtype in DATATYPES.items()}


class TuttiError(Exception):
    """An error reply from the server (code as in PROTOCOL.md), or DEADLINE_EXCEEDED / UNAVAILABLE from the client."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class InferResult:
    id: int
    model_name: str
    outputs: dict[str, np.ndarray]
    members: Optional[dict[str, dict[str, np.ndarray]]] = None
    batch_id: Optional[int] = None
    batch_size: Optional[int] = None
    members_used: Optional[list[str]] = None
    # From a cascade: the stage that answered (0-based) and its exit score.
    exit_stage: Optional[int] = None
    confidence: Optional[float] = None


def to_wire(name: str, array: np.ndarray) -> dict:
    array = np.ascontiguousarray(array)
    datatype = DATATYPE_OF.get(array.dtype.newbyteorder("<"))  # big-endian arrays too: sent little-endian below
    if datatype is None:
        raise TypeError(f"input {name!r}: dtype {array.dtype} has no tutti datatype; use one of {sorted(DATATYPES)}")
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return {"name": name, "datatype": datatype, "shape": list(array.shape), "data": little.tobytes()}


def from_wire(tensor: dict) -> np.ndarray:
    dtype = np.dtype(DATATYPES[tensor["datatype"]]).newbyteorder("<")
    return np.frombuffer(tensor["data"], dtype=dtype).reshape(tensor["shape"]).copy()


def direct_reply_endpoint(request_endpoint: str, advertised: str) -> str:
    """The host this client reached the server by, the port the server advertised (PROTOCOL.md)."""
    own = re.match(r"^tcp://(.+):[^:]+$", request_endpoint)
    port = re.match(r"^tcp://.+:(\d+)$", advertised)
    return f"tcp://{own.group(1)}:{port.group(1)}" if own and port else advertised


@dataclass
class _Pending:
    message: dict
    future: Future
    deadline: float  # time.monotonic() at which the request's own timeout ends
    wait_until: float  # when the client gives up waiting (a little after the deadline)
    sends_left: int
    wait_s: float
    generation: int = 0
    retry_at: Optional[float] = None


@dataclass
class ReplyCounts:
    resent: int = 0
    duplicates: int = 0
    late: int = 0
    unknown: int = 0


class TuttiClient:
    def __init__(self, endpoint: str, timeout: float = 30.0, direct_replies: bool = True,
                 curve: Optional[dict] = None, tries: int = 3, per_try_timeout: Optional[float] = None):
        """`curve`: {"server_public_key", "public_key", "secret_key"} as Z85 text (from `tutti keys`)."""
        if timeout <= 0:
            raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
        if tries < 1:
            raise ValueError(f"tries must be >= 1, got {tries!r}")
        self.endpoint = endpoint
        self.timeout = timeout
        self.reply_counts = ReplyCounts()
        self._tries = tries
        self._per_try = per_try_timeout
        self._curve = curve
        self._routing_id = f"tutti-{uuid.uuid4()}".encode()
        self._context = zmq.Context()
        self._inbox: list[tuple[int, dict, float]] = []
        self._inbox_lock = threading.Lock()
        self._wake_address = f"inproc://tutti-client-{id(self)}"
        self._wake_receiver = self._context.socket(zmq.PAIR)
        self._wake_receiver.bind(self._wake_address)
        self._wake_sender = self._context.socket(zmq.PAIR)
        self._wake_sender.connect(self._wake_address)
        self._wake_lock = threading.Lock()
        self._next_id = 1
        self._id_lock = threading.Lock()
        self._closed = False
        self._want_direct = direct_replies
        self._thread = threading.Thread(target=self._run, name="tutti-client-io", daemon=True)
        self._ready = threading.Event()
        self._thread.start()
        self._ready.wait()
        self.direct_replies = False
        if direct_replies:
            try:
                advertised = self.metadata(timeout=min(timeout, 10.0)).get("replies")
            except TuttiError:
                advertised = None
            if advertised:
                self._submit_control(("direct", direct_reply_endpoint(endpoint, advertised)))
                self.direct_replies = True

    # -- public API -------------------------------------------------------------------------------

    def infer_async(self, inputs: dict[str, np.ndarray], members: bool = False, partial: bool = False,
                    timeout: Optional[float] = None, accuracy_target: Optional[float] = None,
                    cascade: bool = True) -> Future:
        timeout = self.timeout if timeout is None else timeout
        parameters: dict[str, Any] = {"timeout_ms": max(1, round(timeout * 1000))}
        if members:
            parameters["members"] = True
        if partial:
            parameters["partial"] = True
        # With a cascade: exit at the first stage whose calibrated accuracy meets the target; cascade=False runs every member.
        if accuracy_target is not None:
            parameters["accuracy_target"] = float(accuracy_target)
        if not cascade:
            parameters["cascade"] = False
        message = {"op": "infer", "inputs": [to_wire(name, array) for name, array in inputs.items()], "parameters": parameters}
        outer: Future = Future()
        inner = self._request(message, timeout)
        inner.add_done_callback(lambda f: _chain(f, outer, _infer_result))
        return outer

    def infer(self, inputs: dict[str, np.ndarray], **options) -> InferResult:
        return self.infer_async(inputs, **options).result()

    def metadata(self, timeout: Optional[float] = None) -> dict:
        return self._request({"op": "metadata"}, self.timeout if timeout is None else timeout).result()

    def health(self) -> dict:
        return self._request({"op": "health"}, self.timeout).result()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._submit_control(("close", None))
        self._thread.join()
        self._wake_sender.close(linger=0)
        self._context.term()

    def __enter__(self) -> "TuttiClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- caller side --------------------------------------------------------------------------------

    def _request(self, message: dict, timeout: float) -> Future:
        if self._closed:
            raise TuttiError("UNAVAILABLE", "client is closed")
        with self._id_lock:
            request_id = self._next_id
            self._next_id += 1
        future: Future = Future()
        with self._inbox_lock:
            self._inbox.append((request_id, {"message": message, "future": future}, timeout))
        self._wake()
        return future

    def _submit_control(self, command: tuple) -> None:
        with self._inbox_lock:
            self._inbox.append((0, {"control": command}, 0.0))
        self._wake()

    def _wake(self) -> None:
        with self._wake_lock:
            self._wake_sender.send(b"", zmq.NOBLOCK)

    # -- I/O thread ---------------------------------------------------------------------------------

    def _socket(self, endpoint: str) -> tuple[zmq.Socket, zmq.Socket]:
        socket = self._context.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.ROUTING_ID, self._routing_id)
        if self._curve:
            socket.curve_serverkey = self._curve["server_public_key"].encode()
            socket.curve_publickey = self._curve["public_key"].encode()
            socket.curve_secretkey = self._curve["secret_key"].encode()
        monitor = socket.get_monitor_socket(zmq.EVENT_CONNECTED | zmq.EVENT_DISCONNECTED)
        socket.connect(endpoint)
        return socket, monitor

    def _run(self) -> None:
        pending: dict[int, _Pending] = {}
        settled: dict[int, str] = {}
        generation = 0
        requests, requests_monitor = self._socket(self.endpoint)
        sockets = [requests]
        monitors = [requests_monitor]
        poller = zmq.Poller()
        for s in (self._wake_receiver, requests, requests_monitor):
            poller.register(s, zmq.POLLIN)
        self._ready.set()

        def send(request_id: int, entry: _Pending) -> None:
            entry.sends_left -= 1
            entry.generation = generation
            entry.retry_at = time.monotonic() + self._per_try if self._per_try and entry.sends_left > 0 else None
            message = dict(entry.message)
            if "parameters" in message and "timeout_ms" in message["parameters"]:
                left = entry.deadline - time.monotonic()
                message["parameters"] = {**message["parameters"], "timeout_ms": max(1, round(left * 1000))}
            requests.send(msgpack.packb({"id": request_id, **message}, use_bin_type=True))

        def resend(request_id: int, entry: _Pending) -> None:
            if entry.sends_left <= 0 or entry.deadline - time.monotonic() < 0.005:
                return
            self.reply_counts.resent += 1
            send(request_id, entry)

        def finish(request_id: int, how: str) -> None:
            pending.pop(request_id, None)
            settled[request_id] = how
            if len(settled) > 65536:
                settled.pop(next(iter(settled)))

        running = True
        while running:
            now = time.monotonic()
            next_timer = min([e.wait_until for e in pending.values()] + [e.retry_at for e in pending.values() if e.retry_at] + [now + 1.0])
            events = dict(poller.poll(max(0, int((next_timer - now) * 1000)) + 1))
            if self._wake_receiver in events:
                while True:
                    try:
                        self._wake_receiver.recv(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                with self._inbox_lock:
                    inbox, self._inbox = self._inbox, []
                for request_id, item, timeout in inbox:
                    if "control" in item:
                        kind, argument = item["control"]
                        if kind == "close":
                            running = False
                        elif kind == "direct":
                            direct, direct_monitor = self._socket(argument)
                            sockets.append(direct)
                            monitors.append(direct_monitor)
                            poller.register(direct, zmq.POLLIN)
                            poller.register(direct_monitor, zmq.POLLIN)
                        continue
                    start = time.monotonic()
                    # The server answers at timeout_ms; the client waits a little longer so that answer comes first.
                    wait = timeout + max(0.1, timeout * 0.1)
                    entry = _Pending(item["message"], item["future"], start + timeout, start + wait, self._tries, wait)
                    pending[request_id] = entry
                    send(request_id, entry)
            for monitor in monitors:
                if monitor in events:
                    event = recv_monitor_message(monitor)["event"]
                    if event == zmq.EVENT_DISCONNECTED:
                        generation += 1
                    elif event == zmq.EVENT_CONNECTED:
                        # A dropped connection may have lost what went out before it: send that again.
                        for request_id, entry in list(pending.items()):
                            if entry.generation < generation:
                                resend(request_id, entry)
            for socket in sockets:
                if socket not in events:
                    continue
                while True:
                    try:
                        frames = socket.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    try:
                        reply = msgpack.unpackb(frames[-1], raw=False)
                    except Exception:
                        continue
                    request_id = reply.get("id") if isinstance(reply, dict) else None
                    entry = pending.get(request_id) if isinstance(request_id, int) else None
                    if entry is None:
                        before = settled.get(request_id) if isinstance(request_id, int) else None
                        if before == "answered":
                            self.reply_counts.duplicates += 1
                        elif before == "timed-out":
                            self.reply_counts.late += 1
                        else:
                            self.reply_counts.unknown += 1
                        continue
                    finish(request_id, "answered")
                    if "error" in reply:
                        entry.future.set_exception(TuttiError(reply["error"].get("code", "INTERNAL"), reply["error"].get("message", "")))
                    else:
                        entry.future.set_result(reply)
            now = time.monotonic()
            for request_id, entry in list(pending.items()):
                if now >= entry.wait_until:
                    finish(request_id, "timed-out")
                    entry.future.set_exception(TuttiError("DEADLINE_EXCEEDED", f"no reply from {self.endpoint} within {entry.wait_s * 1000:.0f} ms (request {request_id})"))
                elif entry.retry_at is not None and now >= entry.retry_at:
                    resend(request_id, entry)
        for request_id, entry in pending.items():
            entry.future.set_exception(TuttiError("UNAVAILABLE", "client closed with the request in flight"))
        for s in sockets + monitors + [self._wake_receiver]:
            s.close(linger=0)


def _infer_result(reply: dict) -> InferResult:
    parameters = reply.get("parameters") or {}
    members = reply.get("members")
    return InferResult(
        id=reply["id"],
        model_name=reply.get("model_name", ""),
        outputs={t["name"]: from_wire(t) for t in reply["outputs"]},
        members={name: {t["name"]: from_wire(t) for t in tensors} for name, tensors in members.items()} if members else None,
        batch_id=parameters.get("batch_id"),
        batch_size=parameters.get("batch_size"),
        members_used=parameters.get("members_used"),
        exit_stage=parameters.get("exit_stage"),
        confidence=parameters.get("confidence"),
    )


def _chain(inner: Future, outer: Future, convert) -> None:
    error = inner.exception()
    if error is not None:
        outer.set_exception(error)
        return
    try:
        outer.set_result(convert(inner.result()))
    except Exception as conversion_error:  # a reply the client cannot read
        outer.set_exception(conversion_error)
