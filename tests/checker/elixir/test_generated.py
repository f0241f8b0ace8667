"""Generated Elixir dispatch functions, correct and seeded with each bug, are flagged
exactly: every expected (line, code), nothing else."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings

from session_lint.engine import lint_source
from tests.checker.elixir.strategies import GeneratedModule, elixir_dispatch_modules


@settings(max_examples=300)
@given(elixir_dispatch_modules())
def test_generated_elixir_dispatches_are_flagged_exactly(generated: GeneratedModule) -> None:
    found = Counter((d.line, d.code) for d in lint_source(generated.source, path="gen.ex"))
    assert found == generated.expected, generated.source
