"""``PoolClient``: worker processes, each running an :class:`Adapter`, with session affinity."""

from __future__ import annotations

import atexit
import math
import multiprocessing
import pickle
import queue
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from runtime.adapter import Helper, unwrap_response
from runtime.context import check_session_id
from runtime.errors import (
    CallTimeoutError,
    ClientClosedError,
    ProtocolError,
    RefNotFoundError,
    WorkerDiedError,
)
from runtime.pool.affinity import Affinity
from runtime.pool.handle import DIED, Call, WorkerHandle
from runtime.pool.worker import CALL, DONE, ITEM, SNAPSHOT, STREAM
from runtime.registry import (
    DEFAULT_MAX_REFS,
    DEFAULT_MAX_REFS_PER_SESSION,
    RefOverflow,
    RegistryLimits,
)
from runtime.wire import TOOL_RELEASE_SESSION

ROUTING_SOURCE = "routing opts['session_id']"
TIMEOUT_SOURCE = "__runtime__['timeout']"


class PoolClient:
    """``workers`` processes, each an :class:`Adapter`; a routing session sticks to one.

    The ROUTING session (``opts["session_id"]``) picks the worker: a new session goes to
    the worker holding the fewest sessions and stays there until ``release_session``. The
    worker keeps refs under the PAYLOAD's session, as a remote worker would, so a
    dispatcher that splits the two loses refs here (``LocalClient`` refuses the split).

    ``opts["timeout"]`` (from ``__runtime__``), else ``timeout``, bounds each call in
    seconds; a late call raises ``CallTimeoutError``. A worker that dies fails its calls
    with ``WorkerDiedError``, is replaced, and its sessions' refs are reported lost. Use it
    as a context manager, or call :meth:`close`. Threads may share one client; ``helpers``
    must be picklable (module-level functions), as they are sent to the workers.
    ``max_refs_per_session``, ``max_refs``, ``max_sessions``, ``session_ttl`` and
    ``ref_overflow`` bound each worker's ref registry, as for :class:`Adapter`.
    """

    def __init__(
        self,
        workers: int = 2,
        *,
        max_refs_per_session: int = DEFAULT_MAX_REFS_PER_SESSION,
        max_refs: int | None = DEFAULT_MAX_REFS,
        max_sessions: int | None = None,
        session_ttl: float | None = None,
        ref_overflow: RefOverflow = "error",
        helpers: Mapping[str, Helper] | None = None,
        timeout: float | None = None,
        start_method: str = "spawn",
        start_timeout: float = 60.0,
    ) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an int >= 1, got {workers!r}")
        # Each worker's registry gets these bounds (see runtime.registry); checked here.
        self._limits = RegistryLimits(
            max_refs_per_session, max_refs, max_sessions, session_ttl, ref_overflow
        )
        self._timeout = check_timeout(timeout, "PoolClient(timeout=...)")
        self._helpers = dict(helpers or {})
        try:
            pickle.dumps(self._helpers)
        except Exception as exc:
            raise TypeError(
                f"helpers must be picklable to reach the worker processes: {exc}"
            ) from exc
        self._context = multiprocessing.get_context(start_method)
        self._start_timeout = start_timeout
        self._cond = threading.Condition()
        self._affinity = Affinity(workers)
        self._slots: list[WorkerHandle | None] = [None] * workers
        self._replacing: set[int] = set()
        self._failures: dict[int, str] = {}
        self._lost: dict[str, str] = {}
        self._closed = False
        self._stopped = threading.Event()
        handles: list[WorkerHandle] = []
        try:
            for index in range(workers):
                handles.append(self._new_handle(index))
            for handle in handles:
                handle.wait_ready(start_timeout)
        except BaseException:
            for handle in handles:
                handle.begin_stop()
                handle.finish_stop(0)
            raise
        self._slots = list(handles)
        _OPEN.add(self)

    # -- the RuntimeClient protocol -----------------------------------------------------------

    def execute(self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /) -> Any:
        """Run ``payload`` on the routing session's worker; return the wire-encoded result."""
        return self._run(CALL, tool, payload, opts, None)

    def execute_stream(
        self,
        tool: str,
        payload: dict[str, Any],
        callback: Callable[[Any], None],
        opts: dict[str, Any],
        /,
    ) -> None:
        """Run a stream payload; ``callback`` gets each item, in this thread, as it is made."""
        self._run(STREAM, tool, payload, opts, callback)

    # -- pool state -------------------------------------------------------------------------

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers, by slot."""
        with self._cond:
            return [handle.pid for handle in self._slots if handle is not None]

    def worker_pid(self, session_id: str) -> int | None:
        """Process id of the worker ``session_id`` is pinned to (``None``: not pinned)."""
        with self._cond:
            slot = self._affinity.slot_of(session_id)
            handle = None if slot is None else self._slots[slot]
            return None if handle is None else handle.pid

    def snapshot(self) -> dict[int, dict[str, frozenset[str]]]:
        """Every live worker's refs: ``{pid: {session: ref ids}}`` (for tests and leaks)."""
        with self._cond:
            if self._closed:
                raise ClientClosedError("this PoolClient is closed")
            handles = [handle for handle in self._slots if handle is not None]
        deadline = _deadline(self._timeout)
        result: dict[int, dict[str, frozenset[str]]] = {}
        for handle in handles:
            call = handle.submit(SNAPSHOT, "snapshot", None, None)
            response = self._wait(handle, call, deadline, None, {}, self._timeout)
            result[handle.pid] = unwrap_response(response)
        return result

    # -- lifecycle --------------------------------------------------------------------------

    def close(self, timeout: float = 5.0) -> None:
        """Stop every worker and wait for it to exit; idempotent.

        Requests already sent are answered first; after ``timeout`` seconds workers are
        terminated, and the calls still waiting raise ``ClientClosedError``.
        """
        with self._cond:
            first = not self._closed
            self._closed = True
            handles = [handle for handle in self._slots if handle is not None]
            self._slots = [None] * len(self._slots)
            self._cond.notify_all()
        if not first:
            self._stopped.wait()
            return
        try:
            with self._cond:  # a replacement that is starting stops its worker itself
                end = time.monotonic() + self._start_timeout + timeout
                while self._replacing and (left := end - time.monotonic()) > 0:
                    self._cond.wait(left)
            for handle in handles:
                handle.begin_stop()
            deadline = time.monotonic() + timeout
            for handle in handles:
                handle.finish_stop(max(0.0, deadline - time.monotonic()))
        finally:
            _OPEN.discard(self)
            self._stopped.set()

    def __enter__(self) -> PoolClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"pids={self.pids}"
        return f"<PoolClient workers={len(self._slots)} {state}>"

    # -- calls ------------------------------------------------------------------------------

    def _run(
        self,
        kind: str,
        tool: str,
        payload: dict[str, Any],
        opts: Mapping[str, Any],
        callback: Callable[[Any], None] | None,
    ) -> Any:
        if not isinstance(opts, Mapping):
            raise ProtocolError(f"routing opts must be a dict, got {type(opts).__name__}")
        session = opts.get("session_id")
        if session is not None:
            session = check_session_id(session, ROUTING_SOURCE)
        timeout = opts.get("timeout")
        timeout = self._timeout if timeout is None else check_timeout(timeout, TIMEOUT_SOURCE)
        deadline = _deadline(timeout)
        handle = self._route(session, deadline)
        try:
            call = handle.submit(kind, tool, payload, session)
        except BaseException:
            self._end(handle, session, released=False)
            raise
        response = self._wait(handle, call, deadline, callback, payload, timeout)
        try:
            return unwrap_response(response)
        except RefNotFoundError as exc:
            with self._cond:
                cause = None if session is None else self._lost.get(session)
            if cause is None:
                raise
            raise RefNotFoundError(f"{exc.message} ({cause})") from None

    def _wait(
        self,
        handle: WorkerHandle,
        call: Call,
        deadline: float | None,
        callback: Callable[[Any], None] | None,
        payload: Mapping[str, Any],
        timeout: float | None = None,
    ) -> Any:
        """The call's response; stream items go to ``callback`` as they arrive."""
        try:
            while True:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    kind, data = call.events.get(timeout=remaining)
                except queue.Empty:
                    raise CallTimeoutError(
                        f"{describe(call.tool, payload)} in session {call.session!r} timed out"
                        f" after {timeout:g} s on worker {handle.index} (pid {handle.pid}); if it"
                        " had started it runs to its end there (a stream stops at its next"
                        " item) and its result is dropped"
                    ) from None
                if kind == ITEM and callback is not None:
                    callback(data)
                elif kind == DONE:
                    return data
                elif kind == DIED:
                    raise WorkerDiedError(
                        f"{data} while running {describe(call.tool, payload)}: the call's outcome"
                        " is unknown and the refs of the worker's sessions are lost"
                    )
                else:
                    raise ClientClosedError(
                        f"the client was closed before {describe(call.tool, payload)} finished"
                        f" ({data})"
                    )
        except BaseException:
            handle.abandon(call)
            raise

    # -- routing ----------------------------------------------------------------------------

    def _route(self, session: str | None, deadline: float | None) -> WorkerHandle:
        """The worker for a call of ``session``; waits while every worker is being replaced."""
        restarted = False
        with self._cond:
            while True:
                if self._closed:
                    raise ClientClosedError("this PoolClient is closed")
                live = [index for index, handle in enumerate(self._slots) if handle is not None]
                if live:
                    handle = self._slots[self._affinity.begin(session, live)]
                    assert handle is not None  # a dead worker's sessions are unpinned at once
                    return handle
                if not self._replacing:
                    if restarted:
                        failures = "; ".join(self._failures.values()) or "unknown failure"
                        raise WorkerDiedError(f"no worker is available: {failures}")
                    for index in range(len(self._slots)):
                        self._start_replacement(index)
                    restarted = True
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise CallTimeoutError("no worker became available before the timeout")
                self._cond.wait(remaining)

    def _end(self, handle: WorkerHandle, session: str | None, *, released: bool) -> None:
        with self._cond:
            if self._slots[handle.index] is not handle:
                return  # the worker is gone; its sessions were unpinned with it
            self._affinity.end(session, handle.index, released=released)
            if released and session is not None:
                self._lost.pop(session, None)

    # -- workers ----------------------------------------------------------------------------

    def _new_handle(self, index: int) -> WorkerHandle:
        return WorkerHandle(
            index,
            self._context,
            self._limits,
            self._helpers,
            on_done=self._call_done,
            on_exit=self._worker_exited,
        )

    def _call_done(self, handle: WorkerHandle, call: Call, response: Any) -> None:
        released = (
            call.tool == TOOL_RELEASE_SESSION
            and isinstance(response, dict)
            and response.get("ok") is True
        )
        self._end(handle, call.session, released=released)

    def _worker_exited(self, handle: WorkerHandle, reason: str) -> None:
        with self._cond:
            if self._closed or self._slots[handle.index] is not handle:
                return  # being stopped, or never in service: whoever stops it frees it
            self._slots[handle.index] = None
            for session in self._affinity.drop_slot(handle.index):
                self._lost[session] = f"session {session!r} lost its refs when {reason}"
            self._start_replacement(handle.index)
            self._cond.notify_all()
        handle.dispose()

    def _start_replacement(self, index: int) -> None:
        """Start a worker for an empty slot in the background (caller holds the lock)."""
        if self._closed or self._slots[index] is not None or index in self._replacing:
            return
        self._replacing.add(index)
        threading.Thread(
            target=self._replace, args=(index,), name=f"runtime-pool-start-{index}", daemon=True
        ).start()

    def _replace(self, index: int) -> None:
        handle: WorkerHandle | None = None
        failure = None
        try:
            handle = self._new_handle(index)
            handle.wait_ready(self._start_timeout)
        except Exception as exc:
            failure = f"worker {index} could not be restarted: {exc}"
            if handle is not None:
                handle.begin_stop()
                handle.finish_stop(0)
                handle = None
        with self._cond:
            keep = handle is not None and not self._closed
            if keep:
                self._slots[index] = handle
                self._failures.pop(index, None)
        if handle is not None and not keep:
            handle.begin_stop()
            handle.finish_stop(1.0)
        with self._cond:
            self._replacing.discard(index)
            if failure is not None:
                self._failures[index] = failure
            self._cond.notify_all()


def check_timeout(value: object, source: str) -> float | None:
    """A timeout in seconds: ``None`` (or infinity) for none, else a number > 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{source} must be a number of seconds, got {value!r}")
    if not value > 0:
        raise ValueError(f"{source} must be > 0 seconds, got {value!r}")
    return None if math.isinf(value) else float(value)


def describe(tool: str, payload: Mapping[str, Any]) -> str:
    """A short name for a call in error messages: ``snakebridge.call dynamic time.sleep``."""
    module = payload.get("module_path") or payload.get("python_module")
    name = payload.get("function") or payload.get("attr") or payload.get("helper")
    target = ".".join(str(part) for part in (module, name) if part)
    return " ".join(str(part) for part in (tool, payload.get("call_type"), target) if part)


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


_OPEN: weakref.WeakSet[PoolClient] = weakref.WeakSet()


@atexit.register
def _close_open_pools() -> None:
    # Registered after multiprocessing's own exit hook, so it runs first: workers are
    # stopped before multiprocessing would wait for them.
    for pool in list(_OPEN):
        pool.close(timeout=1.0)
