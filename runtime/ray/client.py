"""``RayClient``: the runtime's :class:`Adapter` in a pool of named Ray actors."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

import ray
from ray.exceptions import ActorDiedError, GetTimeoutError, RayActorError, RayError

from runtime.adapter import Helper, unwrap_response
from runtime.client import ClosingClient
from runtime.context import check_session_id
from runtime.errors import (
    CallTimeoutError,
    ClientClosedError,
    ProtocolError,
    RefNotFoundError,
    WorkerBusyError,
    WorkerDiedError,
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
from runtime.pool.affinity import FAIL_FAST, HINT, STRICT
from runtime.pool.client import DEFAULT_CONTROL_TIMEOUT, ROUTING_SOURCE, TIMEOUT_SOURCE
from runtime.pool.limits import check_timeout
from runtime.ray.actor import FINISHED, PENDING, RUNNING
from runtime.ray.actors import RESTART_POLL, ActorPool
from runtime.ray.connect import connect, disconnect
from runtime.ray.routing import slot_for
from runtime.ray.slots import Slot
from runtime.ray.streams import remaining, run_stream
from runtime.registry import (
    DEFAULT_MAX_REFS,
    DEFAULT_MAX_REFS_PER_SESSION,
    RefOverflow,
    RegistryLimits,
)
from runtime.wire import TOOL_RELEASE_SESSION

DEFAULT_NAMESPACE: Final = "session-lint"
STREAM_STOP_GRACE: Final = 1.0
"""Seconds a late stream, cancelled, may take to stop at its next item before it is killed."""


class RayClient(ClosingClient):
    """``actors`` named Ray actors, each an :class:`Adapter`; a routing session sticks to one.

    The ROUTING session (``opts["session_id"]``) picks the actor by rendezvous hashing, so
    every driver that opens the pool under the same ``name`` and ``namespace`` with the same
    size sends a session to the same actor, with no shared table. Actors keep refs under
    the PAYLOAD's session, as ``PoolClient``'s workers do: a dispatcher that splits the two
    loses refs here.

    ``address=None`` starts a local cluster (``num_cpus``, no dashboard, an object store of
    ``object_store_memory`` bytes) unless Ray is already initialised in this process;
    ``address="auto"`` or ``"ray://host:port"`` connects to a running cluster. ``close()``
    kills the actors this client created and shuts Ray down only if this client started it.

    Failure semantics are ``PoolClient``'s (:mod:`runtime.failures`): a call past its
    deadline stops its actor, which Ray restarts (``CallTimeoutError``), unless it had not
    started; an actor that dies fails its running call with ``WorkerDiedError`` and the
    calls queued behind it as never started; afterwards its sessions' refs raise
    ``RefNotFoundError`` naming the cause; a payload with ``idempotent=True`` is retried
    once on the restarted actor. ``affinity`` is ``"strict"`` or ``"fail_fast"``
    (``WorkerBusyError`` when this client has a call running on the session's actor).
    Threads may share one client.

    ``max_refs_per_session``, ``max_refs``, ``max_sessions``, ``session_ttl`` and
    ``ref_overflow`` bound each actor's ref registry, as for :class:`Adapter`.
    """

    def __init__(
        self,
        actors: int = 2,
        *,
        name: str = "runtime",
        namespace: str = DEFAULT_NAMESPACE,
        address: str | None = None,
        num_cpus: int | None = None,
        object_store_memory: int | None = 100 * 1024 * 1024,
        init_options: Mapping[str, Any] | None = None,
        actor_options: Mapping[str, Any] | None = None,
        max_refs_per_session: int = DEFAULT_MAX_REFS_PER_SESSION,
        max_refs: int | None = DEFAULT_MAX_REFS,
        max_sessions: int | None = None,
        session_ttl: float | None = None,
        ref_overflow: RefOverflow = "error",
        helpers: Mapping[str, Helper] | None = None,
        timeout: float | None = None,
        affinity: str = STRICT,
        control_timeout: float = DEFAULT_CONTROL_TIMEOUT,
        strict_sessions: bool = False,
    ) -> None:
        if isinstance(actors, bool) or not isinstance(actors, int) or actors < 1:
            raise ValueError(f"actors must be an int >= 1, got {actors!r}")
        # Each actor's registry gets these bounds (see runtime.registry); checked here.
        limits = RegistryLimits(
            max_refs_per_session, max_refs, max_sessions, session_ttl, ref_overflow
        )
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty str, got {name!r}")
        if affinity not in (STRICT, FAIL_FAST):
            raise ValueError(
                f"affinity must be {STRICT!r} or {FAIL_FAST!r}, got {affinity!r}"
                + (
                    f": {HINT!r} would move sessions between actors, which the other drivers"
                    " of the pool could not know (they route by hashing)"
                    if affinity == HINT
                    else ""
                )
            )
        self._affinity = affinity
        self._timeout = check_timeout(timeout, "RayClient(timeout=...)")
        control = check_timeout(control_timeout, "RayClient(control_timeout=...)")
        self._control_timeout = DEFAULT_CONTROL_TIMEOUT if control is None else control
        self.name, self.namespace = name, namespace
        self._strict_sessions = bool(strict_sessions)
        self._lost = LostSessions()
        self._spread = itertools.count()
        self._started_ray = connect(
            address,
            namespace=namespace,
            num_cpus=num_cpus,
            object_store_memory=object_store_memory,
            init_options=init_options or {},
        )
        self._actors = ActorPool(
            name,
            namespace,
            actors,
            owner=uuid.uuid4().hex,
            limits=limits,
            helpers=helpers or {},
            actor_options={"num_cpus": 0, **(actor_options or {})},
        )
        self._lock, self._slots = self._actors.lock, self._actors.slots
        try:
            self._actors.open()
        except BaseException:
            if self._started_ray:
                disconnect()
            raise

    # -- the RuntimeClient protocol -----------------------------------------------------------

    def execute(self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /) -> Any:
        """Run ``payload`` on the routing session's actor; return the wire-encoded result."""
        return self._run(tool, payload, opts, None)

    def execute_stream(
        self,
        tool: str,
        payload: dict[str, Any],
        callback: Callable[[Any], None],
        opts: dict[str, Any],
        /,
    ) -> None:
        """Run a stream payload; ``callback`` gets each item, in this thread, as it is made.

        The actor runs at most ``STREAM_BACKPRESSURE`` (16, in :mod:`runtime.ray.streams`)
        items ahead of the callback.
        """
        self._run(tool, payload, opts, callback)

    # -- pool state -------------------------------------------------------------------------

    @property
    def pids(self) -> list[int]:
        """Process ids of the actors, by slot, as last seen (an actor restarts in a new one)."""
        with self._lock:
            if self._actors.closed:
                return []
            return [slot.pid for slot in self._slots if slot.pid is not None]

    @property
    def actor_names(self) -> list[str]:
        """The actors' names in :attr:`namespace`, by slot."""
        return [slot.name for slot in self._slots]

    def actor_index(self, session_id: str) -> int:
        """The slot ``session_id`` is routed to, in every driver that shares this pool."""
        return slot_for(check_session_id(session_id, "session_id"), len(self._slots))

    def worker_pid(self, session_id: str) -> int | None:
        """Process id of the actor holding ``session_id`` (``None``: not in use here)."""
        with self._lock:
            slot = self._slots[self.actor_index(session_id)]
            return slot.pid if session_id in slot.sessions else None

    def snapshot(self) -> dict[int, dict[str, frozenset[str]]]:
        """Every actor's refs: ``{pid: {session: ref ids}}`` (for tests and leaks)."""
        result: dict[int, dict[str, frozenset[str]]] = {}
        for slot in self._live_slots():
            assert slot.handle is not None
            try:
                _incarnation, held = ray.get(
                    slot.handle.snapshot.remote(), timeout=self._control_timeout
                )
            except RayError as exc:
                raise WorkerDiedError(f"actor {slot.index} did not answer: {exc}") from None
            if slot.pid is not None:
                result[slot.pid] = held
        return result

    # -- lifecycle --------------------------------------------------------------------------

    def close(self, timeout: float = 10.0) -> None:
        """Kill the actors this client created, then shut Ray down if it started it.

        Idempotent. Calls still running raise ``ClientClosedError``.
        """
        with self._lock:
            if self._actors.closed:
                return
        try:
            self._actors.close(timeout)
        finally:
            if self._started_ray:
                disconnect()

    def __repr__(self) -> str:
        state = "closed" if self._actors.closed else f"pids={self.pids}"
        return f"<RayClient {self.namespace}/{self.name} actors={len(self._slots)} {state}>"

    # -- calls ------------------------------------------------------------------------------

    def _run(
        self,
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
        deadline = None if timeout is None else time.monotonic() + timeout
        call = describe(tool, payload)
        delivered = [0]

        def deliver(item: Any) -> None:
            assert callback is not None
            delivered[0] += 1
            callback(item)

        attempts = 0
        while True:
            slot = self._route(session, deadline)
            attempts += 1
            try:
                response = self._attempt(
                    slot,
                    tool,
                    payload,
                    session,
                    None if callback is None else deliver,
                    deadline,
                    timeout,
                )
                break
            except _NeverStarted as never:
                raise never_started_error(never.reason, call) from None
            except _Died as died:
                if not should_retry(payload, attempts, delivered[0]):
                    raise worker_died_error(died.reason, call, retried=attempts > 1) from None
            finally:
                with self._lock:
                    slot.in_flight -= 1
        if tool == TOOL_RELEASE_SESSION and session is not None and response.get("ok") is True:
            with self._lock:
                slot.sessions.discard(session)
                self._lost.forget(session)
        try:
            return unwrap_response(response)
        except RefNotFoundError as exc:
            with self._lock:
                raise self._lost.explain(session, exc) from None

    def _attempt(
        self,
        slot: Slot,
        tool: str,
        payload: dict[str, Any],
        session: str | None,
        callback: Callable[[Any], None] | None,
        deadline: float | None,
        timeout: float | None,
    ) -> Any:
        """One try on ``slot``'s actor; the adapter's response."""
        handle, sent_to = slot.handle, slot.incarnation
        assert handle is not None
        request_id = uuid.uuid4().hex
        try:
            if callback is None:
                ref = handle.call.remote(request_id, tool, payload, session, self._strict_sessions)
                incarnation, response = ray.get(ref, timeout=remaining(deadline))
            else:
                args = (request_id, tool, payload, session, self._strict_sessions)
                incarnation, response = run_stream(handle, args, callback, deadline)
        except GetTimeoutError:
            assert timeout is not None
            raise self._timed_out(
                slot, request_id, tool, payload, session, timeout, stream=callback is not None
            ) from None
        except RayActorError as exc:
            stopped = None if sent_to is None else slot.stopped_while.get(sent_to)
            if stopped is not None and stopped[0] != request_id:
                raise _NeverStarted(stopped[1]) from None
            raise _Died(self._died(slot, sent_to, exc, tool, payload)) from None
        except RayError as exc:
            raise _Died(f"Ray failed: {_first_line(exc)}") from None
        self._seen(slot, incarnation)
        return response

    # -- failures ---------------------------------------------------------------------------

    def _timed_out(
        self,
        slot: Slot,
        request_id: str,
        tool: str,
        payload: Mapping[str, Any],
        session: str | None,
        timeout: float,
        *,
        stream: bool,
    ) -> CallTimeoutError:
        """Skip the call if it has not started; else kill its actor, which Ray restarts."""
        call = describe(tool, payload)
        handle = slot.handle
        assert handle is not None
        worker = f"actor {slot.index} (pid {slot.pid})"
        state = self._call_state(handle, request_id, stream)
        if state == PENDING:
            return timeout_error(call, session, timeout, worker, started=False)
        if state == FINISHED:  # it ended meanwhile, or a stream stopped at its next item
            return CallTimeoutError(
                f"{call} in session {session!r} timed out after {timeout:g} s on {worker};"
                " it has ended since and its result is dropped"
            )
        reason = stopped_reason(worker, call, session, timeout)
        with self._lock:
            if slot.incarnation is not None:
                slot.stopped_while[slot.incarnation] = (request_id, reason)
            self._mark_lost(slot, reason, slot.incarnation)
            ray.kill(handle, no_restart=False)
            self._actors.revive(slot)
        return timeout_error(call, session, timeout, worker, started=True)

    def _call_state(self, handle: Any, request_id: str, stream: bool) -> str | None:
        """The late call's state on its actor (``None``: no answer, the actor is wedged).

        A stream was cancelled on the way out and stops at its next item: it gets
        ``STREAM_STOP_GRACE`` seconds to do so before it counts as running.
        """
        end = time.monotonic() + (STREAM_STOP_GRACE if stream else 0.0)
        while True:
            try:
                state: str = ray.get(
                    handle.cancel.remote(request_id), timeout=self._control_timeout
                )
            except RayError:
                return None
            if state != RUNNING or time.monotonic() >= end:
                return state
            time.sleep(RESTART_POLL)

    def _died(
        self,
        slot: Slot,
        sent_to: str | None,
        exc: RayActorError,
        tool: str,
        payload: Mapping[str, Any],
    ) -> str:
        """Record the death of the actor a call was sent to; how it died."""
        with self._lock:
            if self._actors.closed:
                raise ClientClosedError(
                    f"the client was closed before {describe(tool, payload)} finished"
                )
            reason = f"actor {slot.index} (pid {slot.pid}) died ({_first_line(exc)})"
            self._mark_lost(slot, reason, sent_to)
            if isinstance(exc, ActorDiedError):
                slot.handle = None  # dead for good (killed by its owner): re-created
            self._actors.revive(slot)
        return reason

    def _mark_lost(self, slot: Slot, reason: str, incarnation: str | None) -> None:
        """Record why ``slot``'s sessions lost their refs (caller holds the lock)."""
        if incarnation is not None and incarnation != slot.incarnation:
            return  # an older incarnation's death: already recorded
        for session in slot.sessions:
            self._lost.note(session, reason)
        slot.forget_incarnation()

    def _seen(self, slot: Slot, incarnation: str) -> None:
        """An answer from ``incarnation``: notice a restart no call of ours saw."""
        with self._lock:
            if incarnation in slot.dead or incarnation == slot.incarnation:
                return
            if slot.incarnation is not None:  # restarted behind our back (another driver?)
                reason = f"actor {slot.index} (pid {slot.pid}) was restarted"
                self._mark_lost(slot, reason, None)
                self._actors.revive(slot)

    # -- actors -----------------------------------------------------------------------------

    def _route(self, session: str | None, deadline: float | None) -> Slot:
        """The slot for a call of ``session``; waits while its actor is restarting."""
        with self._lock:
            if self._actors.closed:
                raise ClientClosedError("this RayClient is closed")
            if session is None:
                slot = self._slots[next(self._spread) % len(self._slots)]
            else:
                slot = self._slots[slot_for(session, len(self._slots))]
                if self._affinity == FAIL_FAST and slot.in_flight:
                    raise WorkerBusyError(
                        f"session {session!r}'s actor ({slot.index}) is busy with another call"
                        " of this client (affinity='fail_fast'); try again later"
                    )
                slot.sessions.add(session)
        if not slot.ready.wait(remaining(deadline)):
            raise CallTimeoutError(f"actor {slot.index} was still restarting at the deadline")
        with self._lock:
            if self._actors.closed:
                raise ClientClosedError("this RayClient is closed")
            if slot.handle is None:
                raise WorkerDiedError(f"actor {slot.index} could not be restarted")
            slot.in_flight += 1
        return slot

    def _live_slots(self) -> list[Slot]:
        with self._lock:
            if self._actors.closed:
                raise ClientClosedError("this RayClient is closed")
            return [slot for slot in self._slots if slot.handle is not None]


class _Died(Exception):
    """The actor running the call died; ``reason`` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _NeverStarted(_Died):
    """The call was queued behind the one a deadline stopped its actor for: it never ran."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
