"""Targets for the asyncio tests, run by LocalClient in process and by pool workers alike.

They synchronise with the test through files (a worker process sees the file system, not
the test's events): a target creates one file to say it has started, or waits for one.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from typing import Any, Final


class AioTargets:
    """A module binding for this module."""

    __snakebridge_python_name__ = __name__
    __snakebridge_library__ = "tests"


def wait_for_path(path: str, limit: float = 20.0) -> bool:
    """Wait until ``path`` exists: ``True``, or ``False`` once ``limit`` seconds passed."""
    end = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > end:
            return False
        time.sleep(0.002)
    return True


def make_after(started: str, release: str) -> object:
    """Say it started, wait for ``release``, then return an object (a ref for the caller)."""
    with open(started, "w"):
        pass
    wait_for_path(release)
    return object()


def endless(closed: str, gate: str | None = None) -> Iterator[int]:
    """``0, 1, 2, ...``; after item 2 each next item waits for ``gate`` if given. Creates
    ``closed`` when the generator is closed (its consumer stopped it)."""
    try:
        n = 0
        while True:
            if gate is not None and n > 2:
                wait_for_path(gate)
            yield n
            n += 1
    finally:
        with open(closed, "w"):
            pass


PROGRESS: dict[str, Any] = {"produced": 0, "done": False}
"""How far :func:`counted` got (read by the in-process backpressure test)."""


def counted(n: int) -> Iterator[int]:
    """Yield ``0..n-1``, counting each item in ``PROGRESS`` before it is handed on."""
    PROGRESS.update(produced=0, done=False)
    for i in range(n):
        PROGRESS["produced"] = i + 1
        yield i
    PROGRESS["done"] = True


def boxes_noting(progress: str, n: int) -> Iterator[object]:
    """Yield ``n`` non-JSON objects (a ref each), writing how many were made to ``progress``."""
    for i in range(n):
        temporary = f"{progress}.tmp"
        with open(temporary, "w") as out:
            out.write(str(i + 1))
        os.replace(temporary, progress)  # whole numbers only, for a reader in another process
        yield {i: "non-str key"}


def made(progress: str) -> int:
    """How many items :func:`boxes_noting` has made so far."""
    try:
        with open(progress) as source:
            return int(source.read())
    except FileNotFoundError:
        return 0


TICKS: Final = 200


async def ticks_during_a_long_call(release: str) -> tuple[bool, int]:
    """Await a call that only ends once a ticker task has ticked ``TICKS`` times.

    Returns whether the call was released (``False`` if the loop was blocked: the call
    then gives up after its limit) and how many ticks there were. Ticks are counted,
    never timed.
    """
    import runtime.aio  # late: worker processes import this module too

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1
            if ticks == TICKS:
                with open(release, "w"):  # only a running loop gets here
                    pass

    ticking = asyncio.create_task(ticker())
    try:
        released = await runtime.aio.call(AioTargets, "wait_for_path", [release])
    finally:
        ticking.cancel()
    return released, ticks
