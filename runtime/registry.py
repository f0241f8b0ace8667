"""Worker-side ref registry: objects keyed by (session, ref id), bounded per session."""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Final

from runtime.errors import RefLimitError, RefNotFoundError, SessionMismatchError
from runtime.wire import REF_TYPE

DEFAULT_MAX_REFS_PER_SESSION: Final = 10_000


@dataclass(frozen=True)
class Entry:
    """A stored object and its wire kind (``"ref"`` or ``"stream_ref"``)."""

    obj: object
    kind: str = REF_TYPE


class RefRegistry:
    """Refs per session. ``lock`` guards every operation (a no-op lock by default).

    Ref ids are unique across sessions, so a ref looked up under a session that does not
    own it is reported as a ``SessionMismatchError`` rather than as missing.
    """

    def __init__(
        self,
        max_refs_per_session: int = DEFAULT_MAX_REFS_PER_SESSION,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        if max_refs_per_session < 1:
            raise ValueError(f"max_refs_per_session must be >= 1, got {max_refs_per_session}")
        self.max_refs_per_session = max_refs_per_session
        self._lock: AbstractContextManager[Any] = lock if lock is not None else nullcontext()
        self._sessions: dict[str, dict[str, Entry]] = {}
        self._owner: dict[str, str] = {}

    def add(self, session_id: str, obj: object, kind: str = REF_TYPE) -> str:
        """Store ``obj`` under ``session_id``; return its new ref id."""
        ref_id = uuid.uuid4().hex
        with self._lock:
            refs = self._sessions.get(session_id, {})
            if len(refs) >= self.max_refs_per_session:
                raise RefLimitError(
                    f"session {session_id!r} already holds {self.max_refs_per_session} refs"
                    " (max_refs_per_session): release refs with release_ref or"
                    " release_session, or raise the limit"
                )
            refs[ref_id] = Entry(obj, kind)
            self._sessions[session_id] = refs
            self._owner[ref_id] = session_id
        return ref_id

    def get(self, session_id: str, ref_id: str) -> Entry:
        """The entry of ``ref_id`` if ``session_id`` owns it."""
        with self._lock:
            entry = self._sessions.get(session_id, {}).get(ref_id)
            owner = self._owner.get(ref_id)
        if entry is not None:
            return entry
        if owner is not None:
            raise SessionMismatchError(
                f"ref {ref_id!r} belongs to session {owner!r}, not {session_id!r}"
            )
        raise RefNotFoundError(f"ref {ref_id!r} not found in session {session_id!r}")

    def remove(self, session_id: str, ref_id: str) -> bool:
        """Free one ref; ``False`` if it was already gone. Another session's ref raises."""
        with self._lock:
            owner = self._owner.get(ref_id)
            if owner is None:
                return False
            if owner != session_id:
                raise SessionMismatchError(
                    f"ref {ref_id!r} belongs to session {owner!r}; cannot release it"
                    f" under {session_id!r}"
                )
            refs = self._sessions[session_id]
            del refs[ref_id], self._owner[ref_id]
            if not refs:
                del self._sessions[session_id]
            return True

    def remove_session(self, session_id: str) -> int:
        """Free every ref of ``session_id``; return how many there were."""
        with self._lock:
            refs = self._sessions.pop(session_id, {})
            for ref_id in refs:
                del self._owner[ref_id]
            return len(refs)

    def ref_ids(self, session_id: str) -> list[str]:
        """Ids of the refs ``session_id`` holds, sorted."""
        with self._lock:
            return sorted(self._sessions.get(session_id, {}))

    def snapshot(self) -> dict[str, frozenset[str]]:
        """Every session with its ref ids (sessions without refs are absent)."""
        with self._lock:
            return {sid: frozenset(refs) for sid, refs in self._sessions.items()}

    def __len__(self) -> int:
        with self._lock:
            return len(self._owner)
