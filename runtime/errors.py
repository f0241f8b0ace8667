"""Error types of the runtime, and their plain-data form for crossing a process boundary."""

from __future__ import annotations

import builtins
import difflib
import traceback as _traceback
from typing import Any


class BridgeError(Exception):
    """Base class of every error the runtime raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_wire(self) -> dict[str, Any]:
        """Plain data that :func:`error_from_wire` turns back into an equal error."""
        return {"kind": type(self).__name__, "message": self.message}

    def __reduce__(self) -> tuple[Any, ...]:
        # Custom __init__ signatures break default exception pickling; go through the data.
        return (error_from_wire, (self.to_wire(),))


class InvalidSessionIdError(BridgeError, ValueError):
    """A session source holds something other than a non-empty ``str``.

    ``source`` names where the bad value came from (e.g. ``"__runtime__['session_id']"``);
    ``value`` is the bad value (its ``repr`` once it has crossed a process boundary).
    """

    def __init__(self, source: str, value: object, message: str | None = None) -> None:
        super().__init__(
            message or f"invalid session id from {source}: {value!r} (need a non-empty str)"
        )
        self.source = source
        self.value = value

    def to_wire(self) -> dict[str, Any]:
        return {**super().to_wire(), "source": self.source, "value": repr(self.value)}


class InvalidRuntimeOptionError(BridgeError, ValueError):
    """A ``__runtime__`` option the runtime does not know, or one this client cannot honour.

    ``key`` is the offending option; ``known`` the options the runtime accepts.
    """

    def __init__(self, key: str, known: tuple[str, ...], message: str | None = None) -> None:
        super().__init__(message or _unknown_option_message(key, known))
        self.key = key
        self.known = known

    def to_wire(self) -> dict[str, Any]:
        return {**super().to_wire(), "key": self.key, "known": list(self.known)}


def _unknown_option_message(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown __runtime__ option {key!r}{hint}; known options: {', '.join(known)}"


class InvalidRefError(BridgeError, ValueError):
    """A value that should be a ref (or its wire form) is malformed or of the wrong kind."""


class RefNotFoundError(BridgeError, LookupError):
    """The worker holds no ref with this id (never created, released, or session freed)."""


class SessionMismatchError(BridgeError):
    """A ref or payload was used under a session other than the one that owns it."""


class RefLimitError(BridgeError):
    """A session already holds the maximum number of refs the worker allows."""


class SessionLimitError(BridgeError):
    """A new session would exceed the worker's ``max_sessions`` (idle ones already freed)."""


class ProtocolError(BridgeError):
    """A payload the worker cannot understand (unknown tool or call type, bad version)."""


class WireEncodingError(BridgeError, TypeError):
    """An argument that is neither JSON-like nor a ref cannot be sent to a worker."""


class CallTimeoutError(BridgeError, TimeoutError):
    """A call took longer than its ``__runtime__`` ``timeout``; its result, if any, is dropped."""


class WorkerDiedError(BridgeError):
    """The worker process running a call died before answering (the call's outcome is unknown)."""


class ClientClosedError(BridgeError):
    """The client was closed: no new calls, and calls still waiting were stopped."""


class PythonError(BridgeError):
    """The target Python code raised; carries the remote type name, message and traceback."""

    def __init__(self, python_type: str, message: str, traceback: str = "") -> None:
        BridgeError.__init__(self, message)
        self.python_type = python_type
        self.traceback = traceback

    def __str__(self) -> str:
        return f"{self.python_type}: {self.message}"

    @classmethod
    def from_exception(cls, exc: BaseException) -> PythonError:
        """Capture ``exc`` as data: qualified type name, message and formatted traceback."""
        kind = type(exc)
        name = kind.__qualname__
        if kind.__module__ != builtins.__name__:
            name = f"{kind.__module__}.{name}"
        text = "".join(_traceback.format_exception(exc))
        return cls(name, str(exc), text)

    def to_wire(self) -> dict[str, Any]:
        return {**super().to_wire(), "python_type": self.python_type, "traceback": self.traceback}


_SIMPLE_KINDS: dict[str, type[BridgeError]] = {
    cls.__name__: cls
    for cls in (
        BridgeError,
        InvalidRefError,
        RefNotFoundError,
        SessionMismatchError,
        RefLimitError,
        SessionLimitError,
        ProtocolError,
        WireEncodingError,
        CallTimeoutError,
        WorkerDiedError,
        ClientClosedError,
    )
}


class WorkerBusyError(BridgeError):
    """``affinity="fail_fast"``: the session's worker is busy with another call."""


class QueueFullError(BridgeError):
    """A pool's queue of calls waiting for a worker is full (``max_queue``)."""


class QueueTimeoutError(BridgeError, TimeoutError):
    """A call waited longer than the pool's ``queue_timeout`` for its worker; it never ran."""


_SIMPLE_KINDS.update(
    {cls.__name__: cls for cls in (WorkerBusyError, QueueFullError, QueueTimeoutError)}
)


def error_from_wire(data: dict[str, Any]) -> BridgeError:
    """Rebuild the error an adapter reported as data (see ``BridgeError.to_wire``)."""
    kind = data.get("kind")
    message = str(data.get("message", ""))
    if kind == "PythonError":
        return PythonError(
            str(data.get("python_type", "Exception")), message, str(data.get("traceback", ""))
        )
    if kind == "InvalidSessionIdError":
        return InvalidSessionIdError(str(data.get("source", "?")), data.get("value"), message)
    if kind == "InvalidRuntimeOptionError":
        known = data.get("known")
        names = tuple(str(name) for name in known) if isinstance(known, list) else ()
        return InvalidRuntimeOptionError(str(data.get("key", "?")), names, message)
    cls = _SIMPLE_KINDS.get(str(kind))
    if cls is None:
        return ProtocolError(f"worker reported an unknown error kind {kind!r}: {message}")
    return cls(message)
