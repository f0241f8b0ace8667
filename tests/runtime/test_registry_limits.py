"""The ref registry is bounded: per session, overall (LRU eviction), idle TTL and max_sessions."""

from __future__ import annotations

import pickle

import pytest

import runtime
from runtime import (
    Adapter,
    LocalClient,
    RefLimitError,
    RefNotFoundError,
    SessionLimitError,
)
from runtime.registry import LOST_NOTES, RefRegistry, RegistryLimits
from tests.runtime.pool_support import closing_pool
from tests.runtime.support import CounterBinding

SESSIONS = 20_000


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def opts(session: str) -> dict[str, dict[str, str]]:
    return {"__runtime__": {"session_id": session}}


def test_the_overall_cap_evicts_the_least_recently_used_ref() -> None:
    client = LocalClient(max_refs=3)
    with runtime.using_client(client):
        first, second, third = (runtime.call_class(CounterBinding, **opts(s)) for s in "ABC")
        assert runtime.call_method(first, "total") == 0  # first is now the most recent
        fourth = runtime.call_class(CounterBinding, **opts("D"))
        assert len(client.adapter.registry) == 3
        with pytest.raises(RefNotFoundError, match=r"evicted, least recently used.*max_refs"):
            runtime.call_method(second, "total")
        for live in (first, third, fourth):
            assert runtime.call_method(live, "total") == 0


def test_a_full_session_errors_by_default_or_evicts_its_own_oldest_ref() -> None:
    with runtime.using_client(LocalClient(max_refs_per_session=2)):
        runtime.call_class(CounterBinding, **opts("A"))
        runtime.call_class(CounterBinding, **opts("A"))
        with pytest.raises(RefLimitError):
            runtime.call_class(CounterBinding, **opts("A"))
    with runtime.using_client(LocalClient(max_refs_per_session=2, ref_overflow="evict")):
        oldest, kept = (runtime.call_class(CounterBinding, **opts("A")) for _ in range(2))
        other = runtime.call_class(CounterBinding, **opts("B"))
        newest = runtime.call_class(CounterBinding, **opts("A"))
        with pytest.raises(RefNotFoundError, match="max_refs_per_session"):
            runtime.call_method(oldest, "total")
        assert [runtime.call_method(r, "total") for r in (kept, other, newest)] == [0, 0, 0]


def test_an_idle_session_expires_and_a_busy_one_does_not() -> None:
    clock = FakeClock()
    client = LocalClient(session_ttl=60, clock=clock)
    with runtime.using_client(client):
        idle = runtime.call_class(CounterBinding, **opts("idle"))
        busy = runtime.call_class(CounterBinding, **opts("busy"))
        clock.now += 40
        runtime.call("math", "sqrt", [4], **opts("busy"))  # a call without refs is use too
        clock.now += 40
        assert set(client.snapshot()) == {"idle", "busy"}  # expiry happens on the next use
        with pytest.raises(RefNotFoundError, match="expired: idle longer than 60 s"):
            runtime.call_method(idle, "total")
        assert runtime.call_method(busy, "total") == 0
        assert set(client.snapshot()) == {"busy"}


def test_max_sessions_refuses_a_new_session_after_freeing_idle_ones() -> None:
    clock = FakeClock()
    client = LocalClient(max_sessions=2, session_ttl=60, clock=clock)
    with runtime.using_client(client):
        runtime.call_class(CounterBinding, **opts("A"))
        runtime.call_class(CounterBinding, **opts("B"))
        with pytest.raises(SessionLimitError, match="max_sessions"):
            runtime.call_class(CounterBinding, **opts("C"))
        runtime.call_class(CounterBinding, **opts("A"))  # an existing session still grows
        runtime.release_session("B")
        runtime.call_class(CounterBinding, **opts("C"))
        clock.now += 61
        runtime.call_class(CounterBinding, **opts("D"))  # A and C expired: room again
        assert set(client.snapshot()) == {"D"}


def test_twenty_thousand_released_sessions_leave_nothing_behind() -> None:
    client = LocalClient()
    with runtime.using_client(client):
        for _ in range(SESSIONS):
            with runtime.with_session() as session:
                runtime.call_class(CounterBinding)
            runtime.release_session(session)
    assert client.adapter.registry.sizes() == {
        "sessions": 0,
        "refs": 0,
        "idle_clock": 0,
        "lost_notes": 0,
    }


def test_twenty_thousand_abandoned_sessions_stay_within_the_caps() -> None:
    clock = FakeClock()
    client = LocalClient(max_refs=1_000, session_ttl=3600, clock=clock)
    with runtime.using_client(client):
        for _ in range(SESSIONS):
            with runtime.with_session():
                runtime.call_class(CounterBinding)
        sizes = client.adapter.registry.sizes()
        assert sizes["refs"] == sizes["sessions"] == sizes["idle_clock"] == 1_000
        assert sizes["lost_notes"] == LOST_NOTES
        clock.now += 3601
        runtime.call_class(CounterBinding, **opts("last"))
    assert client.adapter.registry.sizes()["refs"] == 1
    assert set(client.snapshot()) == {"last"}


def test_limits_are_validated() -> None:
    for bad in (
        {"max_refs": 0},
        {"max_sessions": -1},
        {"session_ttl": 0},
        {"max_refs_per_session": 1.5},
        {"ref_overflow": "drop"},
    ):
        with pytest.raises(ValueError):
            Adapter(**bad)  # type: ignore[arg-type]


def test_a_session_limit_error_crosses_a_process_boundary() -> None:
    registry = RefRegistry(RegistryLimits(max_sessions=1))
    registry.add("A", object())
    with pytest.raises(SessionLimitError) as info:
        registry.add("B", object())
    assert str(pickle.loads(pickle.dumps(info.value))) == str(info.value)


def test_a_pool_passes_the_bounds_to_its_workers() -> None:
    with closing_pool(1, max_refs=2, max_sessions=2) as pool, runtime.using_client(pool):
        first = runtime.call_class(CounterBinding, **opts("A"))
        runtime.call_class(CounterBinding, **opts("B"))
        with pytest.raises(SessionLimitError, match="max_sessions"):
            runtime.call_class(CounterBinding, **opts("C"))
        runtime.call_class(CounterBinding, **opts("B"))  # evicts A's ref: max_refs=2
        with pytest.raises(RefNotFoundError, match="evicted"):
            runtime.call_method(first, "total")
    with pytest.raises(ValueError, match="session_ttl"):
        runtime.PoolClient(1, session_ttl=-1)
