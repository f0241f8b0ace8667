"""``PoolClient``'s native asyncio twin (``pool.aio``): no thread per call.

A call runs the very steps of the sync client (:meth:`PoolClient.call_steps`: routing,
affinity, deadlines, retries, worker deaths); only the waiting differs. Each worker's
reader thread, which already waits on that worker's pipe, hands a call's events to the
event loop (``call_soon_threadsafe`` wakes it through its own file descriptor), so an
awaiting task costs no thread and the loop runs on while a call does.

A task cancelled while its call waits in the queue drops the call (it never runs); one
cancelled while its call runs gets ``CancelledError`` at once, the call finishes on its
worker and the refs in its result are released. A deadline stops and replaces the
worker exactly as for a sync call. Closing a stream early stops the worker's generator
(the worker waits for credit that only a reading consumer sends: backpressure).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from runtime.driving import adrive, aiterate, one
from runtime.pool.handle import Discard, Event
from runtime.pool.steps import DELIVER, WAIT, PoolSteps
from runtime.pool.worker import CALL, STREAM

if TYPE_CHECKING:
    from runtime.pool.client import PoolClient


class LoopEvents:
    """A call's events, for a task on ``loop``; ``put`` may come from any thread."""

    __slots__ = ("_discard", "_events", "_loop", "_waiter")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._events: deque[Event] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._discard: Discard | None = None

    def put(self, event: Event) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            self._loop.call_soon_threadsafe(self._push, event)

    def _push(self, event: Event) -> None:
        if self._discard is not None:  # the waiter has gone
            self._discard(event)
            return
        self._events.append(event)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self, timeout: float | None) -> Event | None:
        """The next event, or ``None`` once ``timeout`` seconds passed without one."""
        if not self._events:
            self._waiter = self._loop.create_future()
            timer = None
            if timeout is not None:
                timer = self._loop.call_later(timeout, _wake, self._waiter)
            try:
                await self._waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
        return self._events.popleft() if self._events else None

    def drain(self, discard: Discard) -> None:
        # Events already scheduled on the loop but not pushed yet are discarded in _push.
        self._discard = discard
        while self._events:
            discard(self._events.popleft())


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class AsyncPoolClient:
    """The :class:`runtime.client.AsyncRuntimeClient` of one :class:`PoolClient`."""

    def __init__(self, pool: PoolClient) -> None:
        self.pool = pool

    def _steps(self, kind: str, tool: str, payload: dict[str, Any], opts: Any) -> PoolSteps[Any]:
        loop = asyncio.get_running_loop()
        new_events: Callable[[], LoopEvents] = lambda: LoopEvents(loop)  # noqa: E731
        return self.pool.call_steps(kind, tool, payload, opts, new_events)

    async def execute(self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /) -> Any:
        """Run ``payload`` on the routing session's worker; return the wire-encoded result."""
        return await adrive(self._steps(CALL, tool, payload, opts), _wait)

    def execute_stream(
        self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /
    ) -> AsyncGenerator[Any, None]:
        """The stream's wire items as they arrive; closing early stops the worker's side."""
        return aiterate(self._steps(STREAM, tool, payload, opts), _wait, _delivered)


def _delivered(step: tuple[Any, ...]) -> AsyncIterator[Any] | None:
    return one(step[1]) if step[0] == DELIVER else None


async def _wait(step: tuple[Any, ...]) -> Event | None:
    if step[0] != WAIT:
        raise RuntimeError(f"a pool call yielded {step[0]!r} outside a stream")
    events = step[1].events
    assert isinstance(events, LoopEvents)
    return await events.get(step[2])
