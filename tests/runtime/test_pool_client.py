"""Real calls through PoolClient's worker processes: affinity, refs, streams, timeouts, threads."""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import runtime
from runtime import (
    CallTimeoutError,
    InvalidSessionIdError,
    PoolClient,
    PythonError,
    Ref,
    RefNotFoundError,
    SessionMismatchError,
    StreamRef,
)
from tests.runtime.pool_support import (
    PoolTargets,
    add,
    closing_pool,
    session,
    wait_until,
)
from tests.runtime.support import CounterBinding, SupportBinding, TestMathModule

PAYLOAD: dict[str, Any] = {
    "protocol_version": 1,
    "min_supported_version": 1,
    "call_type": "class",
    "python_module": "collections",
    "library": "collections",
    "class": "Counter",
    "function": "__init__",
    "args": ["abc"],
    "kwargs": {},
}


@pytest.fixture(scope="module")
def shared() -> Iterator[PoolClient]:
    with closing_pool(2, max_refs_per_session=200, helpers={"tests.add": add}) as pool:
        yield pool


@pytest.fixture
def pool(shared: PoolClient) -> Iterator[PoolClient]:
    """The module's pool, used by this test's context only."""
    with runtime.using_client(shared):
        yield shared


def unique(prefix: str) -> str:
    return f"{prefix}-{os.urandom(4).hex()}"


def test_it_is_a_runtime_client_of_separate_processes(pool: PoolClient) -> None:
    assert isinstance(pool, runtime.RuntimeClient)
    assert len(pool.pids) == 2 and os.getpid() not in pool.pids
    first, second = unique("s"), unique("s")
    assert runtime.call(PoolTargets, "pid", **session(first)) == pool.worker_pid(first)
    assert runtime.call(PoolTargets, "pid", **session(second)) == pool.worker_pid(second)
    assert {pool.worker_pid(first), pool.worker_pid(second)} == set(pool.pids)
    assert repr(pool).startswith("<PoolClient workers=2 pids=")


def test_calls_refs_and_errors_cross_the_process_boundary(pool: PoolClient) -> None:
    opts = session(unique("cross"))
    assert runtime.call(TestMathModule, "sqrt", [16], **opts) == 4.0
    assert runtime.call_dynamic("math", "pow", [2], __args__=[10], **opts) == 1024.0
    assert runtime.get_module_attr("math", "pi", **opts) == pytest.approx(3.14159, abs=1e-5)
    counter = runtime.call_class(CounterBinding, args=["hello"], **opts)
    assert isinstance(counter, Ref) and counter.session_id == opts["__runtime__"]["session_id"]
    assert runtime.call_method(counter, "most_common", [1]) == [["l", 2]]
    runtime.call_method(counter, "update", ["ll"])
    assert runtime.call_dynamic("builtins", "len", [counter], **opts) == 4  # a ref argument
    namespace = runtime.call_dynamic("types", "SimpleNamespace", [], x=1, **opts)
    runtime.set_attr(namespace, "counter", counter)
    assert runtime.call_method(runtime.get_attr(namespace, "counter"), "total") == 7

    with pytest.raises(PythonError) as info:
        runtime.call(TestMathModule, "sqrt", [-1], **opts)
    assert info.value.python_type == "ValueError"
    assert info.value.message == "math domain error"
    assert "Traceback" in info.value.traceback
    assert pickle.loads(pickle.dumps(info.value)).python_type == "ValueError"
    with pytest.raises(runtime.WireEncodingError):
        runtime.call_dynamic("builtins", "len", [{1, 2}], **opts)


def test_many_sessions_at_once_keep_their_refs(pool: PoolClient) -> None:
    names = [unique(f"many{i}") for i in range(120)]
    refs = {
        name: runtime.call_class(CounterBinding, args=[name], **session(name)) for name in names
    }
    placement = {name: pool.worker_pid(name) for name in names}
    assert set(placement.values()) == set(pool.pids)  # spread over both workers
    for name, ref in refs.items():
        assert runtime.call_method(ref, "total") == len(name)
        assert pool.worker_pid(name) == placement[name]  # sticky
    held = pool.snapshot()
    for name, ref in refs.items():
        pid = placement[name]
        assert pid is not None and held[pid][name] == frozenset({ref.id})
    # A ref is never reachable from another session: refused on its own worker, absent
    # from the other.
    one, other = names[0], next(n for n in names if placement[n] != placement[names[0]])
    near = next(n for n in names[1:] if placement[n] == placement[one])
    with pytest.raises(SessionMismatchError):
        runtime.call_method(Ref(refs[one].id), "total", **session(near))
    with pytest.raises(RefNotFoundError):
        runtime.call_method(Ref(refs[one].id), "total", **session(other))
    for name in names:
        assert runtime.release_session(name) == 1
        assert pool.worker_pid(name) is None  # released: unpinned
    assert not any(name in refs for worker in pool.snapshot().values() for name in worker)


