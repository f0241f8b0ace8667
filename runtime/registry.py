"""Worker-side ref registry: objects keyed by (session, ref id), bounded three ways.

- per session (``max_refs_per_session``): a full session gets ``RefLimitError``, or
  loses its least recently used ref with ``ref_overflow="evict"``;
- overall (``max_refs``): the least recently used ref of any session is evicted, as
  SnakeBridge's Python adapter does;
- in time and number of sessions (``session_ttl``, ``max_sessions``): a session idle for
  ``session_ttl`` seconds is freed; a new session beyond ``max_sessions`` (after the idle
  ones are freed) gets ``SessionLimitError``.

Objects leave the registry under its lock but are finalized after it is released: a
generator's ``finally`` may block or call the runtime, and must stall nobody else.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Final, Literal

from runtime.errors import (
    RefLimitError,
    RefNotFoundError,
    SessionLimitError,
    SessionMismatchError,
)
from runtime.wire import REF_TYPE

DEFAULT_MAX_REFS_PER_SESSION: Final = 10_000
DEFAULT_MAX_REFS: Final = 100_000
LOST_NOTES: Final = 1_024
"""How many evicted or expired ref ids are remembered, to say why a ref is gone."""

RefOverflow = Literal["error", "evict"]


@dataclass(frozen=True)
class Entry:
    """A stored object and its wire kind (``"ref"`` or ``"stream_ref"``)."""

    obj: object
    kind: str = REF_TYPE


@dataclass(frozen=True)
class RegistryLimits:
    """The registry's bounds; ``None`` means unbounded."""

    max_refs_per_session: int = DEFAULT_MAX_REFS_PER_SESSION
    max_refs: int | None = DEFAULT_MAX_REFS
    max_sessions: int | None = None
    session_ttl: float | None = None
    ref_overflow: RefOverflow = "error"

    def __post_init__(self) -> None:
        for name in ("max_refs_per_session", "max_refs", "max_sessions"):
            value = getattr(self, name)
            if value is not None and (type(value) is not int or value < 1):
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        ttl = self.session_ttl
        if ttl is not None and (not isinstance(ttl, int | float) or not ttl > 0):
            raise ValueError(f"session_ttl must be a number of seconds > 0, got {ttl!r}")
        if self.ref_overflow not in ("error", "evict"):
            raise ValueError(f"ref_overflow must be 'error' or 'evict', got {self.ref_overflow!r}")


