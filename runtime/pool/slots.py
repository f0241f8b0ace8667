"""The pool's worker processes by slot: started, replaced when one exits, stopped on close.

:class:`PoolClient` decides where a call goes and how it ends; this module only keeps a
live worker in every slot it can. All state is guarded by the pool's condition, which the
pool shares so that routing and replacement see one consistent picture.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from runtime.errors import CallTimeoutError, ClientClosedError, WorkerDiedError
from runtime.pool.handle import WorkerHandle


class WorkerSlots:
    """``count`` slots, each holding a :class:`WorkerHandle` or ``None`` while replaced.

    ``new_handle(index)`` starts a worker for a slot; ``on_vacated(index, reason)`` is
    told (under the lock) that a slot's worker exited, before its replacement starts.
    """

    def __init__(
        self,
        count: int,
        new_handle: Callable[[int], WorkerHandle],
        on_vacated: Callable[[int, str], None],
        cond: threading.Condition,
        start_timeout: float,
    ) -> None:
        self._new_handle = new_handle
        self._on_vacated = on_vacated
        self._cond = cond
        self._start_timeout = start_timeout
        self._handles: list[WorkerHandle | None] = [None] * count
        self._replacing: set[int] = set()
        self._failures: dict[int, str] = {}
        self._stopped = threading.Event()
        self.closed = False

    def start(self) -> None:
        """Start every slot's worker and wait until each is ready; on failure stop them all."""
        handles: list[WorkerHandle] = []
        try:
            for index in range(len(self._handles)):
                handles.append(self._new_handle(index))
            for handle in handles:
                handle.wait_ready(self._start_timeout)
        except BaseException:
            for handle in handles:
                handle.begin_stop()
                handle.finish_stop(0)
            raise
        self._handles = list(handles)

    def __len__(self) -> int:
        return len(self._handles)

    def __getitem__(self, index: int) -> WorkerHandle | None:
        return self._handles[index]

    def live(self) -> list[WorkerHandle]:
        """The workers in service, by slot (caller holds the lock)."""
        return [handle for handle in self._handles if handle is not None]

    def holds(self, handle: WorkerHandle) -> bool:
        """Is ``handle`` still its slot's worker (caller holds the lock)?"""
        return self._handles[handle.index] is handle

    def live_indexes(self, deadline: float | None) -> list[int]:
        """The slots with a worker in service (caller holds the lock). While every worker is
        being replaced this waits; when none is and none lives, it restarts them all once."""
        restarted = False
        while True:
            if self.closed:
                raise ClientClosedError("this PoolClient is closed")
            live = [index for index, handle in enumerate(self._handles) if handle is not None]
            if live:
                return live
            if not self._replacing:
                if restarted:
                    failures = "; ".join(self._failures.values()) or "unknown failure"
                    raise WorkerDiedError(f"no worker is available: {failures}")
                for index in range(len(self._handles)):
                    self._start_replacement(index)
                restarted = True
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise CallTimeoutError("no worker became available before the timeout")
            self._cond.wait(remaining)

    def exited(self, handle: WorkerHandle, reason: str) -> None:
        """A worker process ended (called from its reader thread): vacate and refill its slot."""
        with self._cond:
            if self.closed or not self.holds(handle):
                return  # being stopped, or never in service: whoever stops it frees it
            self._handles[handle.index] = None
            self._on_vacated(handle.index, reason)
            self._start_replacement(handle.index)
            self._cond.notify_all()
        handle.dispose()

    def close(self, timeout: float) -> None:
        """Stop every worker, terminating those still busy after ``timeout`` seconds; a
        second caller waits until the first is done."""
        with self._cond:
            first = not self.closed
            self.closed = True
            handles = self.live()
            self._handles = [None] * len(self._handles)
            self._cond.notify_all()
        if not first:
            self._stopped.wait()
            return
        try:
            with self._cond:  # a replacement that is starting stops its worker itself
                end = time.monotonic() + self._start_timeout + timeout
                while self._replacing and (left := end - time.monotonic()) > 0:
                    self._cond.wait(left)
            for handle in handles:
                handle.begin_stop()
            deadline = time.monotonic() + timeout
            for handle in handles:
                handle.finish_stop(max(0.0, deadline - time.monotonic()))
        finally:
            self._stopped.set()

    def _start_replacement(self, index: int) -> None:
        """Start a worker for an empty slot in the background (caller holds the lock)."""
        if self.closed or self._handles[index] is not None or index in self._replacing:
            return
        self._replacing.add(index)
        threading.Thread(
            target=self._replace, args=(index,), name=f"runtime-pool-start-{index}", daemon=True
        ).start()

    def _replace(self, index: int) -> None:
        handle: WorkerHandle | None = None
        failure = None
        try:
            handle = self._new_handle(index)
            handle.wait_ready(self._start_timeout)
        except Exception as exc:
            failure = f"worker {index} could not be restarted: {exc}"
            if handle is not None:
                handle.begin_stop()
                handle.finish_stop(0)
                handle = None
        with self._cond:
            keep = handle is not None and not self.closed
            if keep:
                self._handles[index] = handle
                self._failures.pop(index, None)
        if handle is not None and not keep:
            handle.begin_stop()
            handle.finish_stop(1.0)
        with self._cond:
            self._replacing.discard(index)
            if failure is not None:
                self._failures[index] = failure
            self._cond.notify_all()
