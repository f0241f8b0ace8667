"""``runtime.aio`` through ``PoolClient``'s native async twin: real worker processes.

No thread per call, thousands of tasks with their own sessions, cancellation while
queued, running or streaming, deadlines and worker deaths as in the sync API, and an
event loop that keeps ticking while a worker runs a long call.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import runtime
import runtime.aio as aio
from runtime import CallTimeoutError, PoolClient, PythonError, Ref, RefNotFoundError
from runtime.async_client import async_client_for
from runtime.pool.aio import AsyncPoolClient
from runtime.pool.worker import WINDOW_ITEMS
from tests.runtime.aio_support import TICKS, AioTargets, made, ticks_during_a_long_call
from tests.runtime.pool_support import PoolTargets, closing_pool, session, wait_until
from tests.runtime.support import CounterBinding

ENDLESS = "tests.runtime.aio_support"


@pytest.fixture(scope="module")
def shared() -> Iterator[PoolClient]:
    with closing_pool(2) as pool:
        yield pool


@pytest.fixture
def pool(shared: PoolClient) -> Iterator[PoolClient]:
    """The module's pool, used by this test's context only."""
    with runtime.using_client(shared):
        yield shared


def unique(prefix: str) -> str:
    return f"{prefix}-{os.urandom(4).hex()}"


def holding(pool: PoolClient) -> dict[str, frozenset[str]]:
    """Every session holding refs, over all workers."""
    return {s: ids for refs in pool.snapshot().values() for s, ids in refs.items() if ids}


def test_the_pool_twin_is_native(pool: PoolClient) -> None:
    twin = async_client_for(pool)
    assert isinstance(twin, AsyncPoolClient) and twin is pool.aio and twin.pool is pool


def test_thousands_of_tasks_with_their_own_sessions_through_one_pool(pool: PoolClient) -> None:
    count = 2000

    async def one(i: int) -> tuple[str, str, int, int]:
        async with aio.with_session(unique(f"task{i}")) as sid:
            ref = await aio.call_class(CounterBinding, args=["x" * (i % 7 + 1)])
            total = await aio.call_method(ref, "total")
            freed = await aio.release_session(sid)
            return sid, ref.session_id, total, freed

    async def main() -> tuple[list[tuple[str, str, int, int]], int]:
        tasks = [asyncio.create_task(one(i)) for i in range(count)]
        await asyncio.sleep(0)  # every task has started and waits on the pool
        threads = threading.active_count()
        return await asyncio.gather(*tasks), threads

    before = threading.active_count()
    results, during = asyncio.run(main())
    assert during <= before + 1  # no thread per call (a release may take one briefly)
    assert all(sid == ref_session for sid, ref_session, _, _ in results)
    assert [total for _, _, total, _ in results] == [i % 7 + 1 for i in range(count)]
    assert all(freed == 1 for _, _, _, freed in results)
    assert holding(pool) == {}


def test_results_errors_and_streams_cross_the_process_boundary(pool: PoolClient) -> None:
    async def main() -> None:
        async with aio.with_session(unique("paths")) as sid:
            assert await aio.call(PoolTargets, "add", [2, 3]) == 5
            with pytest.raises(PythonError, match="ValueError"):
                await aio.call_dynamic("math", "sqrt", [-1])
            async with aio.stream(PoolTargets, "wait_for_file", [os.devnull]) as items:
                assert [item async for item in items] == ["first", "second"]
            async with aio.stream("builtins", "range", [4]) as items:
                assert [item async for item in items] == [0, 1, 2, 3]
            assert await aio.release_session(sid) == 0

    asyncio.run(main())


def test_a_call_cancelled_while_running_has_its_result_released(
    pool: PoolClient, tmp_path: Path
) -> None:
    name = unique("cancel-running")
    started, release = tmp_path / "started", tmp_path / "release"

    async def main() -> None:
        call = aio.call(AioTargets, "make_after", [str(started), str(release)], **session(name))
        task = asyncio.create_task(call)
        assert await asyncio.to_thread(wait_until, started.exists)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task  # at once: the worker is still in the call
        release.touch()

    asyncio.run(main())
    # The worker finished the call; the ref it made is released, not left behind.
    assert wait_until(lambda: name not in holding(pool))
    ref = runtime.call(AioTargets, "make_after", [str(started), str(release)], **session(name))
    assert holding(pool)[name] == frozenset({ref.id})  # the check above can fail
    runtime.release_session(name)


def test_a_call_cancelled_while_queued_never_runs(pool: PoolClient, tmp_path: Path) -> None:
    name = unique("cancel-queued")
    started, release = tmp_path / "started", tmp_path / "release"

    async def main() -> None:
        occupy = asyncio.create_task(
            aio.call(AioTargets, "make_after", [str(started), str(release)], **session(name))
        )
        assert await asyncio.to_thread(wait_until, started.exists)
        queued = asyncio.create_task(aio.call_class(CounterBinding, **session(name)))
        await asyncio.sleep(0)  # it is queued behind the running call (strict per session)
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        release.touch()
        assert isinstance(await occupy, Ref)

    asyncio.run(main())
    assert len(holding(pool)[name]) == 1  # only the running call's ref: the queued never ran
    runtime.release_session(name)


@pytest.mark.parametrize("module", [AioTargets, ENDLESS], ids=["binding", "str"])
@pytest.mark.parametrize("how", ["break", "cancel"])
def test_stopping_a_stream_stops_the_worker_generator(
    pool: PoolClient, tmp_path: Path, module: object, how: str
) -> None:
    name = unique("stream")
    closed = tmp_path / "closed"
    parked = asyncio.Event

    async def consume(reading: asyncio.Event) -> list[int]:
        seen = []
        async with aio.stream(module, "endless", [str(closed)], **session(name)) as items:
            async for item in items:
                seen.append(item)
                if item == 100:  # past the first credit window
                    if how == "break":
                        break
                    reading.set()
                    await parked().wait()
        return seen

    async def main() -> list[int]:
        reading = asyncio.Event()
        task = asyncio.create_task(consume(reading))
        if how == "break":
            return await task
        await reading.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return list(range(101))

    assert asyncio.run(main()) == list(range(101))
    assert wait_until(closed.exists), "the worker's generator was never closed"
    # The worker is free again, and nothing of the stream is left on it.
    assert runtime.call(PoolTargets, "add", [1, 1], **session(name)) == 2
    assert name not in holding(pool)


def test_the_event_loop_keeps_running_during_a_long_pool_call(
    pool: PoolClient, tmp_path: Path
) -> None:
    released, ticks = asyncio.run(ticks_during_a_long_call(str(tmp_path / "release")))
    assert released is True
    assert ticks >= TICKS


def test_deadlines_stop_and_replace_the_worker_as_in_the_sync_api(pool: PoolClient) -> None:
    name = unique("deadline")
    opts: dict[str, Any] = {"__runtime__": {"session_id": name, "timeout": 0.3}}

    async def main() -> tuple[int, int, Ref]:
        before = await aio.call(PoolTargets, "pid", **session(name))
        ref = await aio.call_class(CounterBinding, args=["ab"], **session(name))
        with pytest.raises(CallTimeoutError, match=r"timed out after 0\.3 s"):
            await aio.call_dynamic("time", "sleep", [1000], **opts)
        after = await aio.call(PoolTargets, "pid", **session(name))
        return before, after, ref

    before, after, ref = asyncio.run(main())
    assert after != before and after in pool.pids
    with pytest.raises(RefNotFoundError, match="timed out"):  # as after a sync timeout
        runtime.call_method(ref, "total", **session(name))


def test_a_worker_death_fails_the_awaiting_call_as_in_the_sync_api(
    pool: PoolClient, tmp_path: Path
) -> None:
    name = unique("death")
    started = tmp_path / "started"

    async def main() -> None:
        pid = await aio.call(PoolTargets, "pid", **session(name))
        task = asyncio.create_task(aio.call(PoolTargets, "hang", [str(started)], **session(name)))
        assert await asyncio.to_thread(wait_until, started.exists)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(runtime.WorkerDiedError, match="SIGKILL"):
            await task

    asyncio.run(main())
    assert runtime.call(PoolTargets, "add", [1, 2], **session(name)) == 3


def test_items_made_for_a_stopped_stream_are_released(pool: PoolClient, tmp_path: Path) -> None:
    name = unique("boxes")
    progress = str(tmp_path / "progress")

    async def main() -> str:
        opts = session(name)
        async with aio.stream(AioTargets, "boxes_noting", [progress, 500], **opts) as items:
            async for box in items:
                # The worker runs ahead until its credit window is spent, then waits.
                def window() -> bool:
                    return made(progress) >= WINDOW_ITEMS

                assert await asyncio.to_thread(wait_until, window)
                return str(box.id)  # every item but this one is never read
        raise AssertionError("no item")

    kept = asyncio.run(main())
    assert made(progress) <= WINDOW_ITEMS + 1  # held at the credit window until it stopped
    assert wait_until(lambda: holding(pool).get(name) == frozenset({kept}))
    runtime.release_session(name)
