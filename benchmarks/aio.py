"""Calls per second through one PoolClient: the sync API in threads vs runtime.aio in tasks.

    python benchmarks/aio.py [--calls N] [--repeat R] [--workers W]

Each cell runs ``N`` calls in total, ``runtime.call_dynamic("operator", "add", [1, 2])``
(a trivial target: the cost measured is the runtime's and the round trip's), spread
over 1, 100 and 1,000 concurrent callers, each in a session of its own: caller threads
for the sync API, tasks on one event loop for ``runtime.aio`` (``PoolClient.aio``: no
thread per call). Callers are started before the clock starts and released together.
``R`` runs per cell give ``R`` rates, reported as median, standard deviation and ``n``;
the caller process's peak thread count is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import runtime
import runtime.aio
from runtime import PoolClient

CALLERS = (1, 100, 1000)


def sync_rate(pool: PoolClient, callers: int, calls: int) -> tuple[float, int]:
    """Calls per second of ``callers`` threads sharing ``calls``; and the thread count."""
    each = max(1, calls // callers)
    start = threading.Barrier(callers + 1)

    def caller(index: int) -> None:
        opts = {"__runtime__": {"session_id": f"sync-{index}"}}
        with runtime.using_client(pool):
            runtime.call_dynamic("operator", "add", [1, 2], **opts)  # placed before timing
            start.wait()
            for _ in range(each):
                runtime.call_dynamic("operator", "add", [1, 2], **opts)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(callers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    peak = threading.active_count()
    for thread in threads:
        thread.join()
    return each * callers / (time.perf_counter() - began), peak


def async_rate(pool: PoolClient, callers: int, calls: int) -> tuple[float, int]:
    """Calls per second of ``callers`` tasks sharing ``calls``; and the thread count."""
    each = max(1, calls // callers)

    async def main() -> tuple[float, int]:
        go, ready = asyncio.Event(), asyncio.Event()
        placed = 0

        async def caller(index: int) -> None:
            nonlocal placed
            opts = {"__runtime__": {"session_id": f"async-{index}"}}
            await runtime.aio.call_dynamic("operator", "add", [1, 2], **opts)  # placed
            placed += 1
            if placed == callers:
                ready.set()
            await go.wait()
            for _ in range(each):
                await runtime.aio.call_dynamic("operator", "add", [1, 2], **opts)

        tasks = [asyncio.create_task(caller(i)) for i in range(callers)]
        await ready.wait()
        began = time.perf_counter()
        go.set()
        await asyncio.sleep(0)
        peak = threading.active_count()
        await asyncio.gather(*tasks)
        return each * callers / (time.perf_counter() - began), peak

    with runtime.using_client(pool):
        return asyncio.run(main())


def row(label: str, values: Sequence[float], peak: int) -> str:
    median = statistics.median(values)
    stdev = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{label:<28} {median:>13,.0f} {stdev:>9,.0f} {len(values):>4} {peak:>8}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=10_000, help="calls per timed run")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per cell")
    parser.add_argument("--workers", type=int, default=2, help="pool worker processes")
    args = parser.parse_args(argv)

    print(f"Python {sys.version.split()[0]}, PoolClient({args.workers}), {args.calls} calls")
    print(f"{'API, callers':<28} {'calls/s (med)':>13} {'stdev':>9} {'n':>4} {'threads':>8}")
    with PoolClient(args.workers, max_queue=100_000) as pool:
        for callers in CALLERS:
            for label, measure in (("sync", sync_rate), ("aio", async_rate)):
                results = [measure(pool, callers, args.calls) for _ in range(args.repeat)]
                rates = [rate for rate, _ in results]
                peak = max(threads for _, threads in results)
                print(row(f"{label}, {callers} callers", rates, peak), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
