"""``PoolClient``: worker processes, each running an :class:`Adapter`, with session affinity."""

from __future__ import annotations

import atexit
import math
import multiprocessing
import pickle
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any, Final

from runtime.adapter import Helper, unwrap_response
from runtime.client import ClosingClient
from runtime.context import check_session_id
from runtime.discard import release_wire_refs, wire_refs_in
from runtime.errors import (
    CallTimeoutError,
    ClientClosedError,
    ProtocolError,
    QueueFullError,
    QueueTimeoutError,
    RefNotFoundError,
)
from runtime.failures import (
    LostSessions,
    describe,
    never_started_error,
    should_retry,
    stopped_reason,
    timeout_error,
    worker_died_error,
)
from runtime.pool.affinity import DEFAULT_MAX_IDLE_PINS, HINT, Affinity
from runtime.pool.aio import AsyncPoolClient
from runtime.pool.handle import (
    CLOSED,
    DIED,
    QUEUED,
    STARTED,
    UNSENT,
    Call,
    Event,
    Events,
    ThreadEvents,
    WorkerHandle,
    credit_due,
)
from runtime.pool.limits import Died, Unsent, check_timeout, deadline_after
from runtime.pool.slots import WorkerSlots
from runtime.pool.steps import DELIVER, WAIT, PoolSteps, drive_sync
from runtime.pool.worker import CALL, DONE, ITEM, SNAPSHOT, STREAM
from runtime.registry import (
    DEFAULT_MAX_REFS,
    DEFAULT_MAX_REFS_PER_SESSION,
    RefOverflow,
    RegistryLimits,
)
from runtime.wire import TOOL_RELEASE_REF, TOOL_RELEASE_SESSION

ROUTING_SOURCE = "routing opts['session_id']"
TIMEOUT_SOURCE = "__runtime__['timeout']"
DEFAULT_CONTROL_TIMEOUT: Final = 10.0
DEFAULT_MAX_QUEUE: Final = 10_000
_CONTROL_TOOLS: Final = (TOOL_RELEASE_REF, TOOL_RELEASE_SESSION)


