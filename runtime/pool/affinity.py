"""Session affinity for ``PoolClient``: which worker slot each routing session is pinned to.

Not thread-safe by itself: the pool calls it under its own lock.

A pin remembers whether its session holds refs on its worker (each answer says how many).
A session that holds refs is LIVE: it stays on its slot until released or its worker dies,
and it is what placement balances on. A session that holds none is IDLE: its pin is only
a preference, the ``max_idle_pins`` least recently used of them are kept, and in ``hint``
mode it moves to an idle worker when its own is busy.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from runtime.errors import WorkerBusyError

HINT: Final = "hint"
STRICT: Final = "strict"
FAIL_FAST: Final = "fail_fast"
MODES: Final = (HINT, STRICT, FAIL_FAST)
DEFAULT_MAX_IDLE_PINS: Final = 10_000


@dataclass
class _Pin:
    slot: int
    in_flight: int = 0
    holds_refs: bool = False


class Affinity:
    """Sticky placement of routing sessions on worker slots, per affinity ``mode``.

    A new session goes to the live slot with the fewest live sessions plus calls in
    flight, taking turns on a tie. A call without a routing session is placed the same
    way but pins nothing.
    """

    def __init__(
        self, slots: int, mode: str = HINT, max_idle_pins: int = DEFAULT_MAX_IDLE_PINS
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"affinity must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
        self.mode = mode
        self._pins: dict[str, _Pin] = {}
        self._idle: OrderedDict[str, None] = OrderedDict()  # idle pins, least recent first
        self._live = [0] * slots  # sessions holding refs, per slot
        self._busy = [0] * slots  # calls in flight, per slot
        self._max_idle = max_idle_pins
        self._turn = 0

    def slot_of(self, session: str) -> int | None:
        """The slot ``session`` is pinned to, if any."""
        pin = self._pins.get(session)
        return None if pin is None else pin.slot

    def begin(self, session: str | None, live: Sequence[int]) -> int:
        """The slot for a call of ``session`` (pinning it if new); counts the call in flight.

        Raises ``WorkerBusyError`` in ``fail_fast`` mode when the session's worker is busy.
        """
        pin = None if session is None else self._pins.get(session)
        if pin is None:
            slot = self._least_loaded(live)
            if session is not None:
                pin = self._pins[session] = _Pin(slot)
        elif self._busy[pin.slot]:
            if self.mode == FAIL_FAST:
                raise WorkerBusyError(
                    f"session {session!r}'s worker (slot {pin.slot}) is busy with another call"
                    " (affinity='fail_fast'); try again later"
                )
            idle = [index for index in live if not self._busy[index]]
            if self.mode == HINT and idle and not pin.holds_refs and not pin.in_flight:
                pin.slot = self._least_loaded(idle)  # nothing of it lives on its worker
        if pin is not None:
            pin.in_flight += 1
            assert session is not None
            self._idle.pop(session, None)
            slot = pin.slot
        self._busy[slot] += 1
        return slot

    def end(
        self, session: str | None, slot: int, *, released: bool = False, held: int | None = None
    ) -> None:
        """A call of ``session`` finished on ``slot``.

        ``held``: how many refs the session now holds there (``None``: unknown);
        ``released``: the call freed the session. A released session is unpinned only when
        none of its calls is still in flight, as such a call may have made refs there.
        """
        self._busy[slot] -= 1
        pin = None if session is None else self._pins.get(session)
        if session is None or pin is None or pin.slot != slot:
            return
        pin.in_flight -= 1
        if held is not None and (held > 0) != pin.holds_refs:
            pin.holds_refs = held > 0
            self._live[slot] += 1 if pin.holds_refs else -1
        if pin.in_flight:
            return
        if released:
            self._unpin(session, pin)
        elif not pin.holds_refs:
            self._idle[session] = None
            while len(self._idle) > self._max_idle:
                oldest, _ = self._idle.popitem(last=False)
                del self._pins[oldest]

    def drop_slot(self, slot: int) -> list[str]:
        """Unpin every session of ``slot`` (its worker died); return those that may have lost
        refs (they held some, or had a call running that may have made some)."""
        gone = [session for session, pin in self._pins.items() if pin.slot == slot]
        lost = sorted(s for s in gone if self._pins[s].holds_refs or self._pins[s].in_flight)
        for session in gone:
            del self._pins[session]
            self._idle.pop(session, None)
        self._live[slot] = 0
        self._busy[slot] = 0
        return lost

    def busy(self, slot: int) -> bool:
        """Whether a call is in flight on ``slot``."""
        return self._busy[slot] > 0

    def load(self) -> list[int]:
        """How many live sessions (holding refs) each slot has."""
        return list(self._live)

    def __len__(self) -> int:
        """How many sessions are pinned."""
        return len(self._pins)

    def _unpin(self, session: str, pin: _Pin) -> None:
        del self._pins[session]
        self._idle.pop(session, None)
        if pin.holds_refs:
            self._live[pin.slot] -= 1

    def _least_loaded(self, live: Sequence[int]) -> int:
        load = {index: self._live[index] + self._busy[index] for index in live}
        least = min(load.values())
        tied = [index for index in live if load[index] == least]
        after = [index for index in tied if index >= self._turn]
        slot = (after or tied)[0]
        self._turn = slot + 1
        return slot
