"""The Ray actor behind ``RayClient``: one :class:`Adapter`, the same one ``PoolClient`` runs.

Calls run one at a time in the actor's default concurrency group, in the order they
arrive. A separate ``control`` group answers ``hello``, ``snapshot`` and ``cancel`` while a
call is running, so a caller whose deadline passed can ask whether its call is the one
running (then the actor is killed and restarted) or has not started (then it is skipped).
Every answer carries the actor's incarnation, a token new at each (re)start, so a
driver notices a restart it did not cause.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import ray

from runtime.adapter import Adapter, Helper, Response
from runtime.errors import PythonError
from runtime.pool.worker import routing_session
from runtime.registry import RegistryLimits

CONTROL: Final = "control"
"""The actor's concurrency group for calls that must answer while a call runs."""
ITEM: Final = "item"
DONE: Final = "done"
SKIPPED: Final = {"ok": True, "result": None, "skipped": True}
"""The response of a call whose caller gave up before it started."""

RUNNING: Final = "running"
FINISHED: Final = "finished"
PENDING: Final = "pending"

_KEPT: Final = 1024


@dataclass(frozen=True)
class Identity:
    """Who answered: slot ``index`` of a pool of ``size``, started by client ``owner``."""

    index: int
    size: int
    owner: str
    pid: int
    incarnation: str


class AdapterActor:
    """A Ray actor (decorated by ``RayClient`` with its options) running one ``Adapter``."""

    def __init__(
        self,
        index: int,
        size: int,
        owner: str,
        limits: RegistryLimits,
        helpers: Mapping[str, Helper],
    ) -> None:
        # The control group reads the registry while a call writes it: hence the lock.
        self._adapter = Adapter(
            max_refs_per_session=limits.max_refs_per_session,
            max_refs=limits.max_refs,
            max_sessions=limits.max_sessions,
            session_ttl=limits.session_ttl,
            ref_overflow=limits.ref_overflow,
            lock=threading.Lock(),
            helpers=helpers,
        )
        self._identity = Identity(index, size, owner, os.getpid(), uuid.uuid4().hex)
        self._state = threading.Lock()
        self._running: str | None = None
        self._cancelled: OrderedDict[str, None] = OrderedDict()  # to skip when they arrive
        self._finished: OrderedDict[str, None] = OrderedDict()  # recently ended

    # -- calls (default group: one at a time) ---------------------------------------------

    def call(
        self, request_id: str, tool: str, payload: Any, routed: str | None, strict: bool
    ) -> tuple[str, Response]:
        """Run one payload; ``(incarnation, response)``.

        ``strict``: refuse a payload whose session is not the routing session
        (``SessionMismatchError``), instead of storing its refs where routing sent it.
        """
        if not self._start(request_id):
            return self._identity.incarnation, dict(SKIPPED)
        try:
            response = self._adapter.handle(tool, payload, routing_session(payload, routed, strict))
        finally:
            self._finish()
        return self._identity.incarnation, response

    def stream(
        self, request_id: str, tool: str, payload: Any, routed: str | None, strict: bool
    ) -> Iterator[tuple[str, Any]]:
        """A Ray streaming generator: ``(ITEM, item)`` for each item, then ``(DONE, response)``.

        The adapter pushes items to a callback; a one-item handoff turns them into yields,
        so the target's generator advances only as fast as Ray's backpressure lets this
        generator run. Closing this generator (``ray.cancel``) stops the target at its next
        item.
        """
        if not self._start(request_id):
            yield DONE, (self._identity.incarnation, dict(SKIPPED))
            return
        handoff = _Handoff()
        session = routing_session(payload, routed, strict)

        def produce() -> None:
            try:
                response = self._adapter.handle_stream(tool, payload, handoff.put, session)
            except _Stopped:
                return
            except BaseException as exc:  # e.g. SystemExit: the handoff is the only way out
                response = {"ok": False, "error": PythonError.from_exception(exc).to_wire()}
            with contextlib.suppress(_Stopped):
                handoff.finish(response)

        producer = threading.Thread(target=produce, name="runtime-ray-stream", daemon=True)
        producer.start()
        try:
            while True:
                kind, data = handoff.get()
                if kind == DONE:
                    yield DONE, (self._identity.incarnation, data)
                    return
                yield ITEM, data
        finally:
            handoff.stop()
            producer.join()
            self._finish()

    # -- control (answers while a call runs) -----------------------------------------------

    @ray.method(concurrency_group=CONTROL)
    def hello(self) -> Identity:
        """This actor's identity (index, pool size, owner, pid, incarnation)."""
        return self._identity

    @ray.method(concurrency_group=CONTROL)
    def snapshot(self) -> tuple[str, dict[str, frozenset[str]]]:
        """``(incarnation, {session: ref ids})``."""
        return self._identity.incarnation, self._adapter.registry.snapshot()

    @ray.method(concurrency_group=CONTROL)
    def cancel(self, request_id: str) -> str:
        """``RUNNING``, ``FINISHED``, or ``PENDING`` (then it is skipped if it ever arrives)."""
        with self._state:
            if self._running == request_id:
                return RUNNING
            if request_id in self._finished:
                return FINISHED
            _remember(self._cancelled, request_id)
            return PENDING

    def _start(self, request_id: str) -> bool:
        with self._state:
            if request_id in self._cancelled:
                del self._cancelled[request_id]
                return False
            self._running = request_id
            return True

    def _finish(self) -> None:
        with self._state:
            if self._running is not None:
                _remember(self._finished, self._running)
            self._running = None


def _remember(ids: OrderedDict[str, None], request_id: str) -> None:
    """Add ``request_id``, keeping only the most recent ``_KEPT`` ids."""
    ids[request_id] = None
    while len(ids) > _KEPT:
        ids.popitem(last=False)


class _Stopped(Exception):
    """Raised out of the adapter's ``emit`` when the stream's consumer went away."""


class _Handoff:
    """One slot between the thread running a stream and the generator yielding its items."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: tuple[str, Any] | None = None
        self._stopped = False

    def put(self, item: Any) -> None:
        self._offer((ITEM, item))

    def finish(self, response: Response) -> None:
        self._offer((DONE, response))

    def _offer(self, entry: tuple[str, Any]) -> None:
        with self._cond:
            while self._item is not None and not self._stopped:
                self._cond.wait()
            if self._stopped:
                raise _Stopped
            self._item = entry
            self._cond.notify_all()

    def get(self) -> tuple[str, Any]:
        with self._cond:
            while self._item is None:
                self._cond.wait()
            entry, self._item = self._item, None
            self._cond.notify_all()
            return entry

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
