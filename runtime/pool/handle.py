"""One ``PoolClient`` worker as the client sees it: process, pipe, and the calls waiting on it.

Callers send on the pipe under a lock; one reader thread per worker receives every
answer and hands it to the waiting call by request id, so any number of threads can have
calls in flight. When the pipe reaches end-of-file the worker is gone: the reader reaps
the process, fails every call still waiting (never a hang) and tells the pool.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from typing import Any, Final

from runtime.adapter import Helper
from runtime.errors import ClientClosedError, WireEncodingError, WorkerDiedError
from runtime.pool.worker import CANCEL, DONE, READY, serve
from runtime.registry import RegistryLimits

DIED: Final = "died"
"""Event kind for a call whose worker died; its data is the reason."""
CLOSED: Final = "closed"
"""Event kind for a call stopped because the client closed; its data is the reason."""

Event = tuple[str, Any]

_REAP_TIMEOUT: Final = 5.0


@dataclass(eq=False)
class Call:
    """A request sent to a worker; its events are ``ITEM``, ``DONE``, ``DIED`` or ``CLOSED``."""

    request_id: int
    session: str | None
    tool: str
    events: queue.SimpleQueue[Event] = field(default_factory=queue.SimpleQueue)
    abandoned: bool = False


OnDone = Callable[["WorkerHandle", Call, Any], None]
OnExit = Callable[["WorkerHandle", str], None]


def exit_text(exitcode: int | None) -> str:
    """How a process ended, for error messages (``"was killed by SIGKILL"``)."""
    if exitcode is None:
        return "stopped answering"
    if exitcode < 0:
        try:
            return f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"was killed by signal {-exitcode}"
    return "exited" if exitcode == 0 else f"exited with code {exitcode}"


class WorkerHandle:
    """Starts one worker process; :meth:`wait_ready` then starts its reader thread."""

    def __init__(
        self,
        index: int,
        context: BaseContext,
        limits: RegistryLimits,
        helpers: Mapping[str, Helper],
        on_done: OnDone,
        on_exit: OnExit,
    ) -> None:
        self.index = index
        self._on_done = on_done
        self._on_exit = on_exit
        self._lock = threading.Lock()  # pending calls and state flags
        self._send_lock = threading.Lock()  # one message at a time on the pipe
        self._pending: dict[int, Call] = {}
        self._ids = itertools.count(1)
        self._dead: str | None = None
        self._closing = False
        self._disposed = False
        self._conn, child = context.Pipe()
        self._process = context.Process(  # type: ignore[attr-defined]
            target=serve,
            args=(child, limits, dict(helpers)),
            name=f"runtime-pool-worker-{index}",
        )
        try:
            self._process.start()
        except BaseException:
            self._conn.close()
            raise
        finally:
            child.close()  # the child's copy only: end-of-file then means the worker is gone
        self.pid: int = self._process.pid
        self._reader = threading.Thread(
            target=self._read, name=f"runtime-pool-reader-{index}", daemon=True
        )

    @property
    def alive(self) -> bool:
        """False once the worker died or was stopped."""
        return self._dead is None

    def wait_ready(self, timeout: float) -> None:
        """Wait for the worker's hello, then start reading; raise if it does not come.

        After a failure the caller stops the handle with :meth:`finish_stop`.
        """
        try:
            if not self._conn.poll(timeout):
                raise WorkerDiedError(
                    f"worker {self.index} (pid {self.pid}) did not start within {timeout:g} s"
                )
            message = self._conn.recv()
        except (EOFError, OSError):
            self._process.join(_REAP_TIMEOUT)
            raise WorkerDiedError(
                f"worker {self.index} (pid {self.pid}) {exit_text(self._process.exitcode)}"
                " before it was ready"
            ) from None
        if message[0] != READY:
            raise WorkerDiedError(f"worker {self.index} sent {message!r} instead of its hello")
        self._reader.start()

    # -- calls ----------------------------------------------------------------------------

    def submit(self, kind: str, tool: str, payload: Any, session: str | None) -> Call:
        """Send one request; its answer arrives as events on the returned call."""
        with self._send_lock:
            with self._lock:
                if self._closing:
                    raise ClientClosedError("the client is closed")
                if self._dead is not None:
                    raise WorkerDiedError(self._dead)
                call = Call(next(self._ids), session, tool)
                self._pending[call.request_id] = call
            try:
                self._conn.send((kind, call.request_id, tool, payload, session))
            except OSError:
                pass  # the worker is gone: the reader fails this call with the reason
            except Exception as exc:
                with self._lock:
                    self._pending.pop(call.request_id, None)
                raise WireEncodingError(f"cannot send this payload to a worker: {exc}") from exc
        return call

    def abandon(self, call: Call) -> None:
        """The caller gave up: drop the call's events and ask the worker to cancel it."""
        with self._lock:
            if self._pending.get(call.request_id) is not call:
                return
            call.abandoned = True
        with self._send_lock, contextlib.suppress(OSError):
            self._conn.send((CANCEL, call.request_id))

    # -- reading --------------------------------------------------------------------------

    def _read(self) -> None:
        failure = None
        try:
            while True:
                kind, request_id, data = self._conn.recv()
                self._deliver(kind, request_id, data)
        except (EOFError, OSError):
            pass
        except Exception as exc:  # a message we cannot read: stop trusting this worker
            failure = f"sent an unreadable message ({exc!r}) and was stopped"
            self._process.kill()
        self._process.join(_REAP_TIMEOUT)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        reason = f"worker {self.index} (pid {self.pid}) " + (
            failure or exit_text(self._process.exitcode)
        )
        with self._lock:
            self._dead = reason
            calls, self._pending = list(self._pending.values()), {}
            event = (CLOSED if self._closing else DIED, reason)
        for call in calls:
            if not call.abandoned:
                call.events.put(event)
        self._on_exit(self, reason)

    def _deliver(self, kind: str, request_id: int, data: Any) -> None:
        with self._lock:
            call = self._pending.get(request_id)
            if call is None:
                return
            if kind == DONE:
                del self._pending[request_id]
        if kind == DONE:
            self._on_done(self, call, data)  # bookkeeping first, so the caller sees it done
        if not call.abandoned:
            call.events.put((kind, data))

    # -- stopping -------------------------------------------------------------------------

    def begin_stop(self) -> None:
        """Ask the worker to exit once the requests it already has are answered."""
        with self._lock:
            self._closing = True
        with self._send_lock, contextlib.suppress(OSError):
            self._conn.send(None)

    def finish_stop(self, timeout: float) -> None:
        """Wait for the worker to exit (terminate, then kill, if it will not); free it all."""
        if self._disposed:
            return
        if self._reader.ident is not None:
            self._reader.join(timeout)
            for escalate in (self._process.terminate, self._process.kill):
                if not self._reader.is_alive():
                    break
                escalate()
                self._reader.join(_REAP_TIMEOUT)
        else:  # never became ready: no reader owns the process
            self._process.kill()
            self._process.join(_REAP_TIMEOUT)
        self.dispose()

    def dispose(self) -> None:
        """Free the pipe and the process object of a worker that has exited; idempotent."""
        if self._reader.ident is not None and self._reader is not threading.current_thread():
            self._reader.join(_REAP_TIMEOUT)
        with self._lock:
            if self._disposed:
                return
            self._disposed = True
        self._conn.close()
        with contextlib.suppress(ValueError):  # still running (unkillable): left to the GC
            self._process.close()
