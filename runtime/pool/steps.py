"""A pool call as steps, so that one implementation serves the sync and the async client.

``PoolClient.call_steps`` yields ``(WAIT, call, seconds)`` when it needs the call's next
event and ``(DELIVER, item)`` for each stream item; a driver answers each step. The sync
driver here blocks its thread on the call's :class:`ThreadEvents`; the async one
(:mod:`runtime.pool.aio`) awaits them on the event loop. Whatever the driver's side
raises (an interrupt, a failing callback, a cancelled task) is thrown in at the step.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Final, TypeVar

from runtime.driving import drive
from runtime.pool.handle import ThreadEvents

T = TypeVar("T")

WAIT: Final = "wait"
DELIVER: Final = "deliver"

PoolSteps = Generator[tuple[Any, ...], Any, T]


def drive_sync(steps: PoolSteps[T], callback: Callable[[Any], None] | None) -> T:
    """Run ``steps`` in this thread; stream items go to ``callback``."""

    def perform(step: tuple[Any, ...]) -> Any:
        if step[0] == WAIT:
            events = step[1].events
            assert isinstance(events, ThreadEvents)
            return events.get(step[2])
        if callback is not None:
            callback(step[1])
        return None

    return drive(steps, perform)
