"""Ambient sessions on ``contextvars``: the context session and each flow's auto-session.

A context session set by :func:`with_session` follows ``contextvars`` rules: it is
copied into asyncio tasks created inside the block and never leaks out of it. The
auto-session (see :mod:`runtime.auto_session`) is read when there is none.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar, cast

from runtime.auto_session import (
    AUTO_PREFIX,
    auto_session_id,
    clear_auto_session,
    peek_auto_session,
)
from runtime.errors import InvalidSessionIdError

__all__ = [
    "AUTO_PREFIX",
    "SessionContext",
    "SessionScope",
    "auto_session_id",
    "check_session_id",
    "clear_auto_session",
    "clear_current",
    "current_context",
    "current_session_id",
    "new_session_id",
    "peek_auto_session",
    "with_session",
]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class SessionContext:
    """The context session of the current flow (what :func:`with_session` set)."""

    session_id: str


_context: ContextVar[SessionContext | None] = ContextVar("runtime_session_context", default=None)
_open_scopes: ContextVar[tuple[tuple[SessionScope, Token[SessionContext | None]], ...]] = (
    ContextVar("runtime_open_session_scopes", default=())
)


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


def clear_current() -> None:
    """Forget the context session in the current context (an enclosing block restores it)."""
    _context.set(None)


class SessionScope:
    """Context manager and decorator returned by :func:`with_session`."""

    def __init__(self, session_id: str | None = None) -> None:
        if session_id is not None:
            check_session_id(session_id, "with_session(session_id)")
        self._requested = session_id

    def __enter__(self) -> str:
        session_id = self._requested or new_session_id()
        token = _context.set(SessionContext(session_id))
        # The token is kept in the context, not on the object: one scope object may be
        # entered by several threads or tasks at once, each restoring its own outer one.
        _open_scopes.set((*_open_scopes.get(), (self, token)))
        return session_id

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        scopes = _open_scopes.get()
        for index in range(len(scopes) - 1, -1, -1):
            if scopes[index][0] is self:
                _open_scopes.set(scopes[:index] + scopes[index + 1 :])
                _context.reset(scopes[index][1])
                return
        raise RuntimeError("with_session(...) exited in a flow that did not enter it")

    async def __aenter__(self) -> str:
        # ``async with`` works too; a task's context is its own, so scopes never mix.
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

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

    ``with`` and ``async with`` both work; in a coroutine the scope is its task's own.

    ``with with_session() as sid:`` generates a fresh id; a bad id raises
    ``InvalidSessionIdError``.
    """
    return SessionScope(session_id)
