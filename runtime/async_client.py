"""Any synchronous client, awaited: its dispatches run in threads, in the task's context.

``LocalClient`` (target code runs in this process: something must run it off the event
loop) and any other client without a native ``aio`` twin are used this way by
:mod:`runtime.aio`. Calls run in the loop's default executor; a stream gets a thread of
its own for its lifetime (a slow consumer must not starve other calls of executor
threads), handing items over through a bounded buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import AsyncGenerator, Callable
from typing import Any, Final

from runtime.client import AsyncRuntimeClient, RuntimeClient
from runtime.discard import release_wire_refs, wire_refs_in

DEFAULT_STREAM_BUFFER: Final = 16
"""Items a stream may run ahead of its consumer before the producer waits."""

_END: Final = object()


class StreamClosedError(Exception):
    """Raised in a stream's producer when its consumer has stopped (or its loop closed)."""


def async_client_for(client: RuntimeClient) -> AsyncRuntimeClient:
    """The async twin of ``client``: its ``aio`` attribute if it has one, else a thread adapter."""
    native = getattr(client, "aio", None)
    if native is not None:
        twin: AsyncRuntimeClient = native
        return twin
    return ThreadedAsyncClient(client)


class _Outcome:
    """Whether a threaded call's result reached its awaiting task or must be discarded."""

    __slots__ = ("abandoned", "delivered", "lock", "result")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.abandoned = False
        self.delivered = False
        self.result: Any = None


class ThreadedAsyncClient:
    """Adapts a synchronous :class:`RuntimeClient` to :class:`AsyncRuntimeClient`.

    Each call runs the client's ``execute`` in the running loop's default executor, in a
    copy of the awaiting task's context (its context session and auto-session included),
    so the event loop keeps running meanwhile. A task cancelled while its call runs gets
    ``CancelledError`` at once; the call itself cannot be stopped, so it runs to its end
    and every ref in its result is then released. Deadlines, errors and worker deaths
    are the wrapped client's. ``stream_buffer`` bounds how far a stream runs ahead.
    """

    def __init__(self, client: RuntimeClient, *, stream_buffer: int = DEFAULT_STREAM_BUFFER):
        if not isinstance(stream_buffer, int) or stream_buffer < 1:
            raise ValueError(f"stream_buffer must be an int >= 1, got {stream_buffer!r}")
        self.client = client
        self.stream_buffer = stream_buffer

    async def execute(self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /) -> Any:
        """Run ``client.execute`` in a thread; a cancelled caller's result is discarded."""
        loop = asyncio.get_running_loop()
        outcome = _Outcome()
        context = contextvars.copy_context()
        running = loop.run_in_executor(
            None, context.run, self._execute, outcome, tool, payload, opts
        )
        try:
            return await running
        except asyncio.CancelledError:
            with outcome.lock:
                outcome.abandoned = True
                finished = outcome.delivered
            if finished:  # done, but the result never reached us: discard it off the loop
                loop.run_in_executor(None, context.run, self._discard, outcome.result)
            raise

    def _execute(
        self, outcome: _Outcome, tool: str, payload: dict[str, Any], opts: dict[str, Any]
    ) -> Any:
        result = self.client.execute(tool, payload, opts)
        with outcome.lock:
            if not outcome.abandoned:
                outcome.delivered, outcome.result = True, result
                return result
        self._discard(result)
        return None

    def _discard(self, result: Any) -> None:
        """Release every ref in the wire result of a call nobody awaits any more."""
        release_wire_refs(self.client, wire_refs_in(result))

    async def execute_stream(
        self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /
    ) -> AsyncGenerator[Any, None]:
        """Items of ``client.execute_stream``, produced in a thread of the stream's own.

        The producer waits while ``stream_buffer`` items are unread; when the consumer
        stops (``aclose()``, a ``break`` in ``async with``, a cancelled task), the
        producer's next item raises in its callback, which stops the worker's iteration.
        """
        loop = asyncio.get_running_loop()
        handoff = _Handoff(loop, self.stream_buffer, self._discard)
        failure: list[BaseException] = []
        context = contextvars.copy_context()
        producer = threading.Thread(
            target=context.run,
            args=(self._produce, handoff, failure, tool, payload, opts),
            name="runtime-aio-stream",
            daemon=True,
        )
        producer.start()
        try:
            while (item := await handoff.get()) is not _END:
                yield item
            if failure:
                raise failure[0]
        finally:
            handoff.close()

    def _produce(
        self,
        handoff: _Handoff,
        failure: list[BaseException],
        tool: str,
        payload: dict[str, Any],
        opts: dict[str, Any],
    ) -> None:
        try:
            self.client.execute_stream(tool, payload, handoff.put, opts)
        except StreamClosedError:
            return  # the consumer stopped: nobody is left to tell
        except BaseException as exc:  # delivered to the consumer, in its task
            failure.append(exc)
        handoff.finish()


class _Handoff:
    """Items from a producer thread to a consumer task, at most ``capacity`` unread."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, capacity: int, discard: Callable[[Any], None]
    ) -> None:
        self._loop = loop
        self._items: asyncio.Queue[Any] = asyncio.Queue()
        self._room = threading.Semaphore(capacity)
        self._closed = False
        self._discard = discard  # frees the refs of an item that is never read

    def put(self, item: Any) -> None:
        """Producer side: wait for room, then hand ``item`` over; raise once closed."""
        self._room.acquire()
        if self._closed:
            self._room.release()  # wake the next waiter too, if any
            self._discard(item)
            raise StreamClosedError("the stream's consumer has stopped")
        self._send(item)

    def finish(self) -> None:
        """Producer side: the stream has ended (its outcome is already recorded)."""
        with contextlib.suppress(StreamClosedError):
            self._send(_END)

    def _send(self, item: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._push, item)
        except RuntimeError:  # the loop is closed: no consumer can read it any more
            if item is not _END:
                self._discard(item)
            raise StreamClosedError("the stream's event loop is closed") from None

    def _push(self, item: Any) -> None:
        if self._closed and item is not _END:
            self._spill([item])
        else:
            self._items.put_nowait(item)

    def _spill(self, items: list[Any]) -> None:
        """Free unread items off the loop (releasing refs dispatches)."""
        if items:
            self._loop.run_in_executor(None, self._discard, items)

    async def get(self) -> Any:
        """Consumer side: the next item (or ``_END``), making room for one more."""
        item = await self._items.get()
        if item is not _END:
            self._room.release()
        return item

    def close(self) -> None:
        """Consumer side: stop the producer at its next item (or now, if it is waiting);
        the items it sent that were never read are freed."""
        self._closed = True
        self._room.release()
        unread = []
        while not self._items.empty():
            item = self._items.get_nowait()
            if item is not _END:
                unread.append(item)
        self._spill(unread)