def test_release_ref_and_release_session(pool: PoolClient) -> None:
    name = unique("release")
    first = runtime.call_class(CounterBinding, args=["a"], **session(name))
    second = runtime.call_class(CounterBinding, args=["b"], **session(name))
    assert runtime.release_ref(first) is True
    assert runtime.release_ref(first) is False
    with pytest.raises(RefNotFoundError):
        runtime.call_method(first, "total")
    assert runtime.call_method(second, "total") == 1
    assert runtime.release_session(name) == 1
    assert pool.worker_pid(name) is None
    with pytest.raises(RefNotFoundError):
        runtime.call_method(second, "total")
    assert runtime.release_session(name) == 0
    # A released session can start again, on whichever worker is least loaded.
    again = runtime.call_class(CounterBinding, args=["xyz"], **session(name))
    assert runtime.call_method(again, "total") == 3
    assert runtime.release_session(name) == 1


def test_auto_sessions_and_context_sessions_route_and_release(pool: PoolClient) -> None:
    counter = runtime.call_class(CounterBinding, args=["ab"])
    auto = runtime.current_session_id()
    assert counter.session_id == auto and pool.worker_pid(auto) is not None
    assert runtime.call_method(counter, "total") == 2
    assert runtime.release_auto_session() == auto
    assert pool.worker_pid(auto) is None
    with runtime.with_session() as name:
        inner = runtime.call_class(CounterBinding, args=["abc"])
        assert inner.session_id == name
    assert runtime.call_method(inner, "total") == 3  # the ref's session routes it home
    assert runtime.release_session(name) == 1


def test_concurrent_threads_keep_their_refs(pool: PoolClient) -> None:
    shared_session = unique("shared")
    errors: list[BaseException] = []
    made: list[Ref] = []
    barrier = threading.Barrier(8)

    def work(i: int) -> None:
        try:
            with runtime.using_client(pool):
                barrier.wait(timeout=10)
                own = unique(f"thread{i}")
                counter = runtime.call_class(CounterBinding, args=["x" * i], **session(own))
                for _ in range(20):
                    runtime.call_method(counter, "update", ["y"])
                    made.append(runtime.call_class(CounterBinding, **session(shared_session)))
                assert runtime.call_method(counter, "total") == i + 20
                assert runtime.release_session(own) == 1
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(made) == 160
    for ref in made:  # every ref of the shared session landed on its one worker
        assert runtime.call_method(ref, "total") == 0
    pid = pool.worker_pid(shared_session)
    assert pid is not None
    assert pool.snapshot()[pid][shared_session] == {ref.id for ref in made}
    assert runtime.release_session(shared_session) == 160


def test_stream_items_arrive_while_the_generator_runs(pool: PoolClient, tmp_path: Path) -> None:
    """The generator waits for a file the callback creates on the first item: if items were
    buffered to the end, the stream could not finish."""
    for form in (PoolTargets, PoolTargets.__snakebridge_python_name__):
        flag = tmp_path / f"flag-{id(form)}"
        seen: list[object] = []

        def on_item(item: object, flag: Path = flag, seen: list[object] = seen) -> None:
            seen.append(item)
            flag.touch()

        opts = {"__runtime__": {"session_id": unique("stream"), "timeout": 20}}
        runtime.stream(form, "wait_for_file", [str(flag)], on_item, **opts)
        assert seen == ["first", "second"]


def test_stream_results_errors_and_refs(pool: PoolClient) -> None:
    opts = session(unique("stream"))
    seen: list[Any] = []
    runtime.stream(SupportBinding, "countdown", [3], seen.append, **opts)
    assert seen == [3, 2, 1]
    boxes: list[Any] = []
    runtime.stream(SupportBinding, "boxes", [2], boxes.append, **opts)
    assert all(isinstance(item, Ref) for item in boxes)
    assert runtime.call_method(boxes[1], "keys") is not None
    partial: list[Any] = []
    with pytest.raises(PythonError) as info:
        runtime.stream(SupportBinding, "fail_after", [2], partial.append, **opts)
    assert partial == [0, 1] and info.value.python_type == "KeyError"
    handle = runtime.call(SupportBinding, "countdown", [1], **opts)
    assert isinstance(handle, StreamRef)
    assert runtime.stream_next(handle) == 1
    assert runtime.stream_next(handle) is runtime.END_OF_STREAM


def test_a_failing_callback_stops_the_stream_on_the_worker(pool: PoolClient) -> None:
    opts = {"__runtime__": {"session_id": unique("endless"), "timeout": 10}}

    def explode(item: object) -> None:
        if item == 3:
            raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        runtime.stream(PoolTargets, "forever", [], explode, **opts)
    # The endless generator was stopped: the worker answers the next call at once.
    assert runtime.call(TestMathModule, "sqrt", [9], **opts) == 3.0


