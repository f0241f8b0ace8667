"""Per-document debouncing: the latest request wins, earlier ones are dropped unrun.

Typing sends a change per keystroke; each schedules a check of its document after a
quiet period, cancelling the one still waiting. A check already running (in the worker
thread) cannot be interrupted: its result is dropped when the buffer has moved on (the
server compares versions), and the newer check follows it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Debouncer:
    def __init__(self, run: Callable[[str], Awaitable[None]]) -> None:
        self._run = run
        self._pending: dict[str, asyncio.Task[None]] = {}
        self.cancelled = 0  # requests superseded before they ran (tests count them)

    def schedule(self, uri: str, delay: float) -> None:
        """Check ``uri`` after ``delay`` seconds unless asked again meanwhile."""
        self.cancel(uri)
        self._pending[uri] = asyncio.get_running_loop().create_task(self._later(uri, delay))

    def cancel(self, uri: str) -> None:
        waiting = self._pending.pop(uri, None)
        if waiting is not None and not waiting.done():
            waiting.cancel()
            self.cancelled += 1

    async def _later(self, uri: str, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        # from here on the check runs to its end: a newer request must not cancel it
        # half-way (the engine's thread would go on anyway); it waits behind it instead
        if self._pending.get(uri) is asyncio.current_task():
            del self._pending[uri]
        await self._run(uri)
