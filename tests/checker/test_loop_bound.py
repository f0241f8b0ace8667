"""Loops are iterated to a fixpoint, within a bound: a value that needs more iterations
than the bound to reach a dispatch is unknown there (never a guess, never a hang)."""

from __future__ import annotations

from session_lint.engine import lint_source
from session_lint.flow.statements import MAX_LOOP_ROUNDS


def _shifting_chain(length: int) -> str:
    """The ambient value enters ``s0`` and moves one name down the chain per iteration;
    the dispatch reads the last name, so it sees the value after ``length`` iterations."""
    names = [f"s{index}" for index in range(length + 1)]
    shifts = [f"        {names[i]} = {names[i - 1]}" for i in range(length, 0, -1)]
    return "\n".join(
        [
            "from runtime import current_session_id, resolve_session_id",
            "",
            "",
            "def call(client, items, runtime_opts):",
            f"    {' = '.join(names)} = resolve_session_id(runtime_opts)",
            "    for item in items:",
            f'        client.execute("t", {{"session_id": {names[-1]}}}, '
            f'{{"session_id": {names[-1]}}})',
            *shifts,
            "        s0 = current_session_id()",
            "",
        ]
    )


def test_a_value_a_few_iterations_away_is_followed() -> None:
    codes = [d.code for d in lint_source(_shifting_chain(MAX_LOOP_ROUNDS - 3))]
    assert codes == ["SES001"]


def test_a_loop_that_does_not_settle_within_the_bound_ends_unknown() -> None:
    assert lint_source(_shifting_chain(MAX_LOOP_ROUNDS + 4)) == []
