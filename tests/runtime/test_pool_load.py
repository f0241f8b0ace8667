"""PoolClient under load: stream backpressure, affinity modes, the bounded queue, bounded
bookkeeping, placement after a death, and strict session consistency (opt-in)."""

from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

import runtime
from runtime import (
    CallTimeoutError,
    PoolClient,
    QueueFullError,
    QueueTimeoutError,
    SessionMismatchError,
    WorkerBusyError,
)
from runtime.failures import LostSessions
from runtime.pool.affinity import Affinity
from tests.runtime.pool_support import (
    PoolTargets,
    closing_pool,
    rss_bytes,
    session,
    wait_until,
)
from tests.runtime.support import CounterBinding
from tests.runtime.test_pool_client import PAYLOAD

MB = 1024 * 1024


def in_thread(pool: PoolClient, work: Any) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def target() -> None:
        try:
            with runtime.using_client(pool):
                outcome.append(work())
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


def test_a_slow_callback_holds_the_stream_instead_of_filling_the_callers_memory() -> None:
    """240 MB streamed (600 items of 400 KB) to a callback slower than the worker."""
    count, size = 600, 400_000
    with closing_pool(1) as pool, runtime.using_client(pool):
        baseline = rss_bytes()
        peak = baseline
        seen = 0

        def slow(item: str) -> None:
            nonlocal peak, seen
            for _ in range(6):  # real work: several times what it takes to make the item
                hashlib.sha256(item.encode()).digest()
            seen += 1
            if seen % 10 == 0:
                peak = max(peak, rss_bytes())

        opts = {"__runtime__": {"session_id": "big", "timeout": 120}}
        runtime.stream(PoolTargets, "big_items", [count, size], slow, **opts)
        assert seen == count
        assert peak - baseline < 50 * MB, f"caller grew by {(peak - baseline) / MB:.0f} MB"


def occupied(pool: PoolClient, tmp_path: Path, name: str) -> tuple[threading.Thread, Path]:
    """A call of session ``name`` that holds its worker until the returned file exists."""
    started, release = tmp_path / f"{name}-started", tmp_path / f"{name}-release"
    thread, _ = in_thread(
        pool,
        lambda: runtime.call(
            PoolTargets, "hold_until", [str(started), str(release)], **bounded(name)
        ),
    )
    assert wait_until(started.exists)
    return thread, release


NEIGHBOURS = itertools.count()


def bounded(name: str) -> dict[str, Any]:
    """``**opts`` routing under ``name``, with a deadline so that a wrong wait fails the test."""
    return {"__runtime__": {"session_id": name, "timeout": 30}}


def same_worker_session(pool: PoolClient, as_session: str) -> str:
    """A new session (no refs) placed on ``as_session``'s worker."""
    for _ in range(50):
        name = f"{as_session}-neighbour-{next(NEIGHBOURS)}"
        runtime.call(PoolTargets, "pid", **session(name))
        if pool.worker_pid(name) == pool.worker_pid(as_session):
            return name
    raise AssertionError("placement never reached the other session's worker")


def test_hint_moves_a_session_without_refs_to_an_idle_worker_but_not_one_with_refs(
    tmp_path: Path,
) -> None:
    with closing_pool(2) as pool, runtime.using_client(pool):
        assert pool.affinity == "hint"  # the default
        runtime.call(PoolTargets, "pid", **session("busy"))
        free = same_worker_session(pool, "busy")
        holder = same_worker_session(pool, "busy")
        counter = runtime.call_class(CounterBinding, args=["ab"], **session(holder))
        busy_pid = pool.worker_pid("busy")
        thread, release = occupied(pool, tmp_path, "busy")
        # No refs on the busy worker: it moves to the idle one and answers at once.
        moved = runtime.call(PoolTargets, "pid", **bounded(free))
        assert moved != busy_pid and pool.worker_pid(free) == moved
        # Refs there: it waits for its worker (queued behind the busy call).
        waiting, outcome = in_thread(
            pool, lambda: runtime.call_method(counter, "total", **bounded(holder))
        )
        assert wait_until(lambda: pool.stats()["queued_calls"] == 1)
        release.touch()
        thread.join(timeout=30)
        waiting.join(timeout=30)
        assert outcome == [2] and pool.worker_pid(holder) == busy_pid


def test_strict_queues_behind_the_sessions_worker_and_fail_fast_refuses(
    tmp_path: Path,
) -> None:
    with closing_pool(2, affinity="strict") as pool, runtime.using_client(pool):
        runtime.call(PoolTargets, "pid", **session("busy"))
        free = same_worker_session(pool, "busy")
        thread, release = occupied(pool, tmp_path, "busy")
        waiting, outcome = in_thread(
            pool, lambda: runtime.call(PoolTargets, "pid", **bounded(free))
        )
        assert wait_until(lambda: pool.stats()["queued_calls"] == 1)
        release.touch()
        thread.join(timeout=30)
        waiting.join(timeout=30)
        assert outcome == [pool.worker_pid("busy")]

    with closing_pool(2, affinity="fail_fast") as pool, runtime.using_client(pool):
        runtime.call(PoolTargets, "pid", **session("busy"))
        free = same_worker_session(pool, "busy")
        thread, release = occupied(pool, tmp_path, "busy2")
        with pytest.raises(WorkerBusyError, match="fail_fast"):
            runtime.call(PoolTargets, "pid", **session("busy2"))
        release.touch()
        thread.join(timeout=30)
        assert runtime.call(PoolTargets, "pid", **session(free)) == pool.worker_pid(free)
    with pytest.raises(ValueError, match="affinity must be one of"):
        PoolClient(1, affinity="sticky")


