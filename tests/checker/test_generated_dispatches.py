"""Properties over generated dispatch functions, buggy or clean by construction."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from session_lint.config import Config
from session_lint.engine import check_module, lint_source, parse
from session_lint.fix.api import fix_source
from session_lint.prefilter import Prefilter
from session_lint.registry import enabled_codes
from session_lint.types import Diagnostic
from tests.checker.strategies import Generated, dispatch_modules, retry_modules


def _outside_function(generated: Generated, source: str) -> list[str]:
    """The lines of ``source`` outside the dispatching function, imports left out."""
    probe = Generated(source, generated.buggy, generated.function)
    start, end = probe.function_span()
    lines = source.splitlines()
    kept = lines[: start - 1] + lines[end:]
    return [line for line in kept if not line.startswith(("from ", "import "))]


@given(dispatch_modules())
def test_checker_flags_exactly_the_buggy_functions(generated: Generated) -> None:
    diagnostics = lint_source(generated.source)
    assert bool(diagnostics) == generated.buggy, (generated.source, diagnostics)


@given(dispatch_modules())
def test_fix_repairs_and_touches_only_the_dispatching_function(generated: Generated) -> None:
    fixed = fix_source(generated.source, unsafe=True)
    if not generated.fixable:
        # a bare configured resolver that nothing imports: no module to import it from
        assert fixed == generated.source
        diagnostics = lint_source(generated.source)
        assert all(diagnostic.fix is None for diagnostic in diagnostics)
        reason = "no automatic fix: `resolve_session_id` is not imported"
        assert any(reason in diagnostic.message for diagnostic in diagnostics), diagnostics
        return
    compile(fixed, "<fixed>", "exec")
    assert lint_source(fixed) == [], fixed
    assert fix_source(fixed, unsafe=True) == fixed
    assert _outside_function(generated, fixed) == _outside_function(generated, generated.source)
    if not generated.buggy:
        assert fixed == generated.source


_RENAMES = {
    "session_id": "sess_key",
    "execute": "perform",
    "current_session_id": "ambient_sid",
    "resolve_session_id": "pick_sid",
    "ensure_session_opt": "with_sid",
}


@given(dispatch_modules(), st.sets(st.sampled_from(sorted(_RENAMES))))
def test_prefilter_never_skips_a_file_with_findings(
    generated: Generated, renamed: set[str]
) -> None:
    source = generated.source
    for name in sorted(renamed, key=len, reverse=True):
        source = source.replace(name, _RENAMES[name])
    config = Config()
    prefilter = Prefilter.from_config(config, enabled_codes(config))
    if prefilter.may_find(source.encode()):
        return
    module = parse(source, "<generated>")
    assert not isinstance(module, Diagnostic)
    assert check_module(module, "<generated>", config, honour_noqa=False).diagnostics == []


STRICT = Config(select=("SES", "SES008", "SES009"))


def _strict_codes(source: str) -> Counter[tuple[str, str]]:
    lines = source.splitlines()
    return Counter((d.code, lines[d.line - 1].strip()) for d in lint_source(source, config=STRICT))


@given(retry_modules())
def test_a_rebuild_on_the_back_edge_of_a_retry_is_flagged(generated: Generated) -> None:
    diagnostics = lint_source(generated.source)
    assert bool(diagnostics) == generated.buggy, (generated.source, diagnostics)
    start, end = generated.function_span()
    assert all(start <= d.line <= end for d in diagnostics), diagnostics


@given(st.one_of(dispatch_modules(), retry_modules()))
def test_fixed_code_lints_clean_with_the_opt_in_rules(generated: Generated) -> None:
    fixed = fix_source(generated.source, unsafe=True)
    compile(fixed, "<fixed>", "exec")
    # nothing new under the strict rules: the fix resolves once (no SES009 of its making);
    # the builders keep reading the ambient session (SES008), as the seed's fixed runtime does
    left = _strict_codes(fixed) - _strict_codes(generated.source)
    assert not left, (fixed, left)
    assert lint_source(fixed) == [] or not generated.fixable, fixed
    if not generated.fixable:
        assert all(d.fix is None for d in lint_source(fixed)), fixed
    assert fix_source(fixed, unsafe=True) == fixed
