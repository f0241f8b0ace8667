"""The client protocol and client selection: a process default and a context-local override."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol, Self, runtime_checkable


@runtime_checkable
class RuntimeClient(Protocol):
    """Sends payloads to a worker; ``opts`` is the routing dict with ``opts["session_id"]``.

    ``execute`` returns the wire-encoded result; ``execute_stream`` calls ``callback`` with
    each wire-encoded item. Failures raise ``runtime`` errors.
    """

    def execute(self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /) -> Any: ...

    def execute_stream(
        self,
        tool: str,
        payload: dict[str, Any],
        callback: Callable[[Any], None],
        opts: dict[str, Any],
        /,
    ) -> None: ...


@runtime_checkable
class AsyncRuntimeClient(Protocol):
    """The asyncio twin of :class:`RuntimeClient`, used by :mod:`runtime.aio`.

    ``execute`` is a coroutine returning the wire-encoded result. ``execute_stream``
    returns an async iterator of wire-encoded items that waits for the worker (the worker
    waits while the consumer is slow); closing it early (``aclose()``) stops the
    worker's iteration. Cancelling an awaiting task discards the call's result: nothing
    it made is left behind. Failures raise the same ``runtime`` errors as the sync client.
    A sync client offers its native twin as its ``aio`` attribute; any other one is
    adapted by running it in threads (:class:`runtime.async_client.ThreadedAsyncClient`).
    """

    async def execute(self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /) -> Any: ...

    def execute_stream(
        self, tool: str, payload: dict[str, Any], opts: dict[str, Any], /
    ) -> AsyncIterator[Any]: ...


class ClosingClient:
    """A client that holds workers: use it as a context manager, whose exit closes it."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_lock = threading.Lock()
_default: RuntimeClient | None = None
_scoped: ContextVar[RuntimeClient | None] = ContextVar("runtime_client", default=None)


def set_client(client: RuntimeClient | None) -> RuntimeClient | None:
    """Set the process-wide default client; return the previous one.

    ``None`` restores the built-in default (a ``LocalClient`` created on first use), so
    ``set_client(previous)`` always undoes a ``set_client``.
    """
    global _default
    with _lock:
        previous, _default = _default, client
    return previous


@contextmanager
def using_client(client: RuntimeClient) -> Iterator[RuntimeClient]:
    """Use ``client`` in this context only (this thread or task and what it spawns)."""
    token = _scoped.set(client)
    try:
        yield client
    finally:
        _scoped.reset(token)


def get_client() -> RuntimeClient:
    """The client for a dispatch: ``using_client``'s, else the process default."""
    scoped = _scoped.get()
    if scoped is not None:
        return scoped
    global _default
    with _lock:
        if _default is None:
            from runtime.local_client import LocalClient  # late: LocalClient imports us

            _default = LocalClient()
        return _default
