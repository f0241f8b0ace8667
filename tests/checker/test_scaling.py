"""Per-file work grows linearly with the file: doubling a file doubles the engine's work.

The work is counted, not timed (speed claims come from ``benchmarks/run.py``): nodes the
engine's walks expand and statements it interprets per path (``session_lint.flow.work``).
A quadratic walk would make the full file cost four times the half, a linear one two, so
the count is compared with a tight bound, the same on every machine and every run.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from session_lint.engine import lint_source
from session_lint.flow.work import WORK
from session_lint.types import Diagnostic

# linear: 2x the half plus a constant; quadratic: about 4x
MIN_RATIO, MAX_RATIO = 1.8, 2.2

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


BUGGY_DISPATCH = """
def buggy_{i}(client, function):
    session_id = current_session_id()
    return client.execute("t", {{"session_id": session_id}}, {{"session_id": session_id}})
"""


def many_findings(count: int) -> str:
    """``count`` functions with one finding each, all planned for a fix."""
    header = "from runtime import current_session_id\n"
    return header + "".join(BUGGY_DISPATCH.format(i=i) for i in range(count))


def work(source: str) -> tuple[int, list[Diagnostic]]:
    WORK.reset()
    diagnostics = lint_source(source, path="generated.py")
    return WORK.total(), diagnostics


@pytest.mark.parametrize(
    ("generate", "size", "min_lines", "findings"),
    [
        pytest.param(many_functions, 1_000, 5_000, 0, id="1000-functions"),
        pytest.param(one_long_function, 1_500, 4_500, 0, id="4500-line-function"),
        pytest.param(many_findings, 400, 1_600, 400, id="400-findings"),
    ],
)
def test_doubling_a_file_doubles_its_work(
    generate: Callable[[int], str], size: int, min_lines: int, findings: int
) -> None:
    full, half = generate(size), generate(size // 2)
    assert full.count("\n") >= min_lines
    half_work, half_found = work(half)
    full_work, full_found = work(full)
    # the whole file is analysed: clean by construction, or one finding per function
    assert (len(half_found), len(full_found)) == (findings // 2, findings)
    ratio = full_work / half_work
    assert MIN_RATIO <= ratio <= MAX_RATIO, f"work {half_work} -> {full_work}: {ratio:.2f}x"
