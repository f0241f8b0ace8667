"""Sessions end: ended flows release their auto-sessions; asyncio.to_thread shares its task's."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading

import runtime
from runtime import LocalClient, PoolClient
from tests.runtime.pool_support import closing_pool
from tests.runtime.support import CounterBinding, RecordingClient

THREADS = 500


def counter_in_auto_session() -> str:
    ref = runtime.call_class(CounterBinding, args=["ab"])
    assert ref.session_id is not None and ref.session_id.startswith("auto_")
    return ref.session_id


def held(client: LocalClient) -> int:
    return sum(len(ids) for ids in client.snapshot().values())


def test_auto_sessions_of_ended_threads_are_released() -> None:
    client = LocalClient()
    runtime.release_ended_sessions()  # start from a clean queue
    started = threading.Barrier(THREADS + 1)

    def work() -> None:
        with runtime.using_client(client):
            counter_in_auto_session()
        started.wait()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    started.wait()  # every thread holds its ref: all 500 sessions are live at once
    for thread in threads:
        thread.join()
    assert len(client.snapshot()) == THREADS  # their flows ended; nothing released them yet
    assert runtime.release_ended_sessions() >= THREADS
    assert held(client) == 0
    assert client.adapter.registry.sizes()["sessions"] == 0


def test_the_next_dispatch_releases_ended_sessions_on_its_own() -> None:
    client = LocalClient()
    runtime.release_ended_sessions()
    done = threading.Event()

    def work() -> None:
        with runtime.using_client(client):
            counter_in_auto_session()
        done.set()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert done.is_set() and held(client) == 1
    with runtime.using_client(client):
        runtime.call("math", "sqrt", [4], __runtime__={"session_id": "other"})
    assert held(client) == 0


def test_a_live_flows_auto_session_is_kept() -> None:
    client = LocalClient()
    with runtime.using_client(client):
        session = counter_in_auto_session()
        gc.collect()
        runtime.release_ended_sessions()
        assert client.snapshot() == {session: frozenset(client.snapshot()[session])}
        assert runtime.release_auto_session() == session
    assert held(client) == 0


def test_cleared_auto_sessions_are_not_released_behind_the_callers_back() -> None:
    client = LocalClient()
    with runtime.using_client(client):
        session = counter_in_auto_session()
        runtime.clear_auto_session()  # documented: forget, without releasing
        gc.collect()
        runtime.release_ended_sessions()
        assert session in client.snapshot()


def test_auto_sessions_of_finished_tasks_are_released() -> None:
    client = LocalClient()
    runtime.release_ended_sessions()

    async def task() -> str:
        await asyncio.sleep(0)
        return counter_in_auto_session()

    async def main() -> tuple[set[str], int]:
        with runtime.using_client(client):
            sessions = set(await asyncio.gather(*(task() for _ in range(50))))
            live = len(client.snapshot())
            runtime.release_ended_sessions()
        return sessions, live

    sessions, live = asyncio.run(main())
    assert len(sessions) == 50 and live == 50  # one auto-session per task
    assert held(client) == 0


def test_to_thread_inherits_its_tasks_auto_session() -> None:
    async def main() -> tuple[str, str, str]:
        mine = runtime.current_session_id()
        in_thread = await asyncio.to_thread(runtime.current_session_id)
        copied = contextvars.copy_context().run(runtime.current_session_id)
        return mine, in_thread, copied

    mine, in_thread, copied = asyncio.run(main())
    assert mine.startswith("auto_") and in_thread == mine and copied == mine


def test_to_thread_calls_land_in_the_tasks_session() -> None:
    recorder = RecordingClient()

    async def main() -> str:
        with runtime.using_client(recorder):
            runtime.call("math", "sqrt", [1])
            await asyncio.to_thread(runtime.call, "math", "sqrt", [4])
            return runtime.current_session_id()

    session = asyncio.run(main())
    assert recorder.sessions() == [(session, session)] * 2


def test_an_auto_session_first_made_inside_to_thread_ends_with_the_call() -> None:
    # contextvars copy into the thread, never back: the thread's new session is its own.
    client = LocalClient()
    runtime.release_ended_sessions()

    async def main() -> str:
        with runtime.using_client(client):
            return await asyncio.to_thread(counter_in_auto_session)

    session = asyncio.run(main())
    gc.collect()
    assert runtime.release_ended_sessions() >= 1
    assert session not in client.snapshot()


def test_a_pool_releases_ended_auto_sessions_on_its_worker() -> None:
    with closing_pool(1) as pool:
        runtime.release_ended_sessions()
        thread = threading.Thread(target=run_with, args=(pool,))
        thread.start()
        thread.join()
        (worker,) = pool.snapshot().values()
        assert sum(len(ids) for ids in worker.values()) == 1
        assert runtime.release_ended_sessions() == 1
        assert list(pool.snapshot().values()) == [{}]


def run_with(pool: PoolClient) -> None:
    with runtime.using_client(pool):
        counter_in_auto_session()
