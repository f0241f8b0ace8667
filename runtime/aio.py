"""The asyncio API: every call path awaitable, streams as async iterators.

Each function here drives the same implementation as its synchronous twin in
:mod:`runtime.calls` (one per path, in :mod:`runtime.paths`): the session is resolved
once, from the running task's context, with the same precedence, and payload and
routing get that one value. Dispatches go to the async twin of the selected client
(``runtime.using_client`` / ``set_client``): its native ``aio`` client if it has one,
else a thread adapter (:class:`runtime.async_client.ThreadedAsyncClient`).

    async with runtime.aio.stream("builtins", "range", [3]) as items:
        async for item in items:
            ...

Cancelling an awaiting task raises ``CancelledError`` in it at once; the call's result
is discarded (its refs released). Stopping a stream (``break`` inside ``async with``,
``aclose()``, a cancelled task) stops the worker's iteration and frees its stream ref.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

from runtime import paths
from runtime.async_client import async_client_for
from runtime.auto_session import has_ended_sessions, note_dispatch, take_ended_sessions
from runtime.client import AsyncRuntimeClient, RuntimeClient, get_client
from runtime.context import with_session
from runtime.driving import adrive, aiterate, close_iterator, one
from runtime.errors import BridgeError
from runtime.paths import Dispatch, Item, Steps
from runtime.wire import RefLike

__all__ = [
    "AsyncStream",
    "call",
    "call_class",
    "call_dynamic",
    "call_helper",
    "call_method",
    "get_attr",
    "get_module_attr",
    "release_auto_session",
    "release_ended_sessions",
    "release_ref",
    "release_session",
    "set_attr",
    "stream",
    "stream_next",
    "with_session",
]

T = TypeVar("T")


async def _client(session_id: str) -> AsyncRuntimeClient:
    """The async twin of the client for a dispatch under ``session_id`` (see calls._client)."""
    if has_ended_sessions():
        await release_ended_sessions()
    client = get_client()
    note_dispatch(session_id, client)
    return async_client_for(client)


async def _execute(step: Dispatch | Item, client: RuntimeClient | None) -> Any:
    if isinstance(step, Item) or step.decode_item is not None:
        raise RuntimeError("a call path yielded a stream step outside a stream")
    target = async_client_for(client) if client is not None else await _client(step.session_id)
    return await target.execute(step.tool, step.payload, step.opts)


async def drive(steps: Steps[T], client: RuntimeClient | None = None) -> T:
    """Run a call path to its result, awaiting each dispatch it yields (through
    ``client``'s async twin, else the selected client's)."""
    return await adrive(steps, functools.partial(_execute, client=client))


def _items_of(step: Dispatch | Item) -> AsyncIterator[Any] | None:
    if isinstance(step, Item):
        return one(step.value)
    if step.decode_item is not None:
        return _streamed(step, step.decode_item)
    return None


async def _streamed(step: Dispatch, decode_item: Callable[[Any], Any]) -> AsyncIterator[Any]:
    target = await _client(step.session_id)
    items = target.execute_stream(step.tool, step.payload, step.opts)
    try:
        async for item in items:
            yield decode_item(item)
    finally:
        await close_iterator(items)


def _iterate(steps: Steps[None]) -> AsyncGenerator[Any, None]:
    """Drive a stream path, yielding its items to the consumer as they come."""
    return aiterate(steps, functools.partial(_execute, client=None), _items_of)


class AsyncStream:
    """The items of a stream, as an async iterator and an async context manager.

    ``async with`` closes it for sure when the block ends (a ``break`` or an error
    included); a stream dropped half-read without it is closed by the event loop soon
    after. Closing stops the worker's iteration and frees the stream's ref.
    """

    def __init__(self, items: AsyncGenerator[Any, None]) -> None:
        self._items = items

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    def __anext__(self) -> Awaitable[Any]:
        return self._items.__anext__()

    async def aclose(self) -> None:
        """Stop the stream now; harmless when it has ended already."""
        await self._items.aclose()

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def call(module: object, function: str, args: Sequence[Any] = (), **opts: Any) -> Any:
    """Call ``function`` of a binding's module; a ``str`` module goes to :func:`call_dynamic`."""
    return await drive(paths.call(module, function, args, opts))


async def call_dynamic(
    module_path: str, function: str, args: Sequence[Any] = (), **opts: Any
) -> Any:
    """Call ``function`` of the module at ``module_path`` (no binding needed)."""
    return await drive(paths.call_dynamic(module_path, function, args, opts))


async def get_module_attr(module: object, attr: str, **opts: Any) -> Any:
    """Read a module attribute (``math.pi``); ``module`` is a binding or a module path."""
    return await drive(paths.get_module_attr(module, attr, opts))


async def call_class(
    module: object, function: str = "__init__", args: Sequence[Any] = (), **opts: Any
) -> Any:
    """Construct an instance of a class binding (a ``Ref``), or call a class-level function."""
    return await drive(paths.call_class(module, function, args, opts))


async def call_method(ref: RefLike, method: str, args: Sequence[Any] = (), **opts: Any) -> Any:
    """Call ``method`` on the object behind ``ref``."""
    return await drive(paths.call_method(ref, method, args, opts))


async def get_attr(ref: RefLike, attr: str, **opts: Any) -> Any:
    """Read ``attr`` of the object behind ``ref``."""
    return await drive(paths.get_attr(ref, attr, opts))


async def set_attr(ref: RefLike, attr: str, value: Any, **opts: Any) -> None:
    """Set ``attr`` of the object behind ``ref`` to ``value`` (JSON-like data or a ref)."""
    await drive(paths.set_attr(ref, attr, value, opts))


async def call_helper(
    helper: str, args: Sequence[Any] = (), opts: Mapping[str, Any] | None = None, **kw: Any
) -> Any:
    """Call a worker helper, in the two forms of :func:`runtime.call_helper`."""
    return await drive(paths.call_helper(helper, args, opts, kw))


def stream(module: object, function: str, args: Sequence[Any] = (), **opts: Any) -> AsyncStream:
    """The items ``function`` yields, in order: ``async for item in stream(...)``.

    The session is resolved when iteration starts, in the iterating task. A binding
    streams in one dispatch, with backpressure (the worker waits while the consumer is
    slow); a ``str`` module path goes through ``call_dynamic`` and ``stream_next``.
    """
    return AsyncStream(_iterate(paths.stream(module, function, args, opts)))


async def stream_next(stream_ref: RefLike, **opts: Any) -> Any:
    """The next item of a stream, or ``END_OF_STREAM`` (the worker then frees the stream)."""
    return await drive(paths.stream_next(stream_ref, opts))


async def release_ref(ref: RefLike, **opts: Any) -> bool:
    """Free the object behind ``ref``; ``False`` if it was already gone."""
    return await drive(paths.release_ref(ref, opts))


async def release_session(session_id: str, **opts: Any) -> int:
    """Free every ref of ``session_id`` on its worker; return how many were freed."""
    return await drive(paths.release_session(session_id, opts))


async def release_auto_session(**opts: Any) -> str | None:
    """Release this task's auto-session on the worker and forget it; return its id."""
    return await drive(paths.release_auto_session(opts))


async def release_ended_sessions() -> int:
    """Release, on every client they used, the auto-sessions of flows that have ended."""
    ended = take_ended_sessions()
    for session_id, clients in ended:
        for client_ref in clients:
            client = client_ref()
            if client is not None:
                with contextlib.suppress(BridgeError):
                    await drive(paths.release_ended_session(session_id), client)
    return len(ended)
