"""PoolClient when things go wrong: killed workers, workers that exit, start failures, shutdown."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import runtime
from runtime import ClientClosedError, PoolClient, RefNotFoundError, WorkerDiedError
from tests.runtime.pool_support import (
    PoolTargets,
    Unloadable,
    closing_pool,
    gone,
    session,
    wait_until,
)
from tests.runtime.support import CounterBinding, TestMathModule

ROOT = Path(__file__).resolve().parents[2]


def call_in_thread(pool: PoolClient, work: object) -> tuple[threading.Thread, list[BaseException]]:
    """Run ``work()`` with ``pool`` in a new thread; its exception lands in the list."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            with runtime.using_client(pool):
                work()  # type: ignore[operator]
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    return thread, errors


def test_a_killed_worker_fails_its_calls_loses_its_refs_and_is_replaced(tmp_path: Path) -> None:
    with closing_pool(2) as pool, runtime.using_client(pool):
        mine = runtime.call_class(CounterBinding, args=["aaa"], **session("A"))
        other = runtime.call_class(CounterBinding, args=["bb"], **session("B"))
        victim, survivor = pool.worker_pid("A"), pool.worker_pid("B")
        assert victim is not None and survivor is not None and victim != survivor

        started = tmp_path / "started"
        thread, errors = call_in_thread(
            pool,
            lambda: runtime.call(
                PoolTargets, "touch_and_sleep", [str(started), 60], **session("A")
            ),
        )
        assert wait_until(started.exists)
        os.kill(victim, signal.SIGKILL)
        thread.join(timeout=10)  # a liveness bound, not a speed check: the call must end
        assert not thread.is_alive()

        # The in-flight call: a clear error naming the worker and how it died.
        (error,) = errors
        assert isinstance(error, WorkerDiedError)
        assert f"pid {victim}" in str(error) and "SIGKILL" in str(error)
        assert "touch_and_sleep" in str(error)

        # Later calls on its session: its refs are reported lost, with the cause.
        with pytest.raises(
            RefNotFoundError, match=rf"lost its refs when worker \d \(pid {victim}\)"
        ):
            runtime.call_method(mine, "total")
        with pytest.raises(RefNotFoundError, match="killed by SIGKILL"):
            runtime.call_dynamic("builtins", "len", [mine], **session("A"))

        # Other sessions are untouched, and the worker is replaced.
        assert runtime.call_method(other, "total") == 2
        assert pool.worker_pid("B") == survivor
        assert wait_until(lambda: len(pool.pids) == 2)
        assert victim not in pool.pids and gone(victim)

        # The session itself lives on: new refs work wherever it is pinned now.
        again = runtime.call_class(CounterBinding, args=["a"], **session("A"))
        assert runtime.call_method(again, "total") == 1
        assert runtime.release_session("A") == 1
        with pytest.raises(RefNotFoundError) as info:  # released: no more talk of the death
            runtime.call_method(mine, "total")
        assert "lost its refs" not in str(info.value)


def test_a_worker_killed_mid_stream_ends_the_stream_with_an_error() -> None:
    with closing_pool(1) as pool, runtime.using_client(pool):
        victim = pool.pids[0]
        seen: list[object] = []

        def kill_on_first(item: object) -> None:
            seen.append(item)
            if len(seen) == 1:
                os.kill(victim, signal.SIGKILL)

        with pytest.raises(WorkerDiedError, match="forever"):
            runtime.stream(PoolTargets, "forever", [], kill_on_first, **session("S"))
        assert seen[0] == 0
        # One worker only: the next call waits for its replacement instead of failing.
        assert runtime.call(TestMathModule, "sqrt", [4], **session("S")) == 2.0
        assert pool.pids != [victim] and gone(victim)


def test_target_code_that_exits_the_worker_is_reported_and_survived() -> None:
    with closing_pool(2) as pool, runtime.using_client(pool):
        victim = runtime.call(PoolTargets, "pid", **session("E"))
        with pytest.raises(WorkerDiedError, match=rf"pid {victim}\) exited with code 3"):
            runtime.call_dynamic("os", "_exit", [3], **session("E"))
        assert runtime.call(TestMathModule, "sqrt", [9], **session("E")) == 3.0
        assert wait_until(lambda: len(pool.pids) == 2 and victim not in pool.pids)


def test_an_idle_worker_that_dies_is_replaced() -> None:
    with closing_pool(2) as pool:
        victim = pool.pids[0]
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: len(pool.pids) == 2 and victim not in pool.pids)
        assert gone(victim)


def test_a_worker_that_cannot_start_is_an_error_and_leaves_no_process() -> None:
    before = set(multiprocessing.active_children())
    with pytest.raises(WorkerDiedError, match="before it was ready"):
        PoolClient(2, helpers={"bad": Unloadable()})
    assert set(multiprocessing.active_children()) <= before


def test_close_stops_every_worker_and_refuses_later_calls() -> None:
    with PoolClient(2) as pool:
        pids = pool.pids
        with runtime.using_client(pool):
            assert runtime.call(TestMathModule, "sqrt", [4]) == 2.0
    assert all(gone(pid) for pid in pids)
    assert not {child.pid for child in multiprocessing.active_children()} & set(pids)
    assert pool.pids == [] and "closed" in repr(pool)
    with runtime.using_client(pool), pytest.raises(ClientClosedError):
        runtime.call(TestMathModule, "sqrt", [4])
    with pytest.raises(ClientClosedError):
        pool.snapshot()
    pool.close()  # idempotent


def test_close_does_not_wait_forever_for_a_stuck_call(tmp_path: Path) -> None:
    pool = PoolClient(1)
    pids = pool.pids
    started = tmp_path / "started"
    thread, errors = call_in_thread(
        pool,
        lambda: runtime.call(PoolTargets, "touch_and_sleep", [str(started), 60], **session("S")),
    )
    assert wait_until(started.exists)
    pool.close(timeout=0.3)  # returns although the call never finishes on its own
    thread.join(timeout=10)
    assert not thread.is_alive()
    (error,) = errors
    assert isinstance(error, ClientClosedError) and "touch_and_sleep" in str(error)
    assert all(gone(pid) for pid in pids)


def test_an_unclosed_pool_does_not_keep_the_interpreter_alive() -> None:
    script = textwrap.dedent(
        """
        import threading, time, runtime

        pool = runtime.PoolClient(2)
        def stuck():
            with runtime.using_client(pool):
                runtime.call_dynamic("time", "sleep", [60], __runtime__={"session_id": "s"})
        threading.Thread(target=stuck, daemon=True).start()
        time.sleep(0.2)
        print(*pool.pids, flush=True)
        """
    )
    done = subprocess.run(  # the timeout is the liveness bound: exit, do not hang
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    pids = [int(pid) for pid in done.stdout.split()]
    assert len(pids) == 2
    assert wait_until(lambda: all(gone(pid) for pid in pids), limit=5)
