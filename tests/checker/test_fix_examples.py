"""Every fixable rule's INVALID examples carry their exact fixed form."""

from __future__ import annotations

import pytest

from session_lint.config import Config
from session_lint.engine import lint_source
from session_lint.fix.api import fix_source
from session_lint.registry import all_rules
from session_lint.rule import Invalid, Rule
from session_lint.types import Applicability

FIXABLE = [
    pytest.param(rule, case, id=f"{rule.CODE}-INVALID-{index}")
    for rule in all_rules()
    for index, case in enumerate(rule.INVALID)
    if case.expected_fix is not None
]


def _config(rule: type[Rule]) -> Config:
    """The default rules, plus the rule itself when it is opt-in."""
    return Config() if rule.DEFAULT_ENABLED else Config(select=("SES", rule.CODE))


def _unsafe_only(rule: type[Rule]) -> bool:
    diagnostics = lint_source(rule.INVALID[0].code, config=Config(select=(rule.CODE,)))
    return all(
        d.fix is not None and d.fix.applicability is Applicability.UNSAFE
        for d in diagnostics
        if d.code == rule.CODE
    )


@pytest.mark.parametrize(("rule", "case"), FIXABLE)
def test_fix_gives_expected_source(rule: type[Rule], case: Invalid) -> None:
    assert fix_source(case.code, config=_config(rule), unsafe=True) == case.expected_fix


@pytest.mark.parametrize(("rule", "case"), FIXABLE)
def test_fixed_example_lints_clean_and_compiles(rule: type[Rule], case: Invalid) -> None:
    assert case.expected_fix is not None
    compile(case.expected_fix, "<fixed>", "exec")
    assert lint_source(case.expected_fix, config=Config(select=("SES", "SES009"))) == []


@pytest.mark.parametrize(("rule", "case"), FIXABLE)
def test_fixing_twice_changes_nothing(rule: type[Rule], case: Invalid) -> None:
    assert case.expected_fix is not None
    config = _config(rule)
    assert fix_source(case.expected_fix, config=config, unsafe=True) == case.expected_fix


@pytest.mark.parametrize(("rule", "case"), FIXABLE)
def test_diagnostic_announces_its_fix(rule: type[Rule], case: Invalid) -> None:
    diagnostics = lint_source(case.code, config=Config(select=(rule.CODE,)))
    assert any(d.fix is not None for d in diagnostics if d.code == rule.CODE)


@pytest.mark.parametrize(("rule", "case"), FIXABLE)
def test_safe_mode_leaves_unsafe_fixes_alone(rule: type[Rule], case: Invalid) -> None:
    if _unsafe_only(rule):
        assert fix_source(case.code, config=_config(rule)) == case.code
    else:
        assert fix_source(case.code, config=_config(rule)) == case.expected_fix


def test_rules_without_fix_say_so_in_their_docs() -> None:
    for rule in all_rules():
        if rule.FIX == "never":
            assert "no automatic fix" in rule.explain().lower(), rule.CODE


def test_bytes_keep_encoding_newlines_and_bom() -> None:
    case = all_rules()[1].INVALID[0]
    assert case.expected_fix is not None
    crlf = "\ufeff" + case.code.replace("\n", "\r\n")
    fixed = fix_source(crlf.encode("utf-8"))
    assert fixed == ("\ufeff" + case.expected_fix.replace("\n", "\r\n")).encode("utf-8")
