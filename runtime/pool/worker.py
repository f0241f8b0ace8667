"""A ``PoolClient`` worker process: one :class:`Adapter` behind a pipe, one request at a time.

Messages are tuples. The client sends ``(CALL | STREAM, id, tool, payload, routing
session)``, ``(SNAPSHOT, id)``, ``(CANCEL, id)`` and finally ``None`` (stop). The worker
answers ``(READY, 0, pid)`` once, then ``(ITEM, id, item)`` for each streamed item and
``(DONE, id, response)`` for every request (``response`` is ``None`` for a cancelled one).

The worker reads ahead before each request and between the items of a stream, so a
cancel (sent when a caller times out or its callback fails) skips a request that has not
started and stops a stream at its next item. A call that is already running finishes.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any, Final

from runtime.adapter import Adapter, Helper, Response
from runtime.registry import RegistryLimits

CALL: Final = "call"
STREAM: Final = "stream"
SNAPSHOT: Final = "snapshot"
CANCEL: Final = "cancel"
READY: Final = "ready"
ITEM: Final = "item"
DONE: Final = "done"

Message = tuple[Any, ...]


class _Cancelled(Exception):
    """Raised out of a stream's ``emit`` when its caller gave up on it."""


def serve(conn: Connection, limits: RegistryLimits, helpers: Mapping[str, Helper]) -> None:
    """Process entry point: answer requests on ``conn`` until told to stop or orphaned."""
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
        _Worker(conn, adapter).run()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client is gone: nobody is left to answer


def storage_session(payload: object, routed_session: str | None) -> str | None:
    """The routing session the adapter is told about: only a fallback, never a check.

    Like a remote worker that sees only the payload, a pool worker keeps refs under the
    PAYLOAD's session; the routing session merely chose this worker. A payload that says
    A but was routed by B therefore lands on B's worker under A (and is lost to A's).
    """
    if isinstance(payload, Mapping) and payload.get("session_id") is not None:
        return None
    return routed_session


class _Worker:
    def __init__(self, conn: Connection, adapter: Adapter) -> None:
        self._conn = conn
        self._adapter = adapter
        self._backlog: deque[Message | None] = deque()
        self._streaming: int | None = None
        self._stop_stream = False

    def run(self) -> None:
        while (request := self._next()) is not None:
            kind, request_id = request[0], request[1]
            response: Response | None
            if kind == SNAPSHOT:
                response = {"ok": True, "result": self._adapter.registry.snapshot()}
            elif kind == STREAM:
                response = self._stream(request_id, *request[2:])
            else:
                tool, payload, routed = request[2:]
                response = self._adapter.handle(tool, payload, storage_session(payload, routed))
            self._conn.send((DONE, request_id, response))

    def _next(self) -> Message | None:
        """The next request to run, or ``None`` to stop (asked to, or the client is gone)."""
        while True:
            self._read_ahead()
            if self._backlog:
                message = self._backlog.popleft()
            else:
                try:
                    message = self._conn.recv()
                except EOFError:
                    return None
            if message is None:
                return None
            if message[0] != CANCEL:
                return message
            self._cancel(message[1])

    def _read_ahead(self) -> None:
        """Move every message already sent into the backlog; apply cancels at once."""
        while self._conn.poll():
            try:
                message = self._conn.recv()
            except EOFError:
                message = None
            if message is not None and message[0] == CANCEL:
                self._cancel(message[1])
            else:
                self._backlog.append(message)
                if message is None:
                    return

    def _cancel(self, request_id: int) -> None:
        if request_id == self._streaming:
            self._stop_stream = True
            return
        for message in self._backlog:
            if message is not None and message[1] == request_id:
                self._backlog.remove(message)
                self._conn.send((DONE, request_id, None))
                return
        # Otherwise the request already finished: nothing to do.

    def _stream(
        self, request_id: int, tool: str, payload: Any, routed: str | None
    ) -> Response | None:
        def emit(item: Any) -> None:
            self._conn.send((ITEM, request_id, item))
            self._read_ahead()
            if self._stop_stream:
                raise _Cancelled

        self._streaming, self._stop_stream = request_id, False
        try:
            return self._adapter.handle_stream(
                tool, payload, emit, storage_session(payload, routed)
            )
        except _Cancelled:
            return None
        finally:
            self._streaming = None
