"""Session affinity for ``PoolClient``: which worker slot each routing session is pinned to.

Not thread-safe by itself: the pool calls it under its own lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class _Pin:
    slot: int
    in_flight: int = 0


class Affinity:
    """Sticky placement: a session stays on its slot until released or its worker dies.

    A new session goes to the live slot holding the fewest sessions (the lowest index on a
    tie). A call without a routing session is placed the same way but pins nothing.
    """

    def __init__(self, slots: int) -> None:
        self._pins: dict[str, _Pin] = {}
        self._load = [0] * slots

    def slot_of(self, session: str) -> int | None:
        """The slot ``session`` is pinned to, if any."""
        pin = self._pins.get(session)
        return None if pin is None else pin.slot

    def begin(self, session: str | None, live: Sequence[int]) -> int:
        """The slot for a call of ``session`` (pinning it if new); counts the call in flight."""
        pin = None if session is None else self._pins.get(session)
        if pin is None:
            slot = min(live, key=lambda index: (self._load[index], index))
            if session is None:
                return slot
            pin = self._pins[session] = _Pin(slot)
            self._load[slot] += 1
        pin.in_flight += 1
        return pin.slot

    def end(self, session: str | None, slot: int, *, released: bool = False) -> None:
        """A call of ``session`` finished on ``slot``; ``released`` if it freed the session.

        A released session is unpinned only when none of its calls is still in flight, as
        such a call may have been sent after the release and have made refs there.
        """
        pin = None if session is None else self._pins.get(session)
        if session is None or pin is None or pin.slot != slot:
            return
        pin.in_flight -= 1
        if released and pin.in_flight == 0:
            del self._pins[session]
            self._load[slot] -= 1

    def drop_slot(self, slot: int) -> list[str]:
        """Unpin every session of ``slot`` (its worker died); return them, sorted."""
        lost = sorted(session for session, pin in self._pins.items() if pin.slot == slot)
        for session in lost:
            del self._pins[session]
        self._load[slot] = 0
        return lost

    def load(self) -> list[int]:
        """How many sessions each slot holds."""
        return list(self._load)
