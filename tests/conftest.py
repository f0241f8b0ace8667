"""Suite-wide setup: Hypothesis profiles (``ci`` deterministic and bounded, ``dev`` deeper),
and a check that no test leaves a child process running."""

from __future__ import annotations

import contextlib
import glob
import multiprocessing
import os
from collections.abc import Iterator
from multiprocessing import resource_tracker

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "dev",
    max_examples=1000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _child_pids() -> set[int]:
    """Process ids of this process's live children (Linux ``/proc``; empty elsewhere)."""
    children: set[int] = set()
    for listing in glob.glob(f"/proc/{os.getpid()}/task/*/children"):
        with contextlib.suppress(OSError), open(listing) as lines:
            children.update(int(pid) for pid in lines.read().split())
    return {pid for pid in children if not _is_zombie(pid)}


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True  # gone already


@pytest.fixture(scope="session", autouse=True)
def _no_process_left_behind() -> Iterator[None]:
    """The whole suite fails if any test left a child process (a pool worker, say) running."""
    before = _child_pids()
    yield
    multiprocessing.active_children()  # reaps multiprocessing's children that just ended
    # multiprocessing's resource tracker lives as long as the interpreter, by design.
    tracker = getattr(resource_tracker._resource_tracker, "_pid", None)
    left = _child_pids() - before - {tracker}
    assert not left, f"tests left child processes running: {sorted(left)}"
