"""Ambient sessions on ``contextvars``: the context session and each flow's auto-session.

A context session set by :func:`with_session` follows ``contextvars`` rules: it is
copied into asyncio tasks created inside the block and never leaks out of it. The
auto-session belongs to the flow (thread or asyncio task) that created it; a task or
thread that inherits a context never reuses its parent's auto-session, so two flows
never share refs by accident.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import uuid
import weakref
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar, cast

from runtime.errors import InvalidSessionIdError

F = TypeVar("F", bound=Callable[..., Any])

AUTO_PREFIX = "auto_"


@dataclass(frozen=True)
class SessionContext:
    """The context session of the current flow (what :func:`with_session` set)."""

    session_id: str


@dataclass(frozen=True)
class _AutoSession:
    session_id: str
    owner: weakref.ref[object]


_context: ContextVar[SessionContext | None] = ContextVar("runtime_session_context", default=None)
_auto: ContextVar[_AutoSession | None] = ContextVar("runtime_auto_session", default=None)


def check_session_id(value: object, source: str) -> str:
    """Return ``value`` if it is a non-empty ``str``, else raise naming ``source``."""
    if not isinstance(value, str) or not value:
        raise InvalidSessionIdError(source, value)
    return value


def new_session_id(prefix: str = "session_") -> str:
    """A fresh, unique session id."""
    return f"{prefix}{uuid.uuid4().hex}"


def current_context() -> SessionContext | None:
    """The context session set by the innermost :func:`with_session`, or ``None``."""
    return _context.get()


def current_session_id() -> str:
    """The AMBIENT session: the context session, else this flow's auto-session.

    Call paths never use this for a payload or for routing; they use
    ``resolve_session_id``, which consults it only after every explicit source.
    """
    context = _context.get()
    if context is not None:
        return context.session_id
    return auto_session_id()


def auto_session_id() -> str:
    """This flow's auto-session id (``auto_<uuid>``), created on first use."""
    owner = _flow_owner()
    auto = _auto.get()
    if auto is None or auto.owner() is not owner:
        auto = _AutoSession(new_session_id(AUTO_PREFIX), weakref.ref(owner))
        _auto.set(auto)
    return auto.session_id


def peek_auto_session() -> str | None:
    """This flow's auto-session id if it exists; never creates one."""
    auto = _auto.get()
    if auto is None or auto.owner() is not _flow_owner():
        return None
    return auto.session_id


def clear_current() -> None:
    """Forget the context session in the current context (an enclosing block restores it)."""
    _context.set(None)


def clear_auto_session() -> None:
    """Forget this flow's auto-session without releasing its refs (see release_auto_session)."""
    _auto.set(None)


def _flow_owner() -> object:
    # A flow is the running asyncio task, else the thread.
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running event loop in this thread
        task = None
    return task if task is not None else threading.current_thread()


class SessionScope:
    """Context manager and decorator returned by :func:`with_session`."""

    def __init__(self, session_id: str | None = None) -> None:
        if session_id is not None:
            check_session_id(session_id, "with_session(session_id)")
        self._requested = session_id
        self._tokens: list[Token[SessionContext | None]] = []

    def __enter__(self) -> str:
        session_id = self._requested or new_session_id()
        self._tokens.append(_context.set(SessionContext(session_id)))
        return session_id

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _context.reset(self._tokens.pop())

    def __call__(self, func: F) -> F:
        # Each call gets its own scope, so a generated id is fresh per call.
        requested = self._requested
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with SessionScope(requested):
                    return await func(*args, **kwargs)

            return cast(F, run_async)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with SessionScope(requested):
                return func(*args, **kwargs)

        return cast(F, run)


def with_session(session_id: str | None = None) -> SessionScope:
    """Set the context session for a block or a decorated function; nests and restores.

    ``with with_session() as sid:`` generates a fresh id; a bad id raises
    ``InvalidSessionIdError``.
    """
    return SessionScope(session_id)
