"""One ``PoolClient`` worker as the client sees it: process, pipe, its running and waiting calls.

A worker runs one request at a time and the handle sends it exactly one: the others wait
in the handle's queue, so the client always knows which call is running (the one it sent)
and which never started (the queued ones), and can drop a queued call without asking the
worker. One reader thread per worker receives every answer, hands it to the running call
and sends the next queued one. When the pipe reaches end-of-file the worker is gone: the
reader reaps the process, tells the pool, then fails the running call (``DIED``) and hands
the queued ones back (``UNSENT``): never a hang.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import signal
import threading
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.reduction import ForkingPickler
from typing import Any, Final, Protocol

from runtime.adapter import Helper
from runtime.errors import ClientClosedError, WireEncodingError, WorkerDiedError
from runtime.pool.launcher import launch
from runtime.pool.worker import CANCEL, CREDIT, DONE, ITEM, READY, WINDOW_BYTES, WINDOW_ITEMS, serve
from runtime.registry import RegistryLimits

DIED: Final = "died"
"""Event kind for the running call of a worker that died; its data is the reason."""
UNSENT: Final = "unsent"
"""Event kind for a queued call whose worker died: it never ran; its data is the reason."""
CLOSED: Final = "closed"
"""Event kind for a call stopped because the client closed; its data is the reason."""
STARTED: Final = "started"
"""Event kind for a queued call that was just sent to its worker."""

QUEUED: Final = "queued"
RUNNING: Final = "running"
FINISHED: Final = "finished"

Event = tuple[str, Any, int]
Discard = Callable[[Event], None]
"""Frees what an event nobody will read carries (the refs in an item or a result)."""


class Events(Protocol):
    """Where a call's events go: a thread waits on them (:class:`ThreadEvents`), or an
    event loop (``runtime.pool.aio``). ``put`` may be called from any thread."""

    def put(self, event: Event) -> None: ...

    def drain(self, discard: Discard) -> None:
        """The waiter has gone: hand every unread event, and any later one, to ``discard``."""


class ThreadEvents:
    """A call's events, for a thread that blocks on them."""

    __slots__ = ("_queue",)

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Event] = queue.SimpleQueue()

    def put(self, event: Event) -> None:
        self._queue.put(event)

    def get(self, timeout: float | None) -> Event | None:
        """The next event, or ``None`` once ``timeout`` seconds passed without one."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self, discard: Discard) -> None:
        # Nothing is put once the call is abandoned (checked under the handle's lock).
        while True:
            try:
                discard(self._queue.get_nowait())
            except queue.Empty:
                return


_REAP_TIMEOUT: Final = 5.0


@dataclass(eq=False)
class Call:
    """A request for a worker; its events are ``STARTED``, ``ITEM``, ``DONE``, ``DIED``,
    ``UNSENT`` or ``CLOSED``, each ``(kind, data, size in bytes)``."""

    kind: str
    tool: str
    payload: Any
    session: str | None
    counted: bool = True
    """The pool counted it in its affinity table (a snapshot is not)."""
    request_id: int = 0
    state: str = QUEUED
    abandoned: bool = False
    items: int = 0
    events: Events = field(default_factory=ThreadEvents)
    on_discard: Discard | None = None
    """Frees what arrives for the call once abandoned (a cancelled caller's result)."""
    _data: bytes = b""


OnDone = Callable[["WorkerHandle", Call, Any, "int | None"], None]
OnExit = Callable[["WorkerHandle", str], None]


def exit_text(exitcode: int | None) -> str:
    """How a process ended, for error messages (``"was killed by SIGKILL"``)."""
    if exitcode is None:
        return "stopped answering"
    if exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return "exited" if exitcode == 0 else f"exited with code {exitcode}"


class WorkerHandle:
    """A started worker process; call :meth:`wait_ready` before submitting calls."""

    def __init__(
        self,
        index: int,
        context: BaseContext,
        limits: RegistryLimits,
        helpers: Mapping[str, Helper],
        strict_sessions: bool,
        on_done: OnDone,
        on_exit: OnExit,
    ) -> None:
        self.index = index
        self._on_done = on_done
        self._on_exit = on_exit
        self._lock = threading.Lock()  # calls and state flags
        self._send_lock = threading.Lock()  # one message at a time on the pipe
        self._queue: deque[Call] = deque()
        self._running: Call | None = None
        self._ids = itertools.count(1)
        self._dead: str | None = None
        self._stop_reason: str | None = None
        self._closing = False
        self._disposed = False
        self._start_args = (context, limits, dict(helpers), strict_sessions)
        launch(self._start)
        _HANDLES.add(self)
        self.pid: int = self._process.pid
        self._reader = threading.Thread(
            target=self._read, name=f"runtime-pool-reader-{index}", daemon=True
        )

    def _start(self) -> None:
        """Make the pipe and start the process (in the launcher thread, one at a time, so
        that no fork copies another worker's child end)."""
        context, limits, helpers, strict = self._start_args
        self._conn, child = context.Pipe()
        # A forked child inherits every parent end open now: it closes them first thing.
        inherited = [self._conn, *_parent_ends()] if context.get_start_method() == "fork" else []
        self._process = context.Process(  # type: ignore[attr-defined]
            target=serve,
            args=(child, limits, helpers, os.getpid(), strict),
            kwargs={"inherited": inherited},
            name=f"runtime-pool-worker-{self.index}",
        )
        try:
            self._process.start()
        except BaseException:
            self._conn.close()
            raise
        finally:
            child.close()  # the child's copy only: end-of-file then means the worker is gone

    @property
    def busy(self) -> bool:
        """True while a call runs on the worker."""
        return self._running is not None

    @property
    def queued(self) -> int:
        """How many calls wait for this worker."""
        return len(self._queue)

    def wait_ready(self, timeout: float) -> None:
        """Wait for the worker's hello, then start reading; raise if it does not come.

        After a failure the caller stops the handle with :meth:`finish_stop`.
        """
        try:
            if not self._conn.poll(timeout):
                raise WorkerDiedError(
                    f"worker {self.index} (pid {self.pid}) did not start within {timeout:g} s"
                )
            message = self._conn.recv()
        except (EOFError, OSError):
            self._process.join(_REAP_TIMEOUT)
            raise WorkerDiedError(
                f"worker {self.index} (pid {self.pid}) {exit_text(self._process.exitcode)}"
                " before it was ready"
            ) from None
        if message[0] != READY:
            raise WorkerDiedError(f"worker {self.index} sent {message!r} instead of its hello")
        self._reader.start()

    def describe(self) -> str:
        return f"worker {self.index} (pid {self.pid})"

    # -- calls ----------------------------------------------------------------------------

    def submit(self, call: Call) -> bool:
        """Run ``call`` now if the worker is idle, else queue it; False if the worker is gone."""
        call.request_id = next(self._ids)
        if call.tool == "snapshot":
            message: tuple[Any, ...] = (call.kind, call.request_id)
        else:
            message = (call.kind, call.request_id, call.tool, call.payload, call.session)
        try:
            call._data = bytes(ForkingPickler.dumps(message))
        except Exception as exc:
            raise WireEncodingError(f"cannot send this payload to a worker: {exc}") from exc
        with self._lock:
            if self._closing:
                raise ClientClosedError("the client is closed")
            if self._dead is not None:
                return False
            if self._running is not None:
                self._queue.append(call)
                return True
            call.state, self._running = RUNNING, call
        self._send_bytes(call._data)
        return True

    def abandon(self, call: Call, kill_reason: str | None = None) -> str:
        """The caller gave up on ``call``; return the state it was in.

        A queued call is dropped (it never runs). A running one is cancelled (a stream
        stops at its next item) or, with ``kill_reason``, its worker is killed.
        """
        with self._lock:
            if call.state == QUEUED:
                with contextlib.suppress(ValueError):
                    self._queue.remove(call)
                call.abandoned = True
                return QUEUED
            if call.state != RUNNING:
                return call.state
            call.abandoned = True
            if kill_reason is not None and self._stop_reason is None:
                self._stop_reason = kill_reason
        if kill_reason is not None:
            with contextlib.suppress(OSError, ValueError):
                self._process.kill()
        else:
            self._send((CANCEL, call.request_id))
        return RUNNING

    def credit(self, call: Call, items: int, nbytes: int) -> None:
        """Tell the worker the caller consumed ``items`` of a stream (``nbytes`` in total)."""
        self._send((CREDIT, call.request_id, items, nbytes))

    def _send(self, message: tuple[Any, ...] | None) -> None:
        with self._send_lock, contextlib.suppress(OSError):
            self._conn.send(message)

    def _send_bytes(self, data: bytes) -> None:
        with self._send_lock, contextlib.suppress(OSError):
            self._conn.send_bytes(data)  # a gone worker: the reader fails the call

    # -- reading --------------------------------------------------------------------------

    def _read(self) -> None:
        failure = None
        try:
            while True:
                raw = self._conn.recv_bytes()
                self._deliver(ForkingPickler.loads(raw), len(raw))
        except (EOFError, OSError):
            pass
        except Exception as exc:  # a message we cannot read: stop trusting this worker
            failure = f"sent an unreadable message ({exc!r}) and was stopped"
            self._process.kill()
        self._process.join(_REAP_TIMEOUT)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        with self._lock:
            how = self._stop_reason or (
                f"{self.describe()} {failure or exit_text(self._process.exitcode)}"
            )
            self._dead = how
            running, self._running = self._running, None
            waiting, self._queue = list(self._queue), deque()
            closing = self._closing
        self._on_exit(self, how)  # unpin first, so calls handed back are routed elsewhere
        if running is not None:
            running.state = FINISHED
            if not running.abandoned:
                running.events.put((CLOSED if closing else DIED, how, 0))
        for call in waiting:
            call.state = FINISHED
            call.events.put((CLOSED if closing else UNSENT, how, 0))

    def _deliver(self, message: tuple[Any, ...], size: int) -> None:
        kind, request_id, data = message[0], message[1], message[2]
        with self._lock:
            call = self._running
            if call is None or call.request_id != request_id:
                return
            if kind == DONE:
                call.state = FINISHED
                self._running = following = self._next_call()
        if kind == ITEM:
            self._hand_over(call, (ITEM, data, size))
            return
        if kind != DONE:
            return
        if call.counted:
            self._on_done(self, call, data, message[3])  # bookkeeping first: the caller sees it
        self._hand_over(call, (DONE, data, 0))
        if following is not None:
            following.events.put((STARTED, None, 0))
            self._send_bytes(following._data)

    def _hand_over(self, call: Call, event: Event) -> None:
        """Give ``event`` to its caller, or, once the caller has gone, to ``on_discard``."""
        with self._lock:  # one decision against abandon(): never put after the caller left
            if not call.abandoned:
                call.events.put(event)
                return
        if call.on_discard is not None:
            call.on_discard(event)

    def _next_call(self) -> Call | None:
        """Take the next queued call and mark it running (caller holds the lock)."""
        while self._queue:
            call = self._queue.popleft()
            if not call.abandoned:
                call.state = RUNNING
                return call
        return None

    # -- stopping -------------------------------------------------------------------------

    def begin_stop(self) -> None:
        """Ask the worker to exit after its running call; queued calls get ``CLOSED``."""
        with self._lock:
            self._closing = True
            waiting, self._queue = list(self._queue), deque()
        for call in waiting:
            call.state = FINISHED
            call.events.put((CLOSED, "the client was closed", 0))
        self._send(None)

    def finish_stop(self, timeout: float) -> None:
        """Wait for the worker to exit (terminate, then kill, if it will not); free it all."""
        if self._disposed:
            return
        if self._reader.ident is not None:
            self._reader.join(timeout)
            for escalate in (self._process.terminate, self._process.kill):
                if not self._reader.is_alive():
                    break
                escalate()
                self._reader.join(_REAP_TIMEOUT)
        else:  # never became ready: no reader owns the process
            self._process.kill()
            self._process.join(_REAP_TIMEOUT)
        self.dispose()

    def dispose(self) -> None:
        """Free the pipe and the process object of a worker that has exited; idempotent."""
        if self._reader.ident is not None and self._reader is not threading.current_thread():
            self._reader.join(_REAP_TIMEOUT)
        with self._lock:
            if self._disposed:
                return
            self._disposed = True
        _HANDLES.discard(self)
        self._conn.close()
        with contextlib.suppress(ValueError):  # still running (unkillable): left to the GC
            self._process.close()


def credit_due(items: int, nbytes: int) -> bool:
    """Whether a caller that consumed ``items`` (``nbytes``) since its last credit sends one."""
    return items * 2 >= WINDOW_ITEMS or nbytes * 2 >= WINDOW_BYTES


_HANDLES: weakref.WeakSet[WorkerHandle] = weakref.WeakSet()


def _parent_ends() -> list[Connection]:
    ends = []
    for handle in list(_HANDLES):
        conn = handle._conn
        if not conn.closed:
            ends.append(conn)
    return ends
