"""The client contract, run against PoolClient and RayClient alike: real calls, refs per
session, release, streams, threads, a killed worker, and nothing left after close()."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

import runtime
from runtime import (
    PythonError,
    Ref,
    RefNotFoundError,
    SessionMismatchError,
    StreamRef,
    WorkerDiedError,
)
from tests.runtime.on_ray.support import closing_ray, unique, wait_until
from tests.runtime.pool_support import PoolTargets, add, closing_pool, session
from tests.runtime.support import CounterBinding, SupportBinding, TestMathModule

pytest.importorskip("ray", reason='Ray is not installed: pip install "session-lint[ray]"')

CLIENTS = ("PoolClient", "RayClient")


def open_client(kind: str, **kwargs: Any) -> AbstractContextManager[Any]:
    """A 2-worker client of ``kind``, closed and checked for leftovers on exit."""
    if kind == "PoolClient":
        return closing_pool(2, **kwargs)
    return closing_ray(2, **kwargs)


@pytest.fixture(scope="module", params=CLIENTS)
def shared(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "RayClient":
        request.getfixturevalue("ray_cluster")
    with open_client(request.param, max_refs_per_session=200, helpers={"tests.add": add}) as c:
        yield c


@pytest.fixture
def client(shared: Any) -> Iterator[Any]:
    """The module's client of this parameter, used by this test's context only."""
    with runtime.using_client(shared):
        yield shared


def two_workers(client: Any, prefix: str) -> tuple[str, str]:
    """Two sessions that ``client`` places on two different workers."""
    first = unique(prefix)
    runtime.call(TestMathModule, "sqrt", [1], **session(first))
    while True:
        second = unique(prefix)
        runtime.call(TestMathModule, "sqrt", [1], **session(second))
        if client.worker_pid(second) != client.worker_pid(first):
            return first, second
        runtime.release_session(second)


def test_it_is_a_runtime_client_of_other_processes(client: Any) -> None:
    assert isinstance(client, runtime.RuntimeClient)
    assert len(client.pids) == 2 and os.getpid() not in client.pids
    first, second = two_workers(client, "where")
    assert runtime.call(PoolTargets, "pid", **session(first)) == client.worker_pid(first)
    assert runtime.call(PoolTargets, "pid", **session(second)) == client.worker_pid(second)
    assert {client.worker_pid(first), client.worker_pid(second)} == set(client.pids)
    for name in (first, second):
        runtime.release_session(name)


def test_calls_refs_and_errors_cross_the_process_boundary(client: Any) -> None:
    opts = session(unique("cross"))
    assert runtime.call(TestMathModule, "sqrt", [16], **opts) == 4.0
    assert runtime.call_dynamic("math", "pow", [2], __args__=[10], **opts) == 1024.0
    counter = runtime.call_class(CounterBinding, args=["hello"], **opts)
    assert isinstance(counter, Ref) and counter.session_id == opts["__runtime__"]["session_id"]
    assert runtime.call_method(counter, "most_common", [1]) == [["l", 2]]
    assert runtime.call_dynamic("builtins", "len", [counter], **opts) == 4  # a ref argument
    namespace = runtime.call_dynamic("types", "SimpleNamespace", [], x=1, **opts)
    runtime.set_attr(namespace, "counter", counter)
    assert runtime.call_method(runtime.get_attr(namespace, "counter"), "total") == 5
    with pytest.raises(PythonError) as info:
        runtime.call(TestMathModule, "sqrt", [-1], **opts)
    assert info.value.python_type == "ValueError" and "Traceback" in info.value.traceback
    assert runtime.call_helper("tests.add", [1], b=5, **opts) == 6
    # counter, namespace, and the ref get_attr returned
    assert runtime.release_session(opts["__runtime__"]["session_id"]) == 3


def test_refs_stay_in_their_session_on_their_worker(client: Any) -> None:
    names = [unique(f"many{i}") for i in range(40)]
    refs = {n: runtime.call_class(CounterBinding, args=[n], **session(n)) for n in names}
    placement = {name: client.worker_pid(name) for name in names}
    assert set(placement.values()) == set(client.pids)  # spread over both workers
    held = client.snapshot()
    for name, ref in refs.items():
        assert runtime.call_method(ref, "total") == len(name)
        assert client.worker_pid(name) == placement[name]  # sticky
        assert held[placement[name]][name] == frozenset({ref.id})
    one = names[0]
    near = next(n for n in names[1:] if placement[n] == placement[one])
    far = next(n for n in names if placement[n] != placement[one])
    with pytest.raises(SessionMismatchError):  # refused on its own worker
        runtime.call_method(Ref(refs[one].id), "total", **session(near))
    with pytest.raises(RefNotFoundError):  # unknown on the other one
        runtime.call_method(Ref(refs[one].id), "total", **session(far))
    for name in names:
        assert runtime.release_session(name) == 1
        assert client.worker_pid(name) is None
    assert not any(name in refs for worker in client.snapshot().values() for name in worker)


def test_release_ref_and_release_session(client: Any) -> None:
    name = unique("release")
    first = runtime.call_class(CounterBinding, args=["a"], **session(name))
    second = runtime.call_class(CounterBinding, args=["b"], **session(name))
    assert runtime.release_ref(first) is True
    assert runtime.release_ref(first) is False
    with pytest.raises(RefNotFoundError):
        runtime.call_method(first, "total")
    assert runtime.call_method(second, "total") == 1
    assert runtime.release_session(name) == 1
    with pytest.raises(RefNotFoundError):
        runtime.call_method(second, "total")
    assert runtime.release_session(name) == 0


def test_auto_and_context_sessions_route_and_release(client: Any) -> None:
    counter = runtime.call_class(CounterBinding, args=["ab"])
    auto = runtime.current_session_id()
    assert counter.session_id == auto and client.worker_pid(auto) is not None
    assert runtime.call_method(counter, "total") == 2
    assert runtime.release_auto_session() == auto
    assert client.worker_pid(auto) is None
    with runtime.with_session() as name:
        inner = runtime.call_class(CounterBinding, args=["abc"])
    assert runtime.call_method(inner, "total") == 3  # the ref's session routes it home
    assert runtime.release_session(name) == 1


def test_threads_sharing_the_client_keep_their_refs(client: Any) -> None:
    shared_session = unique("shared")
    errors: list[BaseException] = []
    made: list[Ref] = []
    barrier = threading.Barrier(4)

    def work(i: int) -> None:
        try:
            with runtime.using_client(client):
                barrier.wait(timeout=30)
                own = unique(f"thread{i}")
                counter = runtime.call_class(CounterBinding, args=["x" * i], **session(own))
                for _ in range(10):
                    runtime.call_method(counter, "update", ["y"])
                    made.append(runtime.call_class(CounterBinding, **session(shared_session)))
                assert runtime.call_method(counter, "total") == i + 10
                assert runtime.release_session(own) == 1
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    pid = client.worker_pid(shared_session)
    assert client.snapshot()[pid][shared_session] == {ref.id for ref in made}
    assert runtime.release_session(shared_session) == 40


def test_stream_items_arrive_while_the_generator_runs(client: Any, tmp_path: Path) -> None:
    """The generator waits for a file the callback creates on the first item: if items were
    buffered to the end, the stream could not finish."""
    flag = tmp_path / "flag"
    seen: list[object] = []

    def on_item(item: object) -> None:
        seen.append(item)
        flag.touch()

    opts = {"__runtime__": {"session_id": unique("stream"), "timeout": 30}}
    runtime.stream(PoolTargets, "wait_for_file", [str(flag)], on_item, **opts)
    assert seen == ["first", "second"]


def test_stream_results_errors_refs_and_stream_next(client: Any) -> None:
    name = unique("stream")
    opts = session(name)
    seen: list[Any] = []
    runtime.stream(SupportBinding, "countdown", [3], seen.append, **opts)
    assert seen == [3, 2, 1]
    boxes: list[Any] = []
    runtime.stream(SupportBinding, "boxes", [2], boxes.append, **opts)
    assert all(isinstance(item, Ref) for item in boxes)
    partial: list[Any] = []
    with pytest.raises(PythonError) as info:
        runtime.stream(SupportBinding, "fail_after", [2], partial.append, **opts)
    assert partial == [0, 1] and info.value.python_type == "KeyError"
    handle = runtime.call(SupportBinding, "countdown", [1], **opts)
    assert isinstance(handle, StreamRef)
    assert runtime.stream_next(handle) == 1
    assert runtime.stream_next(handle) is runtime.END_OF_STREAM
    assert runtime.release_session(name) == 2  # the boxes


def test_a_failing_callback_stops_the_stream_on_the_worker(client: Any) -> None:
    opts = {"__runtime__": {"session_id": unique("endless"), "timeout": 30}}

    def explode(item: object) -> None:
        if item == 3:
            raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        runtime.stream(PoolTargets, "forever", [], explode, **opts)
    # The endless generator was stopped: the worker answers the next call.
    assert runtime.call(TestMathModule, "sqrt", [9], **opts) == 3.0


@pytest.mark.parametrize("kind", CLIENTS)
def test_a_killed_worker_fails_its_call_and_its_sessions_refs_name_the_cause(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "RayClient":
        request.getfixturevalue("ray_cluster")
    with open_client(kind) as client, runtime.using_client(client):
        mine, other_name = two_workers(client, "kill")
        ref = runtime.call_class(CounterBinding, args=["aaa"], **session(mine))
        other = runtime.call_class(CounterBinding, args=["bb"], **session(other_name))
        victim, survivor = client.worker_pid(mine), client.worker_pid(other_name)

        started = tmp_path / "started"
        errors: list[BaseException] = []

        def occupy() -> None:
            try:
                with runtime.using_client(client):
                    args = [str(started), 60]
                    runtime.call(PoolTargets, "touch_and_sleep", args, **session(mine))
            except BaseException as error:
                errors.append(error)

        thread = threading.Thread(target=occupy)
        thread.start()
        assert wait_until(started.exists)
        os.kill(victim, signal.SIGKILL)
        thread.join(timeout=30)
        assert not thread.is_alive()
        (error,) = errors
        assert isinstance(error, WorkerDiedError)
        assert f"pid {victim}" in str(error) and "touch_and_sleep" in str(error)

        with pytest.raises(RefNotFoundError, match=rf"lost its refs when .*\(pid {victim}\)"):
            runtime.call_method(ref, "total")
        assert runtime.call_method(other, "total") == 2  # other sessions are untouched
        assert client.worker_pid(other_name) == survivor
        assert wait_until(lambda: len(client.pids) == 2 and victim not in client.pids)
        again = runtime.call_class(CounterBinding, args=["a"], **session(mine))
        assert runtime.call_method(again, "total") == 1  # the session itself lives on
        assert runtime.release_session(mine) == 1
        with pytest.raises(RefNotFoundError) as info:  # released: the death is forgotten
            runtime.call_method(ref, "total")
        assert "lost its refs" not in str(info.value)
        assert runtime.release_session(other_name) == 1
