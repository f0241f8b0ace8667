"""A ``PoolClient`` worker process: one :class:`Adapter` behind a pipe, one request at a time.

Messages are tuples. The client sends ``(CALL | STREAM, id, tool, payload, routing
session)`` or ``(SNAPSHOT, id)``, one request at a time (it queues the others itself);
while a stream runs, ``(CREDIT, id, items, nbytes)`` and ``(CANCEL, id)``; finally
``None`` (stop). The worker answers ``(READY, 0, pid)`` once, then ``(ITEM, id, item)``
for each streamed item and ``(DONE, id, response, held)`` for every request, ``held``
being how many refs the routing session now holds here (``None``: no routing session;
``response`` is ``None`` for a cancelled stream).

Backpressure: a stream sends at most ``WINDOW_ITEMS`` items or ``WINDOW_BYTES`` bytes
(at least one item) that the caller has not yet credited back, then waits for credit,
so a slow callback holds the generator instead of filling the caller's memory.

The worker ends with its parent: ``PR_SET_PDEATHSIG`` on Linux (delivered even while
target code is busy in C), and a watch thread everywhere (``os.getppid`` changes).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any, Final

from runtime.adapter import Adapter, Helper, Response
from runtime.registry import RegistryLimits

CALL: Final = "call"
STREAM: Final = "stream"
SNAPSHOT: Final = "snapshot"
CANCEL: Final = "cancel"
CREDIT: Final = "credit"
READY: Final = "ready"
ITEM: Final = "item"
DONE: Final = "done"

WINDOW_ITEMS: Final = 64
WINDOW_BYTES: Final = 4 * 1024 * 1024

_PR_SET_PDEATHSIG: Final = 1
_PARENT_POLL_SECONDS: Final = 0.25

Message = tuple[Any, ...]


class _Cancelled(Exception):
    """Raised out of a stream's ``emit`` when its caller gave up on it."""


def serve(
    conn: Connection,
    limits: RegistryLimits,
    helpers: Mapping[str, Helper],
    parent_pid: int,
    strict_sessions: bool,
    inherited: Sequence[Connection] = (),
) -> None:
    """Process entry point: answer requests on ``conn`` until told to stop or orphaned.

    ``inherited`` are the parent's pipe ends a forked child got a copy of: closed at once,
    so that a worker's end-of-file never waits for a sibling.
    """
    for end in inherited:
        end.close()
    die_with_parent(parent_pid)
    # Ctrl-C reaches the whole process group; the client decides when its workers end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    adapter = Adapter(
        max_refs_per_session=limits.max_refs_per_session,
        max_refs=limits.max_refs,
        max_sessions=limits.max_sessions,
        session_ttl=limits.session_ttl,
        ref_overflow=limits.ref_overflow,
        helpers=helpers,
    )
    try:
        conn.send((READY, 0, os.getpid()))
        _Worker(conn, adapter, strict_sessions).run()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client is gone: nobody is left to answer


def die_with_parent(parent_pid: int) -> None:
    """Make this process end when ``parent_pid`` does, whatever this process is doing."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)  # the parent died before the signal was armed
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="runtime-pool-parent-watch", daemon=True
    ).start()


def _watch_parent(parent_pid: int) -> None:
    # Portable fallback: an orphan is adopted by another process, so its parent id changes.
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(1)


def routing_session(payload: object, routed: str | None, strict: bool) -> str | None:
    """The routing session the adapter is told about.

    By default only a fallback, never a check: like a remote worker that sees only the
    payload, a pool worker keeps refs under the PAYLOAD's session; the routing session
    merely chose this worker, so a payload that says A but was routed by B lands on B's
    worker under A (and is lost to A). With ``strict`` the adapter gets the routing
    session always, and refuses such a payload (``SessionMismatchError``).
    """
    if strict or not (isinstance(payload, Mapping) and payload.get("session_id") is not None):
        return routed
    return None


class _Worker:
    def __init__(self, conn: Connection, adapter: Adapter, strict_sessions: bool) -> None:
        self._conn = conn
        self._adapter = adapter
        self._strict = strict_sessions
        self._exit = False
        self._streaming: int | None = None
        self._stop_stream = False
        self._unacked_items = 0
        self._unacked_bytes = 0

    def run(self) -> None:
        while (request := self._next()) is not None:
            kind, request_id = request[0], request[1]
            response: Response | None
            held = None
            if kind == SNAPSHOT:
                response = {"ok": True, "result": self._adapter.registry.snapshot()}
            else:
                tool, payload, routed = request[2:]
                session = routing_session(payload, routed, self._strict)
                if kind == STREAM:
                    response = self._stream(request_id, tool, payload, session)
                else:
                    response = self._adapter.handle(tool, payload, session)
                if routed is not None:
                    held = self._adapter.registry.count(routed)
            self._conn.send((DONE, request_id, response, held))
            if self._exit:
                return

    def _next(self) -> Message | None:
        """The next request, or ``None`` to stop (asked to, or the client is gone)."""
        while True:
            try:
                message: Message | None = self._conn.recv()
            except EOFError:
                return None
            if message is None or message[0] not in (CANCEL, CREDIT):
                return message
            # A cancel or credit for a stream that has ended: nothing to do.

    def _control(self, block: bool) -> None:
        """Apply the credits, cancels and stop the client sent while a stream runs."""
        while block or self._conn.poll():
            block = False
            try:
                message = self._conn.recv()
            except EOFError:
                message = None
            if message is None:
                self._exit = self._stop_stream = True
            elif message[1] != self._streaming:
                continue
            elif message[0] == CANCEL:
                self._stop_stream = True
            elif message[0] == CREDIT:
                self._unacked_items -= message[2]
                self._unacked_bytes -= message[3]

    def _stream(
        self, request_id: int, tool: str, payload: Any, session: str | None
    ) -> Response | None:
        def emit(item: Any) -> None:
            data = ForkingPickler.dumps((ITEM, request_id, item))
            self._conn.send_bytes(data)
            self._unacked_items += 1
            self._unacked_bytes += len(data)
            self._control(block=False)
            while not self._stop_stream and self._over_window():
                self._control(block=True)
            if self._stop_stream:
                raise _Cancelled

        self._streaming, self._stop_stream = request_id, False
        self._unacked_items = self._unacked_bytes = 0
        try:
            return self._adapter.handle_stream(tool, payload, emit, session)
        except _Cancelled:
            return None
        finally:
            self._streaming = None

    def _over_window(self) -> bool:
        return self._unacked_items > 1 and (
            self._unacked_items > WINDOW_ITEMS or self._unacked_bytes > WINDOW_BYTES
        )
