"""Support for the PoolClient tests: target functions the workers import, and pool helpers."""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from runtime import PoolClient


class PoolTargets:
    """A module binding for this module (the workers import it by name)."""

    __snakebridge_python_name__ = __name__
    __snakebridge_library__ = "tests"


def session(name: str) -> dict[str, Any]:
    """``**opts`` that route a call under ``name``."""
    return {"__runtime__": {"session_id": name}}


# -- functions run inside the workers ------------------------------------------------------


def add(a: int, b: int = 0) -> int:
    """A picklable helper."""
    return a + b


def pid() -> int:
    """The process id of the worker running the call."""
    return os.getpid()


def wait_for_file(path: str, limit: float = 10.0) -> Iterator[str]:
    """Yield ``"first"``, wait until ``path`` exists, then yield ``"second"``.

    The caller creates the file when it receives the first item, so the stream only
    finishes if items reach the caller while the generator is still running.
    """
    yield "first"
    end = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise TimeoutError(f"{path} never appeared: items were not streamed as made")
        time.sleep(0.005)
    yield "second"


def forever() -> Iterator[int]:
    """An endless stream."""
    n = 0
    while True:
        yield n
        n += 1


def touch_and_sleep(path: str, seconds: float) -> None:
    """Create ``path`` (the call has started), then sleep."""
    with open(path, "w"):
        pass
    time.sleep(seconds)


def hang(path: str) -> None:
    """Create ``path`` (the call has started), then wait on an event nobody ever sets."""
    with open(path, "w"):
        pass
    threading.Event().wait()


def hold_until(started: str, release: str) -> int:
    """Create ``started``, wait until ``release`` exists, return the worker's pid."""
    with open(started, "w"):
        pass
    while not os.path.exists(release):
        time.sleep(0.002)
    return os.getpid()


def spin_in_c(path: str) -> int:
    """Create ``path``, then stay busy in one C call that holds the GIL (for a long time)."""
    with open(path, "w"):
        pass
    return sum(itertools.repeat(1, 10**13))


def sleep_long(path: str) -> None:
    """Create ``path``, then sleep 1000 s."""
    with open(path, "w"):
        pass
    time.sleep(1000)


def exit_once(path: str) -> str:
    """Record an attempt in ``path``; the first attempt kills its worker, later ones answer."""
    with open(path, "a") as log:
        log.write("attempt\n")
    with open(path) as log:
        if len(log.readlines()) == 1:
            os._exit(3)
    return "answered"


def exit_always(path: str) -> None:
    """Record an attempt in ``path`` and kill the worker."""
    with open(path, "a") as log:
        log.write("attempt\n")
    os._exit(3)


def big_items(count: int, size: int) -> Iterator[str]:
    """``count`` strings of ``size`` characters each, made one at a time."""
    for index in range(count):
        yield chr(ord("a") + index % 26) * size


def _refuse() -> None:
    raise RuntimeError("this helper cannot be loaded in a worker")


class Unloadable:
    """A helper that pickles but cannot be unpickled: its worker dies while starting."""

    def __call__(self) -> None:
        return None

    def __reduce__(self) -> tuple[Any, ...]:
        return (_refuse, ())


# -- pools ------------------------------------------------------------------------------


def gone(pid: int) -> bool:
    """True when no process has this pid: the worker exited and was reaped (no zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def ended(pid: int) -> bool:
    """True when ``pid`` runs no more: gone, or a zombie its new parent has not reaped yet."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return gone(pid)
    return state in ("Z", "X")


def rss_bytes(pid: int | str = "self") -> int:
    """Resident set size of a process, from ``/proc`` (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise LookupError(f"no VmRSS for process {pid}")


def wait_until(predicate: Any, limit: float = 10.0) -> bool:
    """Poll ``predicate()`` until true or ``limit`` seconds passed; return its last value."""
    end = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > end:
            return bool(predicate())
        time.sleep(0.01)
    return True


@contextmanager
def closing_pool(workers: int = 2, **kwargs: Any) -> Iterator[PoolClient]:
    """A pool that is always closed, whose workers are checked to be gone afterwards."""
    pool = PoolClient(workers, **kwargs)
    started = set(pool.pids)
    try:
        yield pool
    finally:
        seen = started | set(pool.pids)
        pool.close()
        assert pool.pids == []
        assert all(gone(p) for p in seen), "a worker process outlived close()"
