"""Per-file work grows linearly with the file: doubling a file at most ~doubles its cost.

This is a complexity check, not a speed claim (those come from ``benchmarks/run.py``): a
quadratic walk would make the full file cost four times the half, a linear one two. Each
side is timed as the best of a few runs, so a noisy neighbour cannot fail the test alone.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import pytest

from session_lint.engine import lint_source

# doubling: linear ~2x, quadratic ~4x; the bound leaves room for noise and GC
MAX_RATIO = 3.0
RUNS = 2

HEADER = "from runtime import resolve_session_id\n"

SMALL_DISPATCH = """
def call_{i}(client, function, runtime_opts):
    session_id = resolve_session_id(runtime_opts)
    payload = {{"function": function, "session_id": session_id}}
    return client.execute("t", payload, {{**runtime_opts, "session_id": session_id}})
"""

LONG_DISPATCH_HEAD = """
def dispatch(client, runtime_opts):
    session_id = resolve_session_id(runtime_opts)
    payload = {"session_id": session_id}
"""
LONG_DISPATCH_STEP = """\
    payload["k{i}"] = {i}
    if payload.get("x{i}"):
        payload["y"] = session_id
"""
LONG_DISPATCH_TAIL = """\
    return client.execute("t", payload, {"session_id": session_id})
"""


def many_functions(count: int) -> str:
    """``count`` small dispatching functions (5 lines each)."""
    return HEADER + "".join(SMALL_DISPATCH.format(i=i) for i in range(count))


def one_long_function(steps: int) -> str:
    """One dispatching function of ``3 * steps`` lines of payload writes and branches."""
    body = "".join(LONG_DISPATCH_STEP.format(i=i) for i in range(steps))
    return HEADER + LONG_DISPATCH_HEAD + body + LONG_DISPATCH_TAIL


def best_time(source: str) -> float:
    best = float("inf")
    for _ in range(RUNS):
        gc.collect()
        started = time.perf_counter()
        diagnostics = lint_source(source, path="generated.py")
        best = min(best, time.perf_counter() - started)
        assert diagnostics == [], diagnostics  # clean by construction: the whole file is analysed
    return best


@pytest.mark.slow
@pytest.mark.parametrize(
    ("generate", "size", "min_lines"),
    [
        pytest.param(many_functions, 5_000, 25_000, id="5000-functions"),
        pytest.param(one_long_function, 7_000, 20_000, id="20k-line-function"),
    ],
)
def test_doubling_a_file_at_most_doubles_its_cost(
    generate: Callable[[int], str], size: int, min_lines: int
) -> None:
    full, half = generate(size), generate(size // 2)
    assert full.count("\n") >= min_lines
    half_time, full_time = best_time(half), best_time(full)
    ratio = full_time / half_time
    assert ratio <= MAX_RATIO, f"full {full_time:.2f}s / half {half_time:.2f}s = {ratio:.2f}x"
