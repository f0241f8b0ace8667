"""What only RayClient has: routing every driver agrees on, deadlines that restart an actor,
idempotent retries, backpressure, connecting to a running cluster, its own cluster's end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import runtime
from runtime import (
    CallTimeoutError,
    ClientClosedError,
    Ref,
    RefNotFoundError,
    SessionLimitError,
    WorkerBusyError,
    WorkerDiedError,
)
from tests.runtime.on_ray.support import (
    NAMESPACE,
    ROOT,
    RayTargets,
    closing_ray,
    named_actors,
    sessions_on_different_actors,
    unique,
    wait_until,
)
from tests.runtime.pool_support import PoolTargets, session
from tests.runtime.support import CounterBinding, TestMathModule

ray = pytest.importorskip("ray", reason='Ray is not installed: pip install "session-lint[ray]"')

from runtime.ray import RayClient  # noqa: E402  (needs Ray)
from runtime.ray.routing import slot_for  # noqa: E402
from runtime.ray.streams import STREAM_BACKPRESSURE  # noqa: E402


@pytest.fixture(scope="module")
def shared(ray_cluster: str) -> Iterator[RayClient]:
    with closing_ray(2) as client:
        yield client


@pytest.fixture
def client(shared: RayClient) -> Iterator[RayClient]:
    with runtime.using_client(shared):
        yield shared


def run_driver(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a new Python process (another Ray driver), from the repository."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )


def test_runtime_exports_it_lazily(client: RayClient) -> None:
    assert runtime.RayClient is RayClient
    assert "RayClient" not in runtime.__all__  # ``from runtime import *`` needs no Ray
    assert repr(client).startswith(f"<RayClient {NAMESPACE}/pool-")
    assert len(client.actor_names) == 2 and set(client.actor_names) <= named_actors()


def test_routing_is_rendezvous_hashing_of_the_routing_session(client: RayClient) -> None:
    names = [unique("hash") for _ in range(30)]
    for name in names:
        runtime.call(TestMathModule, "sqrt", [1], **session(name))
        assert client.actor_index(name) == slot_for(name, 2)
        assert client.worker_pid(name) == client.pids[slot_for(name, 2)]
        runtime.release_session(name)
    assert {slot_for(name, 2) for name in names} == {0, 1}
    # Growing the pool moves only the sessions the new slot wins.
    assert all(slot_for(n, 3) in (slot_for(n, 2), 2) for n in names)


def test_another_driver_reaches_the_same_actor_for_a_session(
    client: RayClient, ray_cluster: str
) -> None:
    """A second driver process opens the pool by name: it routes the session to the same
    actor, finds the ref made here, and its close() leaves the actors it did not create."""
    name = unique("shared")
    ref = runtime.call_class(CounterBinding, args=["hello"], **session(name))
    script = f"""
        import json, sys, runtime
        from runtime.ray import RayClient
        ref = runtime.Ref.from_wire_format(json.loads(sys.argv[1]))
        with RayClient(2, name={client.name!r}, namespace={NAMESPACE!r},
                       address={ray_cluster!r}) as other, runtime.using_client(other):
            total = runtime.call_method(ref, "total")
            runtime.call_method(ref, "update", ["!!"])
            print(json.dumps([total, other.actor_index(ref.session_id)]))
    """
    wire = json.dumps(ref.to_wire_format())
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), wire],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    total, index = json.loads(done.stdout.splitlines()[-1])
    assert (total, index) == (5, client.actor_index(name))
    assert runtime.call_method(ref, "total") == 7  # its update landed on our actor
    assert runtime.release_session(name) == 1


def test_a_pool_opened_with_another_size_is_refused(client: RayClient) -> None:
    with pytest.raises(ValueError, match="belongs to a pool of 2 actors, not 3"):
        RayClient(3, name=client.name, namespace=NAMESPACE)
    assert set(client.actor_names) <= named_actors()  # the refusal killed none of ours
    assert runtime.call(TestMathModule, "sqrt", [4], **session(unique("after"))) == 2.0


def test_a_running_call_past_its_deadline_restarts_its_actor(
    client: RayClient, tmp_path: Path
) -> None:
    name, other_name = sessions_on_different_actors(client, "slow")
    ref = runtime.call_class(CounterBinding, args=["abc"], **session(name))
    other = runtime.call_class(CounterBinding, args=["xy"], **session(other_name))
    victim = client.worker_pid(name)
    with pytest.raises(CallTimeoutError) as info:
        runtime.call_dynamic("time", "sleep", [600], __runtime__={"session_id": name, "timeout": 1})
    message = str(info.value)
    assert isinstance(info.value, TimeoutError)
    assert "time.sleep" in message and "timed out after 1 s" in message and name in message
    assert f"actor {client.actor_index(name)} (pid {victim})" in message
    assert "was stopped and is being replaced" in message
    # The session's refs are lost, with the timeout as the cause; the actor is a new one.
    with pytest.raises(RefNotFoundError, match=r"lost its refs when actor \d \(pid \d+\) was"):
        runtime.call_method(ref, "total")
    assert runtime.call(PoolTargets, "pid", **session(name)) != victim
    assert wait_until(lambda: victim not in client.pids)
    assert runtime.call_method(other, "total") == 2  # the other actor was left alone
    for session_id in (name, other_name):
        runtime.release_session(session_id)


def test_calls_queued_behind_a_late_call_fail_as_never_started(
    client: RayClient, tmp_path: Path
) -> None:
    """They never started on the actor the deadline stopped: the error says so (safe to
    send again), as PoolClient's strict mode does, and the session carries on."""
    name = unique("behind")
    started = tmp_path / "started"
    victim = runtime.call(PoolTargets, "pid", **session(name))
    errors: list[BaseException] = []

    def late() -> None:
        try:
            with runtime.using_client(client):
                late_opts = {"__runtime__": {"session_id": name, "timeout": 2}}
                runtime.call(PoolTargets, "touch_and_sleep", [str(started), 600], **late_opts)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=late)
    thread.start()
    assert wait_until(started.exists)
    with pytest.raises(WorkerDiedError, match=r"never ran \(it is safe to send again\)") as info:
        runtime.call(PoolTargets, "pid", **session(name))  # queued behind the late call
    assert "timed out after 2 s" in str(info.value)
    thread.join(timeout=60)
    (error,) = errors
    assert isinstance(error, CallTimeoutError)
    again = runtime.call(PoolTargets, "pid", **session(name))
    assert again != victim and again == client.worker_pid(name)
    runtime.release_session(name)


