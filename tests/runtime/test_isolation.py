"""Sessions and clients are per flow: threads and asyncio tasks never see each other's."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

import runtime
from runtime import LocalClient, RefNotFoundError
from tests.runtime.support import CounterBinding, RecordingClient, TestMathModule

FLOWS = 8


def run_in_threads(work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` in FLOWS fresh threads that start together; return the results."""
    barrier = threading.Barrier(FLOWS)
    results: list[object] = [None] * FLOWS
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(FLOWS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise errors[0]
    return results


def test_threads_see_only_their_own_context_and_client() -> None:
    def work(i: int) -> tuple[str, list[tuple[object, object]]]:
        client = RecordingClient()
        with runtime.using_client(client), runtime.with_session(f"thread-{i}"):
            for _ in range(20):
                runtime.call(TestMathModule, "sqrt", [i])
            seen = runtime.current_session_id()
        return seen, client.sessions()

    for i, result in enumerate(run_in_threads(work)):
        assert isinstance(result, tuple)
        seen, sessions = result
        assert seen == f"thread-{i}"
        assert sessions == [(f"thread-{i}", f"thread-{i}")] * 20
    assert runtime.current_context() is None  # nothing leaked into this thread


def test_threads_get_distinct_stable_auto_sessions() -> None:
    mine = runtime.current_session_id()

    def work(_i: int) -> str:
        first = runtime.current_session_id()
        assert runtime.current_session_id() == first
        return first

    autos = run_in_threads(work)
    assert len(set(autos)) == FLOWS and mine not in autos
    assert all(isinstance(a, str) and a.startswith("auto_") for a in autos)
    assert runtime.current_session_id() == mine


def test_a_pool_thread_keeps_one_auto_session_across_tasks() -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(runtime.current_session_id).result()
        assert pool.submit(runtime.current_session_id).result() == first


def test_tasks_see_only_their_own_context_and_client() -> None:
    async def flow(i: int) -> tuple[str, list[tuple[object, object]]]:
        client = RecordingClient()
        with runtime.using_client(client), runtime.with_session(f"task-{i}"):
            for _ in range(5):
                await asyncio.sleep(0)  # interleave with every other task
                runtime.call(TestMathModule, "sqrt", [i])
            return runtime.current_session_id(), client.sessions()

    async def main() -> list[tuple[str, list[tuple[object, object]]]]:
        return await asyncio.gather(*(flow(i) for i in range(FLOWS)))

    for i, (seen, sessions) in enumerate(asyncio.run(main())):
        assert seen == f"task-{i}"
        assert sessions == [(f"task-{i}", f"task-{i}")] * 5


def test_tasks_get_their_own_auto_session_even_after_the_parent_made_one() -> None:
    async def child() -> str:
        await asyncio.sleep(0)
        return runtime.current_session_id()

    async def main() -> tuple[str, list[str], str]:
        parent = runtime.current_session_id()
        children = await asyncio.gather(*(child() for _ in range(FLOWS)))
        return parent, list(children), runtime.current_session_id()

    parent, children, parent_after = asyncio.run(main())
    assert parent == parent_after
    assert len(set(children)) == FLOWS and parent not in children


def test_a_context_session_is_inherited_by_tasks_created_inside_it() -> None:
    async def child() -> str:
        return runtime.current_session_id()

    async def main() -> list[str]:
        with runtime.with_session("parent"):
            inside = asyncio.create_task(child())
        outside = asyncio.create_task(child())
        return [await inside, await outside]

    inside, outside = asyncio.run(main())
    assert inside == "parent" and outside.startswith("auto_")


def test_release_auto_session_frees_only_this_flows_refs() -> None:
    client = LocalClient()
    ready = threading.Barrier(2)
    released = threading.Event()

    def work(release: bool) -> object:
        with runtime.using_client(client):
            counter = runtime.call_class(CounterBinding, args=["abc"])
            ready.wait(timeout=10)
            if release:
                runtime.release_auto_session()
                released.set()
                with pytest.raises(RefNotFoundError):
                    runtime.call_method(counter, "total")
                return None
            released.wait(timeout=10)
            return runtime.call_method(counter, "total")

    with ThreadPoolExecutor(max_workers=2) as pool:
        keeper = pool.submit(work, False)
        pool.submit(work, True).result(timeout=30)
        assert keeper.result(timeout=30) == 3
    assert len(client.adapter.registry) == 1


def test_concurrent_threads_share_one_local_client_safely() -> None:
    client = LocalClient()

    def work(i: int) -> int:
        with runtime.using_client(client), runtime.with_session(f"s{i}"):
            refs = [runtime.call_class(CounterBinding, args=["x" * i]) for _ in range(30)]
            totals = {runtime.call_method(ref, "total") for ref in refs}
            assert totals == {i}
            return runtime.release_session(f"s{i}")

    assert run_in_threads(work) == [30] * FLOWS
    assert len(client.adapter.registry) == 0


def test_with_session_nests_and_restores_also_on_exceptions() -> None:
    assert runtime.current_context() is None
    with runtime.with_session("outer") as outer:
        assert outer == "outer"
        with pytest.raises(KeyError), runtime.with_session("inner"):
            assert runtime.current_session_id() == "inner"
            raise KeyError("x")
        assert runtime.current_session_id() == "outer"
        with runtime.with_session() as generated:
            assert generated.startswith("session_") and generated != "outer"
            runtime.clear_current()
            assert runtime.current_context() is None
        context = runtime.current_context()
        assert context is not None and context.session_id == "outer"
    assert runtime.current_context() is None


def test_with_session_as_a_decorator_sync_and_async() -> None:
    @runtime.with_session("fixed")
    def fixed() -> str:
        return runtime.current_session_id()

    @runtime.with_session()
    def fresh() -> str:
        return runtime.current_session_id()

    @runtime.with_session("async-fixed")
    async def async_fixed() -> str:
        await asyncio.sleep(0)
        return runtime.current_session_id()

    assert fixed() == "fixed"
    assert fresh() != fresh()  # a new session per call
    assert asyncio.run(async_fixed()) == "async-fixed"
    assert runtime.current_context() is None
