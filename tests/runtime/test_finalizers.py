"""Released objects are finalized outside the registry lock: a slow or calling ``finally``
stalls nobody else and cannot deadlock. Synchronised with events; the waits only bound a
regression (a stalled call), they never measure time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import runtime
from runtime import LocalClient, StreamRef

GUARD = 20.0  # seconds a regression may stall before the test reports it, not a timing

GATES: dict[str, tuple[threading.Event, threading.Event]] = {}
CLEANUP_RESULTS: list[Any] = []


def blocking_cleanup(name: str) -> Iterator[int]:
    """A stream whose ``finally`` signals, then blocks until the test lets it go."""
    entered, proceed = GATES[name]
    try:
        yield 1
        yield 2
    finally:
        entered.set()
        proceed.wait(GUARD)


def calling_cleanup() -> Iterator[int]:
    """A stream whose ``finally`` makes runtime calls that use the registry."""
    try:
        yield 1
        yield 2
    finally:
        cleanup = {"__runtime__": {"session_id": "C"}}
        counter = runtime.call("collections", "Counter", ["aab"], **cleanup)
        CLEANUP_RESULTS.append(runtime.call_method(counter, "total"))
        CLEANUP_RESULTS.append(runtime.release_ref(counter))


def started_stream(client: LocalClient, function: str, *args: Any) -> StreamRef:
    with runtime.using_client(client):
        stream = runtime.call(
            "tests.runtime.test_finalizers", function, list(args), __runtime__={"session_id": "A"}
        )
        assert isinstance(stream, StreamRef)
        assert runtime.stream_next(stream) == 1  # a generator runs its finally once started
    return stream


def in_thread(client: LocalClient, work: Any) -> threading.Event:
    """Run ``work`` with ``client`` in a daemon thread; the event is set when it returns."""
    done = threading.Event()

    def run() -> None:
        with runtime.using_client(client):
            work()
        done.set()

    thread = threading.Thread(target=run, daemon=True)  # daemon: a deadlock must not hang exit
    thread.start()
    return done


def test_a_slow_finally_does_not_stall_another_sessions_call() -> None:
    client = LocalClient()
    entered, proceed = GATES["slow"] = (threading.Event(), threading.Event())
    stream = started_stream(client, "blocking_cleanup", "slow")
    released = in_thread(client, lambda: runtime.release_ref(stream))
    try:
        assert entered.wait(GUARD)  # the finally is running, and blocked
        other_done = in_thread(
            client, lambda: runtime.call("math", "sqrt", [4], __runtime__={"session_id": "B"})
        )
        assert other_done.wait(GUARD), "another session's call waited for a finalizer"
        assert not released.is_set()
    finally:
        proceed.set()
    assert released.wait(GUARD) and client.snapshot() == {}


def test_a_finally_that_calls_the_runtime_does_not_deadlock_release() -> None:
    client = LocalClient()
    CLEANUP_RESULTS.clear()
    stream = started_stream(client, "calling_cleanup")
    released = in_thread(client, lambda: runtime.release_ref(stream))
    assert released.wait(GUARD), "release_ref deadlocked on its own finalizer"
    assert CLEANUP_RESULTS == [3, True]


def test_release_session_finalizes_outside_the_lock_too() -> None:
    client = LocalClient()
    CLEANUP_RESULTS.clear()
    started_stream(client, "calling_cleanup")
    released = in_thread(client, lambda: runtime.release_session("A"))
    assert released.wait(GUARD), "release_session deadlocked on a finalizer"
    assert CLEANUP_RESULTS == [3, True] and client.snapshot() == {}