class RefRegistry:
    """Refs per session. ``lock`` guards every operation (a no-op lock by default).

    Ref ids are unique across sessions, so a ref looked up under a session that does not
    own it is reported as a ``SessionMismatchError`` rather than as missing (without
    naming the owner: one session's caller never learns another session's id).
    """

    def __init__(
        self,
        limits: RegistryLimits | None = None,
        lock: AbstractContextManager[Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits if limits is not None else RegistryLimits()
        self._lock: AbstractContextManager[Any] = lock if lock is not None else nullcontext()
        self._clock = clock
        # Both orders are least recently used first.
        self._sessions: dict[str, OrderedDict[str, Entry]] = {}
        self._recent: OrderedDict[str, str] = OrderedDict()  # ref id -> owning session
        self._last_used: OrderedDict[str, float] = OrderedDict()  # only with a session_ttl
        self._lost: OrderedDict[str, tuple[str, str]] = OrderedDict()  # ref id -> (session, why)

    @property
    def max_refs_per_session(self) -> int:
        return self.limits.max_refs_per_session

    # -- operations ---------------------------------------------------------------------

    def add(self, session_id: str, obj: object, kind: str = REF_TYPE) -> str:
        """Store ``obj`` under ``session_id``; return its new ref id."""
        ref_id = uuid.uuid4().hex
        dropped: list[Entry] = []
        with self._lock:
            self._expire(dropped)
            refs = self._sessions.get(session_id)
            if refs is None:
                self._check_session_room(session_id)
                refs = OrderedDict()
            if len(refs) >= self.limits.max_refs_per_session:
                if self.limits.ref_overflow == "error":
                    raise RefLimitError(
                        f"session {session_id!r} already holds"
                        f" {self.limits.max_refs_per_session} refs (max_refs_per_session):"
                        " release refs with release_ref or release_session, or raise the limit"
                    )
                oldest = next(iter(refs))
                dropped.append(self._evict(oldest, "max_refs_per_session"))
            max_refs = self.limits.max_refs
            if max_refs is not None and len(self._recent) >= max_refs:
                oldest = next(iter(self._recent))
                dropped.append(self._evict(oldest, "max_refs"))
            refs[ref_id] = Entry(obj, kind)
            self._sessions[session_id] = refs
            self._recent[ref_id] = session_id
            self._touch(session_id)
        dropped.clear()  # finalize evicted objects outside the lock
        return ref_id

    def get(self, session_id: str, ref_id: str) -> Entry:
        """The entry of ``ref_id`` if ``session_id`` owns it; marks it recently used."""
        dropped: list[Entry] = []
        with self._lock:
            self._expire(dropped)
            refs = self._sessions.get(session_id)
            entry = refs.get(ref_id) if refs is not None else None
            if refs is not None and entry is not None:
                refs.move_to_end(ref_id)
                self._recent.move_to_end(ref_id)
                self._touch(session_id)
                return entry
            owned_elsewhere = ref_id in self._recent
            lost = self._lost.get(ref_id)
        dropped.clear()
        if owned_elsewhere:
            raise SessionMismatchError(
                f"ref {ref_id!r} is not held by session {session_id!r}: a ref is used only"
                " under the session that created it"
            )
        if lost is not None and lost[0] == session_id:
            raise RefNotFoundError(f"ref {ref_id!r} of session {session_id!r} {lost[1]}")
        raise RefNotFoundError(f"ref {ref_id!r} not found in session {session_id!r}")

    def remove(self, session_id: str, ref_id: str) -> bool:
        """Free one ref; ``False`` if it was already gone. Another session's ref raises."""
        with self._lock:
            owner = self._recent.get(ref_id)
            if owner is None:
                return False
            if owner != session_id:
                raise SessionMismatchError(
                    f"ref {ref_id!r} is not held by session {session_id!r}; cannot release it"
                )
            entry = self._pop(ref_id, owner)
        del entry  # the object's last reference may go here, outside the lock
        return True

    def remove_session(self, session_id: str) -> int:
        """Free every ref of ``session_id``; return how many there were."""
        with self._lock:
            refs = self._sessions.pop(session_id, None)
            self._last_used.pop(session_id, None)
            for ref_id in refs or ():
                del self._recent[ref_id]
        count = len(refs or ())
        del refs  # finalize outside the lock
        return count

    def touch(self, session_id: str) -> None:
        """Note that ``session_id`` made a call, so its refs do not expire while in use."""
        if self.limits.session_ttl is None:
            return
        dropped: list[Entry] = []
        with self._lock:
            self._expire(dropped)  # first: a call must not revive a session already expired
            if session_id in self._sessions:
                self._touch(session_id)
        dropped.clear()

    def expire_idle(self) -> int:
        """Free every session idle for longer than ``session_ttl``; return how many refs."""
        dropped: list[Entry] = []
        with self._lock:
            self._expire(dropped)
        count = len(dropped)
        dropped.clear()
        return count

    # -- views --------------------------------------------------------------------------

    def ref_ids(self, session_id: str) -> list[str]:
        """Ids of the refs ``session_id`` holds, sorted."""
        with self._lock:
            return sorted(self._sessions.get(session_id, {}))

    def count(self, session_id: str) -> int:
        """How many refs ``session_id`` holds (no copy: a pool worker asks after every call)."""
        with self._lock:
            return len(self._sessions.get(session_id, ()))

    def snapshot(self) -> dict[str, frozenset[str]]:
        """Every session with its ref ids (sessions without refs are absent)."""
        with self._lock:
            return {sid: frozenset(refs) for sid, refs in self._sessions.items()}

    def sizes(self) -> dict[str, int]:
        """How many entries each internal table holds (all bounded; for tests and operators)."""
        with self._lock:
            return {
                "sessions": len(self._sessions),
                "refs": len(self._recent),
                "idle_clock": len(self._last_used),
                "lost_notes": len(self._lost),
            }

    def __len__(self) -> int:
        with self._lock:
            return len(self._recent)

    # -- under the lock -----------------------------------------------------------------

    def _check_session_room(self, session_id: str) -> None:
        max_sessions = self.limits.max_sessions
        if max_sessions is not None and len(self._sessions) >= max_sessions:
            raise SessionLimitError(
                f"cannot open session {session_id!r}: {max_sessions} sessions already hold"
                " refs (max_sessions); release sessions, set a session_ttl, or raise the limit"
            )

    def _touch(self, session_id: str) -> None:
        if self.limits.session_ttl is not None:
            self._last_used[session_id] = self._clock()
            self._last_used.move_to_end(session_id)

    def _expire(self, dropped: list[Entry]) -> None:
        ttl = self.limits.session_ttl
        if ttl is None or not self._last_used:
            return
        cutoff = self._clock() - ttl
        while self._last_used:
            session_id, used = next(iter(self._last_used.items()))
            if used > cutoff:
                return
            del self._last_used[session_id]
            for ref_id, entry in self._sessions.pop(session_id, {}).items():
                del self._recent[ref_id]
                self._note_lost(ref_id, session_id, f"expired: idle longer than {ttl:g} s")
                dropped.append(entry)

    def _evict(self, ref_id: str, limit: str) -> Entry:
        owner = self._recent[ref_id]
        self._note_lost(ref_id, owner, f"was evicted, least recently used, to respect {limit}")
        return self._pop(ref_id, owner)

    def _pop(self, ref_id: str, owner: str) -> Entry:
        refs = self._sessions[owner]
        entry = refs.pop(ref_id)
        del self._recent[ref_id]
        if not refs:
            del self._sessions[owner]
            self._last_used.pop(owner, None)
        return entry

    def _note_lost(self, ref_id: str, session_id: str, why: str) -> None:
        self._lost[ref_id] = (session_id, why)
        if len(self._lost) > LOST_NOTES:
            self._lost.popitem(last=False)
