"""What a ``RayClient`` knows about one actor slot; guarded by the client's lock."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

_DEAD_KEPT = 64


@dataclass(eq=False)
class Slot:
    """Slot ``index``: its named actor, the incarnation answering now, the sessions it holds.

    ``incarnation`` is ``None`` between a death this client saw and the first answer of the
    restarted actor; answers of ``dead`` incarnations (calls that were in flight) are
    ignored. ``sessions`` are the routing sessions this client sent here and has not
    released: the ones whose refs a restart loses.
    """

    index: int
    name: str
    handle: Any = None  # a ray ActorHandle (untyped in Ray)
    owned: bool = False
    pid: int | None = None
    incarnation: str | None = None
    dead: deque[str] = field(default_factory=lambda: deque(maxlen=_DEAD_KEPT))
    sessions: set[str] = field(default_factory=set)
    # incarnation stopped by a deadline -> (the one call it was running, why it was
    # stopped): the calls queued behind that call never started
    stopped_while: dict[str, tuple[str, str]] = field(default_factory=dict)
    in_flight: int = 0  # calls of this client sent here and not answered
    ready: threading.Event = field(default_factory=threading.Event)  # identity known
    reviving: bool = False
    reviver: threading.Thread | None = None  # learning the restarted actor's identity

    def forget_incarnation(self) -> None:
        """The incarnation answering now died: its late answers are stale from now on."""
        if self.incarnation is not None:
            self.dead.append(self.incarnation)
        self.incarnation = None
        for old in list(self.stopped_while)[:-_DEAD_KEPT]:
            del self.stopped_while[old]
