"""Failure semantics of the process clients, in one place: which error, which cause, when retried.

``PoolClient`` uses these helpers, and any other client that runs calls in processes it
can lose (a Ray client, say) should use them too, so that users see one behaviour:

- a call whose deadline passes while it runs stops its worker: the caller gets
  :func:`timeout_error` (``CallTimeoutError``), the worker is replaced, and the sessions
  that lived on it get ``RefNotFoundError`` with :func:`lost_refs_note` naming
  :func:`stopped_reason` as the cause;
- a call whose deadline passes before it starts never runs (:func:`timeout_error` with
  ``started=False``);
- a worker that dies fails its running call with :func:`worker_died_error`, unless
  :func:`should_retry` allows one retry on another worker (the payload says
  ``idempotent=True``, it is the first attempt, and no stream item was delivered);
- calls that were waiting for a dead worker never ran: they are re-routed or failed as
  the affinity mode says (:func:`never_started_error`);
- a session's lost-refs note lasts until the session is released (:class:`LostSessions`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Final

from runtime.errors import CallTimeoutError, RefNotFoundError, WorkerDiedError

DEFAULT_MAX_LOST_NOTES: Final = 10_000


def describe(tool: str, payload: object) -> str:
    """A short name for a call in error messages: ``snakebridge.call dynamic time.sleep``."""
    if not isinstance(payload, Mapping):
        return tool
    module = payload.get("module_path") or payload.get("python_module")
    name = payload.get("function") or payload.get("attr") or payload.get("helper")
    target = ".".join(str(part) for part in (module, name) if part)
    return " ".join(str(part) for part in (tool, payload.get("call_type"), target) if part)


def stopped_reason(worker: str, call: str, session: str | None, timeout: float) -> str:
    """Why a worker was stopped by a deadline (the cause its sessions' errors name)."""
    return f"{worker} was stopped: {call} in session {session!r} timed out after {timeout:g} s"


def timeout_error(
    call: str, session: str | None, timeout: float | None, worker: str, *, started: bool
) -> CallTimeoutError:
    """The caller's error when ``call``'s deadline passed (``timeout`` seconds)."""
    limit = "its deadline" if timeout is None else f"{timeout:g} s"
    if started:
        tail = (
            "; that worker was stopped and is being replaced, and the refs of the sessions"
            " on it are lost"
        )
    else:
        tail = ": it was waiting for its worker and never started"
    return CallTimeoutError(
        f"{call} in session {session!r} timed out after {limit} on {worker}{tail}"
    )


def worker_died_error(reason: str, call: str, *, retried: bool) -> WorkerDiedError:
    """The caller's error when the worker running ``call`` died (``reason``: how)."""
    again = " (it had already been retried once, as its payload is idempotent)" if retried else ""
    return WorkerDiedError(
        f"{reason} while running {call}{again}: the call's outcome is unknown and the refs"
        " of the worker's sessions are lost"
    )


def never_started_error(reason: str, call: str) -> WorkerDiedError:
    """The error of a call that was waiting for a worker that died: it never ran."""
    return WorkerDiedError(
        f"{reason} before {call} started: the call never ran (it is safe to send again)"
    )


def should_retry(payload: object, attempts: int, items_delivered: int) -> bool:
    """The crash barrier: retry once, on another worker, only what is safe to run twice."""
    return (
        attempts == 1
        and items_delivered == 0
        and isinstance(payload, Mapping)
        and payload.get("idempotent") is True
    )


def lost_refs_note(session: str, reason: str) -> str:
    """The cause a lost session's ``RefNotFoundError`` carries."""
    return f"session {session!r} lost its refs when {reason}"


class LostSessions:
    """Sessions whose refs a dead or stopped worker took along, with the cause: bounded.

    Not thread-safe by itself. The oldest notes go first past ``limit``; a note ends when
    its session is released.
    """

    def __init__(self, limit: int = DEFAULT_MAX_LOST_NOTES) -> None:
        self._notes: OrderedDict[str, str] = OrderedDict()
        self._limit = limit

    def note(self, session: str, reason: str) -> None:
        self._notes[session] = lost_refs_note(session, reason)
        self._notes.move_to_end(session)
        while len(self._notes) > self._limit:
            self._notes.popitem(last=False)

    def forget(self, session: str) -> None:
        self._notes.pop(session, None)

    def explain(self, session: str | None, error: RefNotFoundError) -> RefNotFoundError:
        """``error`` with the session's cause appended, when it has one."""
        note = None if session is None else self._notes.get(session)
        return error if note is None else RefNotFoundError(f"{error.message} ({note})")

    def __len__(self) -> int:
        return len(self._notes)
