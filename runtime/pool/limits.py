"""Checks and small types shared by the pool's modules: timeouts, deadlines, death events."""

from __future__ import annotations

import math
import time


class Died(Exception):
    """The worker died while running the call (its outcome is unknown)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unsent(Died):
    """The worker died before the call started: it never ran."""


def check_timeout(value: object, source: str) -> float | None:
    """A timeout in seconds: ``None`` (or infinity) for none, else a number > 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{source} must be a number of seconds, got {value!r}")
    if not value > 0:
        raise ValueError(f"{source} must be > 0 seconds, got {value!r}")
    return None if math.isinf(value) else float(value)


def deadline_after(timeout: float | None) -> float | None:
    """The ``time.monotonic()`` value ``timeout`` seconds from now (``None``: no deadline)."""
    return None if timeout is None else time.monotonic() + timeout
