"""The caller's side of a ``RayClient`` stream: a Ray streaming generator, read item by
item until the deadline, with backpressure and a cancel on every way out but the end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Final

import ray
from ray.exceptions import GetTimeoutError

from runtime.errors import WorkerDiedError
from runtime.ray.actor import DONE, ITEM

STREAM_BACKPRESSURE: Final = 16
"""Items a stream's actor may produce ahead of the caller's callback before it waits."""


def run_stream(
    handle: Any, args: tuple[Any, ...], callback: Callable[[Any], None], deadline: float | None
) -> tuple[str, Any]:
    """Run ``handle.stream(*args)``; ``callback`` gets each item; ``(incarnation, response)``.

    Raises Ray's errors (``GetTimeoutError`` at the deadline) for the client to map.
    """
    stream = handle.stream.options(
        num_returns="streaming", _generator_backpressure_num_objects=STREAM_BACKPRESSURE
    ).remote(*args)
    finished = False
    try:
        for item_ref in _items(stream, deadline):
            kind, data = ray.get(item_ref, timeout=remaining(deadline))
            if kind == ITEM:
                callback(data)
            elif kind == DONE:
                finished = True
                return data  # type: ignore[no-any-return]
        raise WorkerDiedError("the stream ended without its final answer")
    finally:
        if not finished:  # a failing callback or a deadline: stop at the next item
            ray.cancel(stream)


def _items(stream: Any, deadline: float | None) -> Iterator[Any]:
    """The item refs of a Ray streaming generator, each waited for until ``deadline``."""
    while True:
        ready, _ = ray.wait([stream], timeout=remaining(deadline))
        if not ready or (deadline is not None and time.monotonic() > deadline):
            raise GetTimeoutError("stream item not ready before the deadline")
        try:
            yield next(stream)
        except StopIteration:
            return


def remaining(deadline: float | None) -> float | None:
    """Seconds left until ``deadline`` (``None``: no deadline), never negative."""
    return None if deadline is None else max(0.0, deadline - time.monotonic())
