"""Calls per second through the runtime's clients, side by side in one run.

    python benchmarks/clients.py [--number N] [--repeat R]

Clients: ``LocalClient`` (in process), ``PoolClient`` with 1 and 2 worker processes, and
``RayClient`` with 2 actors on a local Ray cluster it starts (skipped without Ray).
Workloads, each through the public call paths (resolve, encode, dispatch, decode):

- ``operator.add``: ``runtime.call_dynamic("operator", "add", [1, 2])``, a trivial function;
- ``Counter.total``: ``runtime.call_method(counter, "total")`` on a ``collections.Counter``
  ref, a method call on a ref the worker keeps;
- ``re.fullmatch``: a backtracking match that keeps the CPU busy about 1 ms while holding
  the GIL (``N / 20`` calls per run), where worker processes can run in parallel.

Each cell runs with one caller thread (``timeit``) and with two caller threads in two
sessions (a 2-worker pool places them on different workers). ``R`` runs of ``N`` calls
give ``R`` rates in calls per second, reported as median, standard deviation and ``n``.
Last, the median time to start a 2-worker pool (spawn) and to close it; for RayClient the
time to start a local cluster with 2 actors (cold), to add 2 actors to a running cluster
(warm), and to close; and the memory of each client's processes (PSS: shared pages split
between the processes that share them), summed over every process the client started.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import threading
import time
import timeit
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# A local Ray cluster on 127.0.0.1 only (read when Ray is first imported).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

import runtime
from runtime import LocalClient, PoolClient, RuntimeClient

Workload = Callable[[], object]
CPU_BOUND = "re.fullmatch"
HAVE_RAY = importlib.util.find_spec("ray") is not None
CLIENTS = ("LocalClient", "PoolClient(1)", "PoolClient(2)") + (
    ("RayClient(2)",) if HAVE_RAY else ()
)


class Counter:
    """A class binding for ``collections.Counter``."""

    __snakebridge_python_name__ = "collections"
    __snakebridge_library__ = "collections"
    __snakebridge_python_class__ = "Counter"


def workloads(session: str) -> dict[str, Workload]:
    """The calls to time, in ``session`` (the Counter ref is made once, outside the timing)."""
    opts: dict[str, Any] = {"__runtime__": {"session_id": session}}
    counter = runtime.call_class(Counter, args=["hello"], **opts)
    return {
        "operator.add": lambda: runtime.call_dynamic("operator", "add", [1, 2], **opts),
        "Counter.total": lambda: runtime.call_method(counter, "total"),
        CPU_BOUND: lambda: runtime.call_dynamic("re", "fullmatch", ["(a|aa)+b", "a" * 20], **opts),
    }


def rates(work: Workload, number: int, repeat: int) -> list[float]:
    """Calls per second of ``repeat`` timeit runs of ``number`` calls (after a warm-up)."""
    timer = timeit.Timer(work)
    timer.timeit(max(1, number // 10))
    return [number / seconds for seconds in timer.repeat(repeat=repeat, number=number)]


def threaded_rates(client: RuntimeClient, name: str, number: int, repeat: int) -> list[float]:
    """Total calls per second of two caller threads, each in its own session."""
    results: list[float] = []
    for _ in range(repeat):
        barrier = threading.Barrier(3)

        def target(index: int, barrier: threading.Barrier = barrier) -> None:
            with runtime.using_client(client):
                work = workloads(f"bench-thread-{index}")[name]
                work()
                barrier.wait()
                for _ in range(number):
                    work()

        threads = [threading.Thread(target=target, args=(index,)) for index in range(2)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        results.append(2 * number / (time.perf_counter() - started))
    return results


@contextmanager
def client_named(label: str) -> Iterator[RuntimeClient]:
    if label == "LocalClient":
        yield LocalClient()
        return
    size = int(label.split("(")[1].rstrip(")"))
    if label.startswith("RayClient"):
        with runtime.RayClient(size, num_cpus=2, init_options=RAY_QUIET) as ray_client:
            yield ray_client
        return
    with PoolClient(size) as pool:
        yield pool


RAY_QUIET = {"log_to_driver": False}


def descendants() -> set[int]:
    """Every live process below this one, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = set(), [os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def pss_mib(pids: set[int]) -> float:
    """Proportional set size of ``pids``, summed, in MiB."""
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:"))
    return total / 1024


def memory_row(label: str, make: Callable[[], Any]) -> str:
    """PSS of the processes a client started (with its first calls made)."""
    before = descendants()
    client = make()
    try:
        with runtime.using_client(client):
            workloads("bench-memory")
        processes = descendants() - before
        return f"{label} memory: {pss_mib(processes):.0f} MiB PSS in {len(processes)} processes"
    finally:
        client.close()


def ray_startup_times(repeat: int) -> str:
    """Cold start (local cluster + 2 actors), warm start (2 more actors), and close."""
    colds, warms, closes = [], [], []
    for index in range(repeat):
        began = time.perf_counter()
        first = runtime.RayClient(2, num_cpus=2, init_options=RAY_QUIET)
        colds.append(time.perf_counter() - began)
        began = time.perf_counter()
        second = runtime.RayClient(2, name=f"bench-warm-{index}")
        warms.append(time.perf_counter() - began)
        second.close()
        began = time.perf_counter()
        first.close()
        closes.append(time.perf_counter() - began)
    return (
        f"RayClient(2) start: cold (local cluster + 2 actors) median"
        f" {statistics.median(colds):.2f} s, warm (2 actors on a running cluster) median"
        f" {statistics.median(warms) * 1000:.0f} ms, close (cluster included) median"
        f" {statistics.median(closes):.2f} s (n={repeat})"
    )


def row(label: str, name: str, values: Sequence[float]) -> str:
    median = statistics.median(values)
    stdev = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{label:<32} {name:<15} {median:>13,.0f} {stdev:>9,.0f} {len(values):>4}"


def startup_times(repeat: int) -> tuple[list[float], list[float]]:
    starts, closes = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        pool = PoolClient(2)
        starts.append(time.perf_counter() - began)
        began = time.perf_counter()
        pool.close()
        closes.append(time.perf_counter() - began)
    return starts, closes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--number", type=int, default=2000, help="calls per timed run")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per cell")
    args = parser.parse_args(argv)

    print(f"Python {sys.version.split()[0]}, {args.repeat} runs per cell")
    print(f"{'client':<32} {'workload':<15} {'calls/s (med)':>13} {'stdev':>9} {'n':>4}")
    for label in CLIENTS:
        with client_named(label) as client, runtime.using_client(client):
            for name, work in workloads("bench").items():
                number = max(10, args.number // 20) if name == CPU_BOUND else args.number
                print(row(label, name, rates(work, number, args.repeat)), flush=True)
                values = threaded_rates(client, name, number // 2, args.repeat)
                print(row(f"{label}, 2 caller threads", name, values), flush=True)
    starts, closes = startup_times(min(args.repeat, 5))
    print(
        f"PoolClient(2) start: median {statistics.median(starts) * 1000:.0f} ms,"
        f" close: median {statistics.median(closes) * 1000:.0f} ms (n={len(starts)})"
    )
    print(memory_row("PoolClient(2)", lambda: PoolClient(2)), flush=True)
    if HAVE_RAY:
        print(ray_startup_times(min(args.repeat, 3)), flush=True)
        make_ray = lambda: runtime.RayClient(2, num_cpus=2, init_options=RAY_QUIET)  # noqa: E731
        print(memory_row("RayClient(2)", make_ray), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
