"""Properties over generated dispatches in the shapes of issue 14: exact detection, the
prefilter's soundness, fixes where the carrier allows them."""

from __future__ import annotations

from hypothesis import given

from session_lint import lint_source
from session_lint.config import Config
from session_lint.fix.api import fix_source
from session_lint.prefilter import Prefilter
from session_lint.registry import enabled_codes
from tests.checker.shape_strategies import SHAPED, ShapedDispatch, shaped_dispatches


@given(shaped_dispatches())
def test_checker_finds_exactly_the_generated_bug(generated: ShapedDispatch) -> None:
    found = tuple((d.line, d.code) for d in lint_source(generated.source, config=SHAPED))
    assert found == generated.expected, generated.source


@given(shaped_dispatches())
def test_prefilter_keeps_every_generated_dispatch(generated: ShapedDispatch) -> None:
    prefilter = Prefilter.from_config(SHAPED, enabled_codes(SHAPED))
    assert prefilter.may_find(generated.source.encode())


@given(shaped_dispatches())
def test_reads_are_fixed_in_every_carrier(generated: ShapedDispatch) -> None:
    fixed = fix_source(generated.source, config=SHAPED)
    compile(fixed, "<fixed>", "exec")
    left = [(d.line, d.code) for d in lint_source(fixed, config=SHAPED)]
    if generated.expected and generated.expected[0][1] in {"SES001", "SES004"}:
        assert left == [], fixed
    else:  # clean, or SES005, which no fix repairs
        assert fixed == generated.source
        assert left == list(generated.expected)


@given(shaped_dispatches())
def test_the_default_configuration_sees_no_shaped_dispatch(generated: ShapedDispatch) -> None:
    assert lint_source(generated.source, config=Config()) == []
