"""The runtime's stress test through RayClient: threads running asyncio tasks, each flow in
its own sessions, through one client shared by every thread; fewer threads than against
the in-process clients, as each call is an actor round trip."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.runtime.on_ray.support import closing_ray
from tests.runtime.support import Tap
from tests.runtime.test_stress import ROUNDS, TASKS_PER_THREAD, Board, thread_main

pytest.importorskip("ray", reason='Ray is not installed: pip install "session-lint[ray]"')

THREADS = 2


@pytest.mark.slow
def test_threads_and_tasks_through_ray_keep_sessions_apart_and_leak_nothing(
    ray_cluster: str,
) -> None:
    with closing_ray(2) as ray_client:
        client = Tap(ray_client)
        board = Board()
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=thread_main, args=(index, board, client, errors))
            for index in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not any(thread.is_alive() for thread in threads), "a flow hung"
        assert not errors, errors[0]
        pairs = client.session_pairs()
        assert len(pairs) >= THREADS * TASKS_PER_THREAD * ROUNDS * 5
        mismatched = [pair for pair in pairs if pair[0] is not None and pair[0] != pair[1]]
        assert not mismatched, mismatched[:5]
        assert board.crossings_refused > 0, "no flow ever tried another flow's ref"
        held: dict[str, Any] = {
            session: refs
            for worker in ray_client.snapshot().values()
            for session, refs in worker.items()
            if refs
        }
        assert held == {}
