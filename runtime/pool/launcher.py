"""The one long-lived thread that starts every pool worker process.

``PR_SET_PDEATHSIG`` (see :mod:`runtime.pool.worker`) fires when the THREAD that started
a child ends, not the process: a worker started by a short-lived thread (a replacement
thread, or a caller's thread that ends) would be killed with it. So every start runs in
this daemon thread, which lives as long as the process, one start at a time.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future


class _Launcher:
    """One daemon thread that starts every worker process, and lives as long as the process."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], None], Future[None]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, start: Callable[[], None]) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._serve, name="runtime-pool-launcher", daemon=True
                )
                self._thread.start()
        done: Future[None] = Future()
        self._jobs.put((start, done))
        done.result()

    def _serve(self) -> None:
        while True:
            start, done = self._jobs.get()
            try:
                start()
            except BaseException as exc:
                done.set_exception(exc)
            else:
                done.set_result(None)


_LAUNCHER = _Launcher()


def launch(start: Callable[[], None]) -> None:
    """Run ``start`` in the launcher thread; return when it returns, or raise what it raised."""
    _LAUNCHER.run(start)