class PoolClient(ClosingClient):
    """``workers`` processes, each an :class:`Adapter`; a routing session sticks to one.

    The ROUTING session (``opts["session_id"]``) picks the worker: a new session goes to
    the worker with the fewest live sessions (holding refs) and calls in flight, and stays
    there while it holds refs there. The worker keeps refs under the PAYLOAD's session,
    as a remote worker would, so a dispatcher that splits the two loses refs here
    (``LocalClient`` refuses the split; so does this client with ``strict_sessions``).

    ``affinity`` says what a call does when its session's worker is busy: ``"hint"``
    (the default) waits, unless the session holds no refs there and another worker is
    idle, where it moves; ``"strict"`` always waits; ``"fail_fast"`` raises
    ``WorkerBusyError``. At most ``max_queue`` calls wait for a worker (more raise
    ``QueueFullError``), each at most ``queue_timeout`` seconds (``QueueTimeoutError``).

    ``opts["timeout"]`` (from ``__runtime__``), else ``timeout``, bounds each call in
    seconds: a call still running at its deadline stops its worker (``CallTimeoutError``;
    the worker is replaced and its sessions' refs are reported lost); one still waiting
    never runs. ``release_ref``, ``release_session`` and :meth:`snapshot` are bounded by
    ``control_timeout`` as well. A worker that dies fails its running call with
    ``WorkerDiedError`` (a payload marked ``idempotent`` is retried once on another
    worker), is replaced, and its sessions' refs are reported lost. See
    :mod:`runtime.failures`. Use it as a context manager, or call :meth:`close`. Threads
    may share one client; ``helpers`` must be picklable (module-level functions).
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
        affinity: str = HINT,
        max_queue: int = DEFAULT_MAX_QUEUE,
        queue_timeout: float | None = None,
        control_timeout: float = DEFAULT_CONTROL_TIMEOUT,
        strict_sessions: bool = False,
        max_idle_pins: int = DEFAULT_MAX_IDLE_PINS,
        start_method: str = "spawn",
        start_timeout: float = 60.0,
    ) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an int >= 1, got {workers!r}")
        # Each worker's registry gets these bounds (see runtime.registry); checked here.
        self._limits = RegistryLimits(
            max_refs_per_session, max_refs, max_sessions, session_ttl, ref_overflow
        )
        for name, count in (("max_queue", max_queue), ("max_idle_pins", max_idle_pins)):
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"{name} must be an int >= 0, got {count!r}")
        self._timeout = check_timeout(timeout, "PoolClient(timeout=...)")
        self._queue_timeout = check_timeout(queue_timeout, "PoolClient(queue_timeout=...)")
        control = check_timeout(control_timeout, "PoolClient(control_timeout=...)")
        self._control_timeout = control
        self._helpers = dict(helpers or {})
        try:
            pickle.dumps(self._helpers)
        except Exception as exc:
            raise TypeError(
                f"helpers must be picklable to reach the worker processes: {exc}"
            ) from exc
        self._affinity = Affinity(workers, affinity, max_idle_pins)
        self._context = multiprocessing.get_context(start_method)
        self._strict_sessions = bool(strict_sessions)
        self._max_queue = max_queue
        self._cond = threading.Condition()
        self._lost = LostSessions()
        self._aio: AsyncPoolClient | None = None
        self._workers = WorkerSlots(
            workers, self._new_handle, self._vacated, self._cond, start_timeout
        )
        self._workers.start()
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

    @property
    def aio(self) -> AsyncPoolClient:
        """This pool's native asyncio client (what ``runtime.aio`` uses): no thread per
        call, the same routing, deadlines and failure semantics (see runtime.pool.aio)."""
        twin = self._aio
        if twin is None:
            twin = self._aio = AsyncPoolClient(self)
        return twin

    # -- pool state -------------------------------------------------------------------------

    @property
    def affinity(self) -> str:
        """The affinity mode: ``"hint"``, ``"strict"`` or ``"fail_fast"``."""
        return self._affinity.mode

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers, by slot."""
        with self._cond:
            return [handle.pid for handle in self._workers.live()]

    def worker_pid(self, session_id: str) -> int | None:
        """Process id of the worker ``session_id`` is pinned to (``None``: not pinned)."""
        with self._cond:
            slot = self._affinity.slot_of(session_id)
            handle = None if slot is None else self._workers[slot]
            return None if handle is None else handle.pid

    def stats(self) -> dict[str, int]:
        """Bookkeeping sizes, for monitoring: pinned and live sessions, lost-refs notes, queue."""
        with self._cond:
            handles = self._workers.live()
            return {
                "pinned_sessions": len(self._affinity),
                "live_sessions": sum(self._affinity.load()),
                "lost_notes": len(self._lost),
                "queued_calls": sum(handle.queued for handle in handles),
            }

    def snapshot(self, timeout: float | None = None) -> dict[int, dict[str, frozenset[str]]]:
        """Every live worker's refs: ``{pid: {session: ref ids}}`` (for tests and leaks).

        Waits at most ``timeout`` seconds (default ``control_timeout``) for each worker; a
        worker busy past that raises ``CallTimeoutError`` (it is not stopped).
        """
        with self._cond:
            if self._workers.closed:
                raise ClientClosedError("this PoolClient is closed")
            handles = self._workers.live()
        limit = self._control_timeout if timeout is None else check_timeout(timeout, "timeout")
        deadline = deadline_after(limit)
        result: dict[int, dict[str, frozenset[str]]] = {}
        for handle in handles:
            call = Call(SNAPSHOT, "snapshot", None, None, counted=False)
            if not handle.submit(call):
                continue  # died meanwhile: it holds nothing any more
            try:
                response = self._wait(handle, call, deadline, limit, stop_on_timeout=False)
            except Died:
                continue  # died meanwhile: it holds nothing any more
            result[handle.pid] = unwrap_response(response)
        return result

    # -- lifecycle --------------------------------------------------------------------------

    def close(self, timeout: float = 5.0) -> None:
        """Stop every worker and wait for it to exit; idempotent.

        Running calls are answered first; after ``timeout`` seconds workers are
        terminated. Calls still waiting raise ``ClientClosedError``.
        """
        try:
            self._workers.close(timeout)
        finally:
            _OPEN.discard(self)

    def __repr__(self) -> str:
        state = "closed" if self._workers.closed else f"pids={self.pids}"
        return f"<PoolClient workers={len(self._workers)} {state}>"

    # -- calls ------------------------------------------------------------------------------

    def _run(
        self,
        kind: str,
        tool: str,
        payload: dict[str, Any],
        opts: Mapping[str, Any],
        callback: Callable[[Any], None] | None,
    ) -> Any:
        return drive_sync(self.call_steps(kind, tool, payload, opts, ThreadEvents), callback)

    def call_steps(
        self,
        kind: str,
        tool: str,
        payload: dict[str, Any],
        opts: Mapping[str, Any],
        new_events: Callable[[], Events],
    ) -> PoolSteps[Any]:
        """One call, from routing to its decoded response, for the sync or async driver.

        It yields ``(WAIT, call, seconds)`` for the next event of ``call`` (the driver
        sends it back, or ``None`` after ``seconds``) and ``(DELIVER, item)`` for a
        stream item (the driver hands it on; what the consumer raises is thrown in).
        Routing, deadlines, retries and worker deaths are decided here, once for both.
        """
        if not isinstance(opts, Mapping):
            raise ProtocolError(f"routing opts must be a dict, got {type(opts).__name__}")
        session = opts.get("session_id")
        if session is not None:
            session = check_session_id(session, ROUTING_SOURCE)
        timeout = opts.get("timeout")
        timeout = self._timeout if timeout is None else check_timeout(timeout, TIMEOUT_SOURCE)
        if tool in _CONTROL_TOOLS and self._control_timeout is not None:
            timeout = min(timeout or math.inf, self._control_timeout)
        deadline = deadline_after(timeout)
        attempts = 0
        while True:
            call = Call(kind, tool, payload, session, events=new_events())
            call.on_discard = self._discard_event
            handle = self._submit(call, deadline)
            attempts += 1
            try:
                response = yield from self._waiting(handle, call, deadline, timeout)
            except Unsent as unsent:
                if self._affinity.mode == HINT:
                    continue  # it never ran: route it again
                raise never_started_error(unsent.reason, describe(tool, payload)) from None
            except Died as died:
                if should_retry(payload, attempts, call.items):
                    continue
                raise worker_died_error(
                    died.reason, describe(tool, payload), retried=attempts > 1
                ) from None
            break
        try:
            return unwrap_response(response)
        except RefNotFoundError as exc:
            with self._cond:
                explained = self._lost.explain(session, exc)
            if explained is exc:
                raise
            raise explained from None

    def _submit(self, call: Call, deadline: float | None) -> WorkerHandle:
        """Place ``call`` on a worker (per the affinity mode) and send or queue it there."""
        while True:
            with self._cond:
                handle = self._route(call.session, deadline)
                if handle.busy:
                    queued = sum(h.queued for h in self._workers.live())
                    if queued >= self._max_queue:
                        self._affinity.end(call.session, handle.index)
                        raise QueueFullError(
                            f"{queued} calls already wait for a worker (max_queue="
                            f"{self._max_queue}): {describe(call.tool, call.payload)} refused"
                        )
            try:
                sent = handle.submit(call)
            except BaseException:
                self._end(handle, call.session, released=False)
                raise
            if sent:
                return handle
            self._end(handle, call.session, released=False)  # died meanwhile: place it again

    def _wait(
        self,
        handle: WorkerHandle,
        call: Call,
        deadline: float | None,
        timeout: float | None,
        *,
        stop_on_timeout: bool = True,
    ) -> Any:
        """The call's response, waited for in this thread (see :meth:`_waiting`)."""
        return drive_sync(self._waiting(handle, call, deadline, timeout, stop_on_timeout), None)

    def _waiting(
        self,
        handle: WorkerHandle,
        call: Call,
        deadline: float | None,
        timeout: float | None,
        stop_on_timeout: bool = True,
    ) -> PoolSteps[Any]:
        """The call's response; stream items are yielded to the driver as they arrive.

        Raises ``Unsent`` / ``Died`` when the worker died before or while running it.
        """
        queue_deadline = None
        if call.state == QUEUED and self._queue_timeout is not None:
            queue_deadline = deadline_after(self._queue_timeout)
        credit_items = credit_bytes = 0
        while True:
            limit = deadline
            if queue_deadline is not None and (limit is None or queue_deadline < limit):
                limit = queue_deadline
            remaining = None if limit is None else max(0.0, limit - time.monotonic())
            try:
                event = yield (WAIT, call, remaining)
            except BaseException:  # the caller was interrupted (or its task cancelled)
                self._give_up(handle, call)
                raise
            if event is None:
                if limit is queue_deadline:
                    self._give_up(handle, call)
                    raise QueueTimeoutError(
                        f"{describe(call.tool, call.payload)} waited {self._queue_timeout:g}"
                        f" s for {handle.describe()} (queue_timeout) and never ran"
                    )
                raise self._timed_out(handle, call, timeout, stop_on_timeout)
            kind, data, size = event
            if kind == ITEM:
                call.items += 1
                try:
                    yield (DELIVER, data)
                except BaseException:  # a failing (or stopped) consumer stops the stream
                    self._give_up(handle, call)
                    raise
                credit_items, credit_bytes = credit_items + 1, credit_bytes + size
                if credit_due(credit_items, credit_bytes):
                    handle.credit(call, credit_items, credit_bytes)
                    credit_items = credit_bytes = 0
            elif kind == STARTED:
                queue_deadline = None
            elif kind == DONE:
                return data
            elif kind == DIED:
                raise Died(data)
            elif kind == UNSENT:
                raise Unsent(data)
            else:
                assert kind == CLOSED
                raise ClientClosedError(
                    f"the client was closed before {describe(call.tool, call.payload)}"
                    f" finished ({data})"
                )

    def _timed_out(
        self, handle: WorkerHandle, call: Call, timeout: float | None, stop: bool
    ) -> CallTimeoutError:
        name = describe(call.tool, call.payload)
        reason = None
        if stop:
            reason = stopped_reason(handle.describe(), name, call.session, timeout or 0.0)
        state = handle.abandon(call, kill_reason=reason)
        if state == QUEUED and call.counted:
            self._end(handle, call.session, released=False)
        started = state != QUEUED and stop
        return timeout_error(name, call.session, timeout, handle.describe(), started=started)

    def _give_up(self, handle: WorkerHandle, call: Call) -> None:
        """The caller stops waiting: a queued call never runs, a running stream stops, and
        what the call still sends back is discarded (its refs released)."""
        if handle.abandon(call) == QUEUED and call.counted:
            self._end(handle, call.session, released=False)
        call.events.drain(self._discard_event)

    def _discard_event(self, event: Event) -> None:
        """Release the refs an unread item or result carries (see ``Call.on_discard``).

        Runs in the reader thread, which must not wait for a worker: the releases are
        sent from a thread of their own, only when there is something to release.
        """
        kind, data, _size = event
        if kind == DONE:
            data = data.get("result") if isinstance(data, dict) and data.get("ok") else None
        elif kind != ITEM:
            return
        refs = wire_refs_in(data)
        if refs and not self._workers.closed:
            threading.Thread(
                target=release_wire_refs, args=(self, refs), name="runtime-pool-discard"
            ).start()

    # -- routing ----------------------------------------------------------------------------

    def _route(self, session: str | None, deadline: float | None) -> WorkerHandle:
        """The worker for a call of ``session`` (caller holds the lock); waits while every
        worker is being replaced."""
        handle = self._workers[self._affinity.begin(session, self._workers.live_indexes(deadline))]
        assert handle is not None  # a dead worker's sessions are unpinned at once
        return handle

    def _end(
        self, handle: WorkerHandle, session: str | None, *, released: bool, held: int | None = None
    ) -> None:
        with self._cond:
            if not self._workers.holds(handle):
                return  # the worker is gone; its sessions were unpinned with it
            self._affinity.end(session, handle.index, released=released, held=held)
            if released and session is not None:
                self._lost.forget(session)

    # -- workers ----------------------------------------------------------------------------

    def _new_handle(self, index: int) -> WorkerHandle:
        return WorkerHandle(
            index,
            self._context,
            self._limits,
            self._helpers,
            self._strict_sessions,
            on_done=self._call_done,
            on_exit=self._workers.exited,
        )

    def _call_done(self, handle: WorkerHandle, call: Call, response: Any, held: int | None) -> None:
        released = (
            call.tool == TOOL_RELEASE_SESSION
            and isinstance(response, dict)
            and response.get("ok") is True
        )
        self._end(handle, call.session, released=released, held=held)

    def _vacated(self, index: int, reason: str) -> None:
        """A worker exited (lock held): its sessions' refs are gone with it."""
        for session in self._affinity.drop_slot(index):
            self._lost.note(session, reason)


_OPEN: weakref.WeakSet[PoolClient] = weakref.WeakSet()


@atexit.register
def _close_open_pools() -> None:
    # Registered after multiprocessing's own exit hook, so it runs first: workers are
    # stopped before multiprocessing would wait for them.
    for pool in list(_OPEN):
        pool.close(timeout=1.0)