def test_timeouts_raise_a_clear_error_and_free_the_worker(pool: PoolClient) -> None:
    name = unique("slow")
    before = runtime.call(PoolTargets, "pid", **session(name))
    with pytest.raises(CallTimeoutError) as info:
        runtime.call_dynamic(
            "time", "sleep", [1000], __runtime__={"session_id": name, "timeout": 0.2}
        )
    assert isinstance(info.value, TimeoutError)
    message = str(info.value)
    assert "time.sleep" in message and "timed out after 0.2 s" in message and name in message
    # The sleeping call's worker was stopped; the session's next call runs elsewhere.
    after = runtime.call(PoolTargets, "pid", **session(name))
    assert after != before and after in pool.pids

    with pytest.raises(CallTimeoutError):
        runtime.stream(
            PoolTargets,
            "forever",
            [],
            lambda item: None,
            __runtime__={"session_id": name, "timeout": 0.3},
        )
    assert runtime.call(TestMathModule, "sqrt", [4], __runtime__={"session_id": name}) == 2.0
    assert runtime.call(PoolTargets, "pid", **session(name)) not in (before, after)


def test_a_timed_out_call_that_had_not_started_never_runs(pool: PoolClient, tmp_path: Path) -> None:
    name = unique("queued")
    started = tmp_path / "started"

    def occupy() -> None:
        with runtime.using_client(pool):
            runtime.call(PoolTargets, "touch_and_sleep", [str(started), 0.6], **session(name))

    busy = threading.Thread(target=occupy)
    busy.start()
    assert wait_until(started.exists)
    with pytest.raises(CallTimeoutError):
        runtime.call_class(CounterBinding, __runtime__={"session_id": name, "timeout": 0.1})
    busy.join(timeout=10)
    pid = pool.worker_pid(name)
    assert pid is not None
    assert name not in pool.snapshot()[pid]  # the queued constructor was skipped


def test_bad_timeouts_and_routing_sessions_are_refused(pool: PoolClient) -> None:
    for bad in ("soon", True, [1]):
        with pytest.raises(TypeError, match=r"__runtime__\['timeout'\]"):
            runtime.call(TestMathModule, "sqrt", [4], __runtime__={"timeout": bad})
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match=r"__runtime__\['timeout'\]"):
            runtime.call(TestMathModule, "sqrt", [4], __runtime__={"timeout": bad})
    assert runtime.call(TestMathModule, "sqrt", [4], __runtime__={"timeout": float("inf")}) == 2.0
    payload = {**PAYLOAD, "session_id": "x"}
    for bad_session in (5, ""):
        with pytest.raises(InvalidSessionIdError) as info:
            pool.execute("snakebridge.call", payload, {"session_id": bad_session})
        assert info.value.source == "routing opts['session_id']"


def test_payload_without_session_runs_under_the_routing_session(pool: PoolClient) -> None:
    name = unique("routed")
    wire = pool.execute("snakebridge.call", dict(PAYLOAD), {"session_id": name})
    assert wire["session_id"] == name
    assert runtime.call_method(Ref.from_wire_format(wire), "total") == 3
    # Without a routing session a call goes to some worker and pins nothing.
    assert pool.execute("snakebridge.call", {**PAYLOAD, "session_id": unique("p")}, {})
    assert runtime.release_session(name) == 1


def test_helpers_run_in_the_workers(pool: PoolClient) -> None:
    assert runtime.call_helper("snakebridge.ping")["ok"] is True
    assert runtime.call_helper("tests.add", [1], {"b": 2}) == 3
    assert runtime.call_helper("tests.add", [1], b=5, **session(unique("h"))) == 6
    with pytest.raises(runtime.ProtocolError, match="unknown helper"):
        runtime.call_helper("tests.missing")


def test_construction_is_checked_before_any_process_starts() -> None:
    with pytest.raises(TypeError, match="helpers must be picklable"):
        PoolClient(1, helpers={"f": lambda: 1})
    with pytest.raises(ValueError, match="workers"):
        PoolClient(0)
    with pytest.raises(ValueError, match="max_refs_per_session"):
        PoolClient(1, max_refs_per_session=0)
    with pytest.raises(ValueError, match="timeout"):
        PoolClient(1, timeout=-1)


def test_the_new_errors_pickle_as_themselves() -> None:
    for error in (
        runtime.CallTimeoutError("late"),
        runtime.WorkerDiedError("gone"),
        runtime.ClientClosedError("closed"),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and copy.message == error.message
    assert isinstance(runtime.CallTimeoutError("late"), TimeoutError)
