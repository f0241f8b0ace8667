"""The runtime under load: many threads, each running many asyncio tasks, every flow in its
own sessions, interleaving real calls through one shared client.

Invariants: every dispatch's payload session equals its routing session; a ref is reachable
only in the session that made it (another flow's ref is refused, never served); and after
every flow releases its sessions no worker holds a ref. It runs against ``LocalClient`` and
against ``PoolClient`` (two worker processes). The load is bounded (a fixed number of flows
and operations) so the test ends by itself in a few seconds.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

import runtime
from runtime import LocalClient, PoolClient, Ref, RuntimeClient, SessionMismatchError
from tests.runtime.support import CounterBinding, SupportBinding, Tap

THREADS = 6
TASKS_PER_THREAD = 8
ROUNDS = 12


@dataclass
class Board:
    """Refs published by the flows, so that each flow can try another flow's ref."""

    refs: list[Ref] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    crossings_refused: int = 0

    def publish(self, ref: Ref) -> None:
        with self.lock:
            self.refs.append(ref)

    def foreign(self, mine: set[str]) -> Ref | None:
        with self.lock:
            return next((ref for ref in reversed(self.refs) if ref.session_id not in mine), None)

    def refused(self) -> None:
        with self.lock:
            self.crossings_refused += 1


async def flow(name: str, board: Board) -> None:
    """One flow: a context session and an override session, refs in both, released at the end."""
    override = {"__runtime__": {"session_id": f"{name}-override"}}
    with runtime.with_session(f"{name}-context") as context_session:
        mine = {context_session, f"{name}-override"}
        for round_number in range(ROUNDS):
            opts = override if round_number % 2 else {}
            expected = f"{name}-override" if opts else context_session
            counter = runtime.call_class(CounterBinding, args=[name], **opts)
            assert isinstance(counter, Ref) and counter.session_id == expected
            board.publish(counter)
            runtime.call_method(counter, "update", [name])
            assert runtime.call_method(counter, "total") == 2 * len(name)
            assert (
                runtime.call_dynamic("operator", "add", [round_number, 1], **opts)
                == round_number + 1
            )
            items: list[int] = []
            runtime.stream(SupportBinding, "countdown", [3], items.append, **opts)
            assert items == [3, 2, 1]
            await asyncio.sleep(0)  # let the other tasks of this thread interleave
            stranger = board.foreign(mine)
            if stranger is not None:
                try:
                    runtime.call_method(stranger, "total", __runtime__={"session_id": expected})
                except SessionMismatchError:
                    board.refused()
                else:
                    raise AssertionError(f"{name} reached {stranger.session_id}'s ref")
            if round_number % 3 == 0:
                assert runtime.release_ref(counter) is True
        runtime.release_session(context_session)
    runtime.release_session(f"{name}-override")
    runtime.release_auto_session()


def thread_main(index: int, board: Board, client: Tap, errors: list[BaseException]) -> None:
    async def tasks() -> None:
        await asyncio.gather(
            *(flow(f"t{index}-a{task}", board) for task in range(TASKS_PER_THREAD))
        )

    try:
        with runtime.using_client(client):
            asyncio.run(tasks())
    except BaseException as error:  # reported by the main thread
        errors.append(error)


def refs_held(client: RuntimeClient) -> dict[str, frozenset[str]]:
    """Every session that still holds refs, on whichever worker."""
    if isinstance(client, LocalClient):
        snapshot = client.adapter.registry.snapshot()
    else:
        assert isinstance(client, PoolClient)
        snapshot = {s: r for worker in client.snapshot().values() for s, r in worker.items()}
    return {session: refs for session, refs in snapshot.items() if refs}


@pytest.fixture(params=["local", "pool"])
def shared_client(request: pytest.FixtureRequest) -> Iterator[RuntimeClient]:
    if request.param == "local":
        yield LocalClient()
        return
    with PoolClient(workers=2) as pool:
        yield pool


@pytest.mark.slow
def test_threads_and_tasks_keep_sessions_apart_and_leak_nothing(
    shared_client: RuntimeClient,
) -> None:
    client = Tap(shared_client)
    board = Board()
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=thread_main, args=(index, board, client, errors))
        for index in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a flow hung"
    assert not errors, errors[0]
    flows = THREADS * TASKS_PER_THREAD
    pairs = client.session_pairs()
    assert len(pairs) >= flows * ROUNDS * 5
    mismatched = [pair for pair in pairs if pair[0] is not None and pair[0] != pair[1]]
    assert not mismatched, mismatched[:5]
    assert board.crossings_refused > 0, "no flow ever tried another flow's ref"
    assert refs_held(shared_client) == {}
