"""Auto-sessions: the session of a flow that set none, and their release when the flow ends.

An auto-session lives in the ``contextvars`` context, so whatever runs in that context
shares it: ``asyncio.to_thread`` and ``contextvars.copy_context().run`` included. Only a
new asyncio task gets its own (it inherits a copy of its parent's context, but a task
is a new flow, so two tasks never share refs by accident).

It is released when no flow can reach it any more: when the context that holds it is
freed (a thread's context, at thread end) or when the asyncio task that created it is
done. The end is only noted at that moment (a finalizer must not block or dispatch);
the release itself goes to every client the session was used with, at the next
dispatch of any flow, or at once with ``runtime.release_ended_sessions()``.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
import weakref
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Final

AUTO_PREFIX: Final = "auto_"

ClientRef = Callable[[], Any]
"""Gives back a client the session was used with, or ``None`` once it is gone."""

_ended: deque[tuple[str, list[ClientRef]]] = deque()


class _AutoSession:
    """One flow's auto-session; noted as ended when it is dropped or its task is done."""

    __slots__ = ("__weakref__", "clients", "end", "session_id", "task")

    def __init__(self, task: asyncio.Task[Any] | None) -> None:
        self.session_id = f"{AUTO_PREFIX}{uuid.uuid4().hex}"
        self.task = weakref.ref(task) if task is not None else None
        self.clients: dict[int, ClientRef] = {}
        # The callback must not refer to self, or the session would never be dropped.
        self.end = weakref.finalize(self, _note_ended, self.session_id, self.clients)
        self.end.atexit = False  # at interpreter exit nobody is left to release it for
        if task is not None:
            task.add_done_callback(functools.partial(_end_when_done, self.end))

    def remember(self, client: object) -> None:
        key = id(client)
        if key not in self.clients:
            try:
                self.clients[key] = weakref.ref(client)
            except TypeError:  # a client that takes no weak references is kept alive
                self.clients[key] = lambda: client


_auto: ContextVar[_AutoSession | None] = ContextVar("runtime_auto_session", default=None)


def _end_when_done(end: weakref.finalize[Any, Any], _task: object) -> None:
    end()


def _note_ended(session_id: str, clients: dict[int, ClientRef]) -> None:
    if clients:
        _ended.append((session_id, list(clients.values())))


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running event loop in this thread
        return None


def _own(auto: _AutoSession | None) -> _AutoSession | None:
    """``auto`` if this flow may use it: any flow in the context, except another task."""
    if auto is None:
        return None
    task = _current_task()
    if task is not None and (auto.task is None or auto.task() is not task):
        return None
    return auto


def auto_session_id() -> str:
    """This flow's auto-session id (``auto_<uuid>``), created on first use."""
    auto = _own(_auto.get())
    if auto is None:
        auto = _AutoSession(_current_task())
        _auto.set(auto)
    return auto.session_id


def peek_auto_session() -> str | None:
    """This flow's auto-session id if it exists; never creates one."""
    auto = _own(_auto.get())
    return auto.session_id if auto is not None else None


def clear_auto_session() -> None:
    """Forget this flow's auto-session without releasing its refs (see release_auto_session)."""
    auto = _own(_auto.get())
    if auto is not None:
        auto.end.detach()
    _auto.set(None)


def note_dispatch(session_id: str, client: object) -> None:
    """Remember that this flow's auto-session was sent to ``client`` (to release it there)."""
    auto = _auto.get()
    if auto is not None and auto.session_id == session_id:
        auto.remember(client)


def take_ended_sessions() -> list[tuple[str, list[ClientRef]]]:
    """Auto-sessions whose flows ended since the last call, with the clients they used."""
    taken = []
    while _ended:
        try:
            taken.append(_ended.popleft())
        except IndexError:  # another thread took the last one
            break
    return taken


def has_ended_sessions() -> bool:
    """True when some auto-session ended and was not released yet (a cheap check)."""
    return bool(_ended)
