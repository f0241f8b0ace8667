"""PoolClient under faults: calls that never end, parents that die, workers that crash mid-call.

Every scenario runs real worker processes; they are synchronised by files the target
code creates (the call has started) and by pipes, never by sleeping in the test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import runtime
from runtime import (
    CallTimeoutError,
    ClientClosedError,
    PoolClient,
    PythonError,
    RefNotFoundError,
    WorkerDiedError,
)
from tests.runtime.pool_support import (
    PoolTargets,
    closing_pool,
    ended,
    session,
    wait_until,
)
from tests.runtime.support import CounterBinding, TestMathModule

ROOT = Path(__file__).resolve().parents[2]


def in_thread(pool: PoolClient, work: object) -> tuple[threading.Thread, list[object]]:
    """Run ``work()`` with ``pool`` in a new thread; its result or exception lands in the list."""
    outcome: list[object] = []

    def target() -> None:
        try:
            with runtime.using_client(pool):
                outcome.append(work())  # type: ignore[operator]
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def test_a_call_past_its_deadline_stops_its_worker_and_its_sessions_learn_why(
    tmp_path: Path,
) -> None:
    with closing_pool(2) as pool, runtime.using_client(pool):
        mine = runtime.call_class(CounterBinding, args=["abc"], **session("A"))
        wedged = pool.worker_pid("A")
        other = runtime.call_class(CounterBinding, args=["xy"], **session("B"))
        assert pool.worker_pid("B") != wedged
        with pytest.raises(CallTimeoutError) as info:
            runtime.call(
                PoolTargets,
                "hang",
                [str(tmp_path / "started")],
                __runtime__={"session_id": "A", "timeout": 0.5},
            )
        assert (tmp_path / "started").exists()  # it had started: the worker ran it
        message = str(info.value)
        assert "hang" in message and "timed out after 0.5 s" in message
        assert f"pid {wedged}" in message and "stopped" in message
        assert wait_until(lambda: wedged is not None and ended(wedged))
        assert wait_until(lambda: len(pool.pids) == 2 and wedged not in pool.pids)

        # The session's refs went with the worker, and its errors say why.
        with pytest.raises(RefNotFoundError, match=r"lost its refs when worker \d \(pid \d+\)"):
            runtime.call_method(mine, "total")
        with pytest.raises(RefNotFoundError, match=r"timed out after 0\.5 s"):
            runtime.call_method(mine, "total")
        # Everything else answers at once: the session, the other session, the pool.
        assert runtime.call(TestMathModule, "sqrt", [9], **session("A")) == 3.0
        assert runtime.call_method(other, "total") == 2
        assert set(pool.snapshot()) == set(pool.pids)
        assert runtime.release_session("A") == 0
        assert runtime.release_session("B") == 1


@pytest.mark.parametrize("affinity", ["hint", "strict"])
def test_calls_queued_behind_a_stopped_call_are_rerouted_or_fail_fast(
    tmp_path: Path, affinity: str
) -> None:
    started = tmp_path / "started"
    with closing_pool(2, affinity=affinity) as pool:
        wedge, wedge_outcome = in_thread(
            pool,
            lambda: runtime.call(
                PoolTargets, "hang", [str(started)], __runtime__={"session_id": "A", "timeout": 2}
            ),
        )
        assert wait_until(started.exists)
        behind, behind_outcome = in_thread(
            pool, lambda: runtime.call(PoolTargets, "pid", **session("A"))
        )
        assert wait_until(lambda: pool.stats()["queued_calls"] == 1)
        wedge.join(timeout=30)
        behind.join(timeout=30)
        assert isinstance(wedge_outcome[0], CallTimeoutError)
        (result,) = behind_outcome
        if affinity == "hint":  # it never ran: sent again, to a live worker
            assert isinstance(result, int) and result in pool.pids
        else:
            assert isinstance(result, WorkerDiedError)
            assert "never ran" in str(result) and "timed out after 2 s" in str(result)


def test_release_snapshot_and_close_have_their_own_deadlines(tmp_path: Path) -> None:
    started = tmp_path / "started"
    pool = PoolClient(1, control_timeout=0.3)
    pid = pool.pids[0]
    try:
        # A call without a deadline that never ends: the worker is wedged for good.
        wedge, outcome = in_thread(
            pool, lambda: runtime.call(PoolTargets, "hang", [str(started)], **session("A"))
        )
        assert wait_until(started.exists)
        with pytest.raises(CallTimeoutError, match="never started"):
            pool.snapshot()
        with runtime.using_client(pool), pytest.raises(CallTimeoutError, match="never started"):
            runtime.release_session("A")
        with runtime.using_client(pool), pytest.raises(CallTimeoutError, match="never started"):
            late = {"session_id": "A", "timeout": 0.2}
            runtime.call(TestMathModule, "sqrt", [4], __runtime__=late)
    finally:
        pool.close(timeout=0.3)
    wedge.join(timeout=30)
    assert not wedge.is_alive()
    (error,) = outcome
    assert isinstance(error, ClientClosedError)
    assert wait_until(lambda: ended(pid))


def test_an_idempotent_call_is_retried_once_on_another_worker(tmp_path: Path) -> None:
    with closing_pool(2) as pool, runtime.using_client(pool):
        attempts = tmp_path / "once"
        answer = runtime.call(PoolTargets, "exit_once", [str(attempts)], idempotent=True)
        assert answer == "answered"
        assert attempts.read_text().count("attempt") == 2

        always = tmp_path / "always"
        with pytest.raises(WorkerDiedError, match="already been retried once") as info:
            runtime.call(PoolTargets, "exit_always", [str(always)], idempotent=True)
        assert "exited with code 3" in str(info.value)
        assert always.read_text().count("attempt") == 2

        plain = tmp_path / "plain"
        with pytest.raises(WorkerDiedError) as info:
            runtime.call(PoolTargets, "exit_once", [str(plain)])
        assert "retried" not in str(info.value)
        assert plain.read_text().count("attempt") == 1
        # Errors of the target code are answers, not crashes: never retried.
        with pytest.raises(PythonError):
            runtime.call(TestMathModule, "sqrt", [-1], idempotent=True)


ORPHAN_SCRIPT = textwrap.dedent(
    """
    import os, sys, threading
    import runtime
    from tests.runtime.pool_support import PoolTargets, wait_until

    if __name__ == "__main__":
        folder = sys.argv[2]
        pool = runtime.PoolClient(3, start_method=sys.argv[1])

        def run(function, name):
            with runtime.using_client(pool):
                runtime.call(PoolTargets, function, [os.path.join(folder, name)],
                             __runtime__={"session_id": name})

        for function, name in (("spin_in_c", "busy"), ("sleep_long", "sleeping")):
            threading.Thread(target=run, args=(function, name), daemon=True).start()
        ready = wait_until(lambda: all(
            os.path.exists(os.path.join(folder, name)) for name in ("busy", "sleeping")))
        print("ready" if ready else "not-ready", *pool.pids, flush=True)
        threading.Event().wait()
    """
)


@pytest.mark.parametrize("start_method", ["spawn", "fork"])
def test_workers_end_with_a_parent_that_is_killed(tmp_path: Path, start_method: str) -> None:
    """Busy in C, sleeping, idle: every worker of a SIGKILLed parent ends."""
    script = tmp_path / "parent.py"
    script.write_text(ORPHAN_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen(
        [sys.executable, str(script), start_method, str(tmp_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        words = parent.stdout.readline().split()
        assert words and words[0] == "ready", parent.stderr.read() if parent.stderr else ""
        pids = [int(word) for word in words[1:]]
        assert len(pids) == 3 and not any(ended(pid) for pid in pids)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.communicate(timeout=30)
    assert wait_until(lambda: all(ended(pid) for pid in pids), limit=20), [
        pid for pid in pids if not ended(pid)
    ]