def test_the_pool_queue_is_bounded_in_length_and_in_time(tmp_path: Path) -> None:
    with closing_pool(1, max_queue=1, queue_timeout=1.0) as pool, runtime.using_client(pool):
        thread, release = occupied(pool, tmp_path, "busy")
        waiting, outcome = in_thread(pool, lambda: runtime.call(PoolTargets, "pid", **session("q")))
        assert wait_until(lambda: pool.stats()["queued_calls"] == 1)
        with pytest.raises(QueueFullError, match="max_queue=1"):
            runtime.call(PoolTargets, "pid", **session("r"))
        waiting.join(timeout=30)
        (error,) = outcome
        assert isinstance(error, QueueTimeoutError) and "never ran" in str(error)
        assert isinstance(error, TimeoutError)
        release.touch()
        thread.join(timeout=30)
        assert pool.stats()["queued_calls"] == 0
        assert runtime.call(PoolTargets, "pid", **session("q")) == pool.pids[0]
    for error in (QueueFullError("x"), QueueTimeoutError("y"), WorkerBusyError("z")):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and copy.message == error.message


def test_bookkeeping_stays_bounded_and_placement_balances_on_live_sessions() -> None:
    with closing_pool(2, max_idle_pins=50) as pool, runtime.using_client(pool):
        for number in range(300):  # one-call sessions that are never released
            runtime.call(PoolTargets, "pid", **session(f"once-{number}"))
        stats = pool.stats()
        assert stats["pinned_sessions"] <= 50 and stats["live_sessions"] == 0

        holders = [f"holder-{n}" for n in range(6)]
        refs = [runtime.call_class(CounterBinding, args=["a"], **session(h)) for h in holders]
        assert pool.stats()["live_sessions"] == 6
        victim = pool.worker_pid(holders[0])
        assert victim is not None
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: len(pool.pids) == 2 and victim not in pool.pids)
        assert pool.stats()["lost_notes"] == 3  # the three holders on the dead worker
        # New sessions spread over both workers (the survivor's live sessions count).
        fresh = [f"fresh-{n}" for n in range(6)]
        for name in fresh:
            runtime.call_class(CounterBinding, args=["b"], **session(name))
        placed = [pool.worker_pid(name) for name in fresh]
        assert set(placed) == set(pool.pids)
        assert pool.stats()["live_sessions"] == 3 + 6
        for name in holders + fresh:
            runtime.release_session(name)
        assert pool.stats()["live_sessions"] == 0 and pool.stats()["lost_notes"] == 0
        assert refs  # kept alive until here on purpose


def test_lost_session_notes_and_idle_pins_are_bounded_least_recent_first() -> None:
    notes = LostSessions(limit=3)
    for number in range(5):
        notes.note(f"s{number}", "worker 0 (pid 1) was killed by SIGKILL")
    assert len(notes) == 3
    error = runtime.RefNotFoundError("no ref 'x'")
    assert notes.explain("s0", error) is error
    assert "s4" in str(notes.explain("s4", error)) and "SIGKILL" in str(notes.explain("s4", error))
    notes.forget("s4")
    assert notes.explain("s4", error) is error

    affinity = Affinity(2, max_idle_pins=2)
    for name in ("a", "b", "c"):
        slot = affinity.begin(name, [0, 1])
        affinity.end(name, slot, held=0)
    assert affinity.slot_of("a") is None and len(affinity) == 2
    slot = affinity.begin("kept", [0, 1])
    affinity.end("kept", slot, held=1)  # holds refs: never evicted as idle
    for name in ("d", "e", "f"):
        affinity.end(name, affinity.begin(name, [0, 1]), held=0)
    assert affinity.slot_of("kept") == slot and len(affinity) == 3


def test_strict_sessions_refuses_a_payload_routed_by_another_session() -> None:
    payload = {**PAYLOAD, "session_id": "A"}
    with closing_pool(1) as lenient:
        wire = lenient.execute("snakebridge.call", payload, {"session_id": "B"})
        assert wire["session_id"] == "A"  # stored under A on B's worker: the bug class
    with closing_pool(1, strict_sessions=True) as strict:
        with pytest.raises(SessionMismatchError, match="routed under 'B'"):
            strict.execute("snakebridge.call", payload, {"session_id": "B"})
        assert strict.execute("snakebridge.call", payload, {"session_id": "A"})["session_id"] == "A"
        (held,) = strict.snapshot().values()
        assert list(held) == ["A"] and len(held["A"]) == 1  # only the call routed by A ran


@pytest.mark.parametrize("error", [RuntimeError("callback failed"), CallTimeoutError("inner")])
def test_a_callback_that_raises_anything_stops_an_endless_stream(error: Exception) -> None:
    with closing_pool(1) as pool, runtime.using_client(pool):

        def explode(item: object) -> None:
            if item == 100:  # past the first credit window
                raise error

        with pytest.raises(type(error), match=str(error)):
            runtime.stream(PoolTargets, "forever", [], explode, **bounded("endless"))
        # The generator was stopped, so the worker is free for the next call.
        assert runtime.call(PoolTargets, "pid", **bounded("endless")) == pool.pids[0]
