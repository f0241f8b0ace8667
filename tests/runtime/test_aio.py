"""``runtime.aio`` through real clients: results, errors, sessions per task, cancellation,
backpressure, and an event loop that keeps running while a call runs.

(The consistency properties of every path run in both forms in test_session_consistency,
test_paths_property and test_pool_properties.)
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import pytest

import runtime
import runtime.aio as aio
from runtime import (
    END_OF_STREAM,
    InvalidRuntimeOptionError,
    LocalClient,
    PythonError,
    Ref,
    RefNotFoundError,
    StreamRef,
)
from runtime.async_client import DEFAULT_STREAM_BUFFER, ThreadedAsyncClient, async_client_for
from tests.runtime import aio_support
from tests.runtime.aio_support import TICKS, AioTargets, ticks_during_a_long_call
from tests.runtime.pool_support import wait_until
from tests.runtime.support import CounterBinding, SupportBinding

ENDLESS = "tests.runtime.aio_support"


def test_every_path_works_against_real_code(local: LocalClient) -> None:
    async def main() -> None:
        async with aio.with_session("s") as sid:
            assert await aio.call_dynamic("operator", "add", [1, 2]) == 3
            assert await aio.call(AioTargets, "wait_for_path", ["."]) is True
            assert await aio.get_module_attr("math", "pi") == pytest.approx(3.14159, abs=1e-5)
            counter = await aio.call_class(CounterBinding, args=["abca"])
            assert isinstance(counter, Ref) and counter.session_id == sid
            assert await aio.call_method(counter, "total") == 4
            await aio.set_attr(counter, "label", "x")
            assert await aio.get_attr(counter, "label") == "x"
            assert (await aio.call_helper("snakebridge.ping", [], {}))["ok"] is True
            handle = await aio.call_dynamic("builtins", "iter", [[7]])
            assert isinstance(handle, StreamRef)
            assert await aio.stream_next(handle) == 7
            assert await aio.stream_next(handle) is END_OF_STREAM
            assert await aio.release_ref(counter) is True
            assert await aio.release_ref(counter) is False
            await aio.call_class(CounterBinding, args=["a"])
            assert await aio.release_session(sid) == 1

    asyncio.run(main())
    assert local.snapshot() == {}


def test_errors_are_the_sync_api_errors(local: LocalClient) -> None:
    async def main() -> None:
        with pytest.raises(PythonError) as info:
            await aio.call_dynamic("math", "sqrt", [-1])
        assert info.value.python_type == "ValueError"
        with pytest.raises(RefNotFoundError):
            await aio.call_method(Ref("gone", "s"), "total", __runtime__={"session_id": "s"})
        with pytest.raises(InvalidRuntimeOptionError, match="timeout"):  # as LocalClient's sync
            await aio.call_dynamic("math", "sqrt", [4], __runtime__={"timeout": 1})
        with pytest.raises(TypeError, match="module_path"):
            await aio.call_dynamic("", "sqrt", [4])

    asyncio.run(main())


def test_a_client_twin_is_native_when_offered_else_a_thread_adapter() -> None:
    class WithTwin(LocalClient):
        aio = ThreadedAsyncClient(LocalClient(), stream_buffer=2)

    twin = async_client_for(WithTwin())
    assert twin is WithTwin.aio
    plain = LocalClient()
    adapter = async_client_for(plain)
    assert isinstance(adapter, ThreadedAsyncClient) and adapter.client is plain
    with pytest.raises(ValueError, match="stream_buffer"):
        ThreadedAsyncClient(plain, stream_buffer=0)


def test_thousands_of_tasks_keep_their_own_auto_sessions_and_leak_nothing(
    local: LocalClient,
) -> None:
    async def one(i: int) -> tuple[str, str, int]:
        ref = await aio.call_class(CounterBinding, args=["x" * (i % 9 + 1)])
        await asyncio.sleep(0)  # let the other tasks interleave between the two calls
        return ref.session_id, runtime.current_session_id(), await aio.call_method(ref, "total")

    async def main() -> list[tuple[str, str, int]]:
        return await asyncio.gather(*(one(i) for i in range(2000)))

    results = asyncio.run(main())
    assert [total for _, _, total in results] == [i % 9 + 1 for i in range(2000)]
    assert all(ref_session == own for ref_session, own, _ in results)
    assert len({own for _, own, _ in results}) == 2000  # one auto-session per task
    # Each task's auto-session ended with its task: the dispatches of tasks still running
    # released some already; this releases the rest, and nothing is left.
    runtime.release_ended_sessions()
    assert local.snapshot() == {}


def test_with_session_is_per_task_across_awaits(local: LocalClient) -> None:
    async def one(i: int) -> list[str]:
        seen = []
        async with aio.with_session(f"task{i}"):
            for _ in range(3):
                ref = await aio.call_class(CounterBinding, args=["a"])
                seen.append(ref.session_id)
                await asyncio.sleep(0)
            with runtime.with_session(f"inner{i}"):  # plain `with` nests inside it too
                seen.append((await aio.call_class(CounterBinding)).session_id)
            seen.append(runtime.current_session_id())
        return seen

    async def main() -> list[list[str]]:
        return await asyncio.gather(*(one(i) for i in range(50)))

    for i, seen in enumerate(asyncio.run(main())):
        assert seen == [f"task{i}"] * 3 + [f"inner{i}", f"task{i}"]
    assert runtime.current_context() is None


def test_a_call_cancelled_midway_raises_at_once_and_leaves_no_ref(
    local: LocalClient, tmp_path: Path
) -> None:
    started, release = tmp_path / "started", tmp_path / "release"
    opts = {"__runtime__": {"session_id": "cancelled"}}

    async def main() -> None:
        call = aio.call(AioTargets, "make_after", [str(started), str(release)], **opts)
        task = asyncio.create_task(call)
        assert await asyncio.to_thread(wait_until, started.exists)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task  # the target is still running: cancellation did not wait for it
        assert not release.exists()
        release.touch()

    asyncio.run(main())  # waits for the executor: the call ended and its result was dropped
    assert local.snapshot() == {}
    # The same call, not cancelled, does keep its ref: the check above can fail.
    ref = runtime.call(AioTargets, "make_after", [str(started), str(release)], **opts)
    assert local.snapshot() == {"cancelled": frozenset({ref.id})}


@pytest.mark.parametrize("module", [AioTargets, ENDLESS], ids=["binding", "str"])
@pytest.mark.parametrize("how", ["break", "drop", "cancel", "cancel-while-waiting"])
def test_stopping_a_stream_stops_the_worker_iteration_and_frees_it(
    local: LocalClient, tmp_path: Path, module: object, how: str
) -> None:
    closed, gate = tmp_path / "closed", tmp_path / "gate"
    opts = {"__runtime__": {"session_id": "streaming"}}
    gate_arg = str(gate) if how == "cancel-while-waiting" else None
    seen: list[int] = []
    reading = asyncio.Event()

    async def consume() -> None:
        if how == "drop":  # no async with: the event loop closes the dropped stream
            async for item in aio.stream(module, "endless", [str(closed)], **opts):
                seen.append(item)
                if item == 2:
                    break
            return
        async with aio.stream(module, "endless", [str(closed), gate_arg], **opts) as items:
            async for item in items:
                seen.append(item)
                if item == 2:
                    if how == "break":
                        break
                    if how == "cancel":
                        reading.set()
                        await asyncio.Event().wait()  # parked in the loop body
                    reading.set()  # and now waits for item 3, which waits for the gate

    async def main() -> None:
        task = asyncio.create_task(consume())
        if how in ("break", "drop"):
            await task
            # A dropped stream is closed by a task the loop starts: keep the loop running.
            assert await asyncio.to_thread(wait_until, closed.exists)
            return
        await reading.wait()
        await asyncio.sleep(0)  # let the consumer reach its await
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gate.touch()  # a waiting generator goes on, and meets the closed stream

    asyncio.run(main())
    assert seen == [0, 1, 2]
    assert wait_until(closed.exists), "the generator was never closed"
    assert local.snapshot() == {}


def test_a_slow_consumer_holds_the_producer_back(local: LocalClient) -> None:
    ahead: list[int] = []
    bound = DEFAULT_STREAM_BUFFER + 1  # the buffer, and one item waiting for room

    def buffer_full_or_done(consumed: int) -> bool:
        progress = aio_support.PROGRESS
        return bool(progress["done"]) or progress["produced"] >= consumed + bound

    async def main() -> None:
        consumed = 0
        async with aio.stream(AioTargets, "counted", [5 * bound]) as items:
            async for _item in items:
                consumed += 1
                # Give the producer every chance to run ahead before reading on.
                check = functools.partial(buffer_full_or_done, consumed)
                await asyncio.to_thread(wait_until, check)
                ahead.append(aio_support.PROGRESS["produced"] - consumed)

    asyncio.run(main())
    assert len(ahead) == 5 * bound
    assert max(ahead) == bound  # reached, never passed


def test_the_event_loop_keeps_running_during_a_long_call(
    local: LocalClient, tmp_path: Path
) -> None:
    released, ticks = asyncio.run(ticks_during_a_long_call(str(tmp_path / "release")))
    assert released is True
    assert ticks >= TICKS


def test_a_stream_error_reaches_the_consumer_after_the_items(local: LocalClient) -> None:
    async def main() -> list[int]:
        seen: list[int] = []
        with pytest.raises(PythonError, match="boom"):
            async with aio.stream("tests.runtime.support", "fail_after", [3]) as items:
                async for item in items:
                    seen.append(item)
        return seen

    assert asyncio.run(main()) == [0, 1, 2]


def test_streams_of_data_and_refs_match_the_sync_form(local: LocalClient) -> None:
    async def drain(module: object, function: str, args: list[object]) -> list[object]:
        async with aio.stream(module, function, args) as items:
            return [item async for item in items]

    async def main() -> None:
        async with aio.with_session("s"):
            assert await drain("builtins", "dict", [{"a": 1}]) == ["a"]
            assert await drain(SupportBinding, "countdown", [3]) == [3, 2, 1]
            boxes = await drain("tests.runtime.support", "boxes", [3])
            assert all(isinstance(box, Ref) for box in boxes)
            assert await aio.release_session("s") == 3

    asyncio.run(main())
    assert local.snapshot() == {}


def test_items_made_for_a_stopped_stream_are_released(local: LocalClient, tmp_path: Path) -> None:
    progress = str(tmp_path / "progress")
    full = DEFAULT_STREAM_BUFFER + 2  # one read, the buffer's worth unread, one waiting

    async def main() -> str:
        opts = {"__runtime__": {"session_id": "c"}}
        async with aio.stream(AioTargets, "boxes_noting", [progress, 100], **opts) as items:
            async for box in items:

                def reached() -> bool:
                    return aio_support.made(progress) >= full

                assert await asyncio.to_thread(wait_until, reached)
                return str(box.id)  # every item but this one is never read
        raise AssertionError("no item")

    kept = asyncio.run(main())
    assert aio_support.made(progress) == full  # the producer was held there
    assert wait_until(lambda: local.snapshot() == {"c": frozenset({kept})})
