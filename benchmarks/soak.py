"""Soak: many sessions through a ``PoolClient``, with the memory of every process reported.

    python benchmarks/soak.py [--sessions 20000] [--workers 2] [--keep-every 0]

Each session makes a ``collections.Counter`` ref, calls two methods on it and one plain
function, then is released: five calls per session (20,000 sessions: 100,000 calls).
``--keep-every K`` leaves every K-th session unreleased, holding its ref. At the start,
every fifth of the run and the end it prints the resident memory (``/proc``, Linux) of
the caller and of each worker, and the pool's bookkeeping sizes (``PoolClient.stats``),
so a leak shows as growth between the rows.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import runtime
from runtime import PoolClient


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def report(pool: PoolClient, done: int, calls: int, began: float) -> None:
    workers = " ".join(f"{rss_mb(pid):6.1f}" for pid in pool.pids)
    stats = pool.stats()
    print(
        f"{done:>7} sessions {calls:>7} calls {time.perf_counter() - began:6.1f} s"
        f"  caller {rss_mb():6.1f} MB  workers {workers} MB"
        f"  pinned {stats['pinned_sessions']:>5} live {stats['live_sessions']:>5}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-every", type=int, default=0)
    args = parser.parse_args(argv)
    with PoolClient(args.workers, timeout=30) as pool, runtime.using_client(pool):
        began = time.perf_counter()
        calls = 0
        report(pool, 0, calls, began)
        step = max(1, args.sessions // 5)
        for number in range(1, args.sessions + 1):
            opts = {"__runtime__": {"session_id": f"soak-{number}"}}
            ref = runtime.call_dynamic("collections", "Counter", ["abracadabra"], **opts)
            runtime.call_method(ref, "update", ["xyz"])
            runtime.call_method(ref, "total")
            runtime.call_dynamic("operator", "add", [number, 1], **opts)
            calls += 4
            if not (args.keep_every and number % args.keep_every == 0):
                runtime.release_session(f"soak-{number}")
                calls += 1
            if number % step == 0:
                report(pool, number, calls, began)
        elapsed = time.perf_counter() - began
        print(f"{calls} calls in {elapsed:.1f} s: {calls / elapsed:,.0f} calls/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