def test_affinity_modes(ray_cluster: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'hint' would move sessions between actors"):
        RayClient(1, affinity="hint")
    with pytest.raises(ValueError, match="affinity must be 'strict' or 'fail_fast'"):
        RayClient(1, affinity="sticky")
    started = tmp_path / "started"
    with closing_ray(1, affinity="fail_fast") as eager, runtime.using_client(eager):
        errors: list[BaseException] = []

        def occupy() -> None:
            try:
                with runtime.using_client(eager):
                    args = [str(started), 1.0]
                    runtime.call(PoolTargets, "touch_and_sleep", args, **session("busy"))
            except BaseException as error:
                errors.append(error)

        thread = threading.Thread(target=occupy)
        thread.start()
        assert wait_until(started.exists)
        with pytest.raises(WorkerBusyError, match="affinity='fail_fast'"):
            runtime.call(TestMathModule, "sqrt", [4], **session("busy"))
        thread.join(timeout=30)
        assert errors == []
        assert runtime.call(TestMathModule, "sqrt", [4], **session("busy")) == 2.0


def test_a_call_queued_past_its_deadline_never_runs(client: RayClient, tmp_path: Path) -> None:
    name = unique("queued")
    started = tmp_path / "started"
    pid = runtime.call(PoolTargets, "pid", **session(name))

    def occupy() -> None:
        with runtime.using_client(client):
            runtime.call(PoolTargets, "touch_and_sleep", [str(started), 1.5], **session(name))

    busy = threading.Thread(target=occupy)
    busy.start()
    assert wait_until(started.exists)
    with pytest.raises(CallTimeoutError, match="it was waiting for its worker and never started"):
        runtime.call_class(CounterBinding, __runtime__={"session_id": name, "timeout": 0.2})
    busy.join(timeout=30)
    assert not busy.is_alive()
    assert client.worker_pid(name) == pid  # not restarted: the busy call was not the late one
    assert name not in client.snapshot()[pid]  # the queued constructor was skipped
    runtime.release_session(name)


def test_a_stream_past_its_deadline_stops_and_frees_the_actor(client: RayClient) -> None:
    name = unique("endless")
    pid = runtime.call(PoolTargets, "pid", **session(name))
    late = {"__runtime__": {"session_id": name, "timeout": 0.5}}
    with pytest.raises(CallTimeoutError, match="has ended since"):
        runtime.stream(PoolTargets, "forever", [], lambda item: None, **late)
    # Stopped at its next item: the same actor answers, nothing was restarted.
    assert runtime.call(PoolTargets, "pid", **session(name)) == pid
    runtime.release_session(name)


def test_streams_have_backpressure(client: RayClient, tmp_path: Path) -> None:
    """While the callback holds the first item, the actor makes only a bounded number more
    (bounded wait: without backpressure all 400 are made well within it)."""
    made = tmp_path / "made"
    seen: list[int] = []
    leads: list[int] = []

    def on_item(item: int) -> None:
        if not seen:
            wait_until(
                lambda: made.exists() and int(made.read_text()) > STREAM_BACKPRESSURE + 4, 1.5
            )
        seen.append(item)
        leads.append(int(made.read_text()) - len(seen))

    runtime.stream(RayTargets, "counted", [str(made), 400], on_item, **session(unique("bp")))
    assert seen == list(range(400))
    assert max(leads) <= STREAM_BACKPRESSURE + 4, max(leads)


def test_an_idempotent_call_is_retried_once_when_its_actor_dies(
    client: RayClient, tmp_path: Path
) -> None:
    name = unique("retry")
    once, twice, never = (tmp_path / f for f in ("once", "twice", "never"))
    result = runtime.call(
        RayTargets, "exit_unless_marked", [str(once)], idempotent=True, **session(name)
    )
    assert result == "second run" and once.read_text().count("run") == 2
    with pytest.raises(WorkerDiedError):  # retried once only
        runtime.call(RayTargets, "always_exit", [str(twice)], idempotent=True, **session(name))
    assert twice.read_text().count("run") == 2
    with pytest.raises(WorkerDiedError):  # not idempotent: never retried
        runtime.call(RayTargets, "exit_unless_marked", [str(never)], **session(name))
    assert never.read_text().count("run") == 1
    assert runtime.call(TestMathModule, "sqrt", [9], **session(name)) == 3.0


def test_close_kills_its_actors_and_leaves_ray_running(ray_cluster: str) -> None:
    with closing_ray(2) as other:
        names = list(other.actor_names)
        with runtime.using_client(other):
            ref = runtime.call_class(CounterBinding, args=["ab"], **session("closing"))
    assert not set(names) & named_actors()
    assert ray.is_initialized()  # started by the test session, not by the client
    with runtime.using_client(other), pytest.raises(ClientClosedError):
        runtime.call_method(ref, "total")
    with pytest.raises(ClientClosedError):
        other.snapshot()
    other.close()  # idempotent
    assert isinstance(ref, Ref)


def test_the_registry_bounds_reach_every_actor(ray_cluster: str) -> None:
    with closing_ray(1, max_refs=2, max_sessions=2) as bounded, runtime.using_client(bounded):
        first = runtime.call_class(CounterBinding, **session("A"))
        runtime.call_class(CounterBinding, **session("B"))
        with pytest.raises(SessionLimitError, match="max_sessions"):
            runtime.call_class(CounterBinding, **session("C"))
        runtime.call_class(CounterBinding, **session("B"))  # evicts A's ref: max_refs=2
        with pytest.raises(RefNotFoundError, match="evicted"):
            runtime.call_method(first, "total")
        for name in ("A", "B"):
            runtime.release_session(name)


def test_construction_is_checked(ray_cluster: str) -> None:
    for bad in (0, True, "2"):
        with pytest.raises(ValueError, match="actors"):
            RayClient(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_refs_per_session"):
        RayClient(1, max_refs_per_session=0)
    with pytest.raises(ValueError, match="timeout"):
        RayClient(1, timeout=-1)
    with pytest.raises(ValueError, match="name"):
        RayClient(1, name="")
    with pytest.raises(ValueError, match="session_ttl"):
        RayClient(1, session_ttl=-1)


def test_a_client_that_starts_ray_shuts_it_down_and_leaves_no_process() -> None:
    """In a process of its own (this one's Ray is already up): RayClient starts a local
    cluster, and close() ends it and every process it started."""
    done = run_driver(
        """
        import json, os, ray, runtime
        from tests.runtime.on_ray.support import descendants, wait_until
        before = descendants(os.getpid())
        with runtime.RayClient(1, num_cpus=1, init_options={"log_to_driver": False}) as client:
            during = descendants(os.getpid()) - before
            with runtime.using_client(client):
                answer = runtime.call_dynamic("math", "sqrt", [16], __runtime__={"session_id": "s"})
        print(json.dumps({
            "answer": answer,
            "initialized": ray.is_initialized(),
            "started": len(during),
            "left": sorted(descendants(os.getpid()) - before) if not wait_until(
                lambda: not descendants(os.getpid()) - before) else [],
        }))
        """,
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["answer"] == 4.0 and report["initialized"] is False
    assert report["started"] >= 2  # at least Ray's GCS server and raylet
    assert report["left"] == []


def test_importing_runtime_needs_no_ray_and_a_missing_ray_is_a_clear_error() -> None:
    done = run_driver(
        """
        import sys
        sys.modules["ray"] = None  # as if Ray were not installed
        import runtime
        with runtime.using_client(runtime.LocalClient()):
            assert runtime.call_dynamic("math", "sqrt", [4]) == 2.0
        assert runtime.PoolClient
        try:
            runtime.RayClient
        except ImportError as error:
            print(error)
        """
    )
    assert done.returncode == 0, done.stderr
    assert 'pip install "session-lint[ray]"' in done.stdout
    plain = run_driver("import sys, runtime; print('ray' in sys.modules)")
    assert plain.stdout.strip() == "False"
