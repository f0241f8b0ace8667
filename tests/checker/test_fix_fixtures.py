"""Every fixture, fixed, lints clean under every rule, the opt-in SES008 and SES009 too.

A finding the fix cannot make is left as it was (same rule, same line text); everything a
fix touched must lint clean, so a fix that resolves twice (SES009) or leaves an ambient
read behind fails here. Fixing twice changes nothing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from session_lint.config import Config
from session_lint.engine import lint_source
from session_lint.fix.api import fix_source
from session_lint.types import Diagnostic
from tests.checker.test_fixtures import FIXTURES, fixture_paths

STRICT = Config(select=("SES", "SES008", "SES009"))


def _unfixed(diagnostics: list[Diagnostic], text: str) -> Counter[tuple[str, str]]:
    lines = text.splitlines()
    return Counter((d.code, lines[d.line - 1].strip()) for d in diagnostics if d.fix is None)


def _all(diagnostics: list[Diagnostic], text: str) -> Counter[tuple[str, str]]:
    lines = text.splitlines()
    return Counter((d.code, lines[d.line - 1].strip()) for d in diagnostics)


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=p.relative_to(FIXTURES).as_posix()) for p in fixture_paths()]
)
def test_fixed_fixture_lints_clean_with_the_opt_in_rules(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    before = lint_source(source, config=STRICT)
    fixed = fix_source(source, config=STRICT, unsafe=True)
    compile(fixed, str(path), "exec")
    after = lint_source(fixed, config=STRICT)
    left = _all(after, fixed) - _unfixed(before, source)
    assert not left, "\n".join(f"{code}: {line}" for code, line in sorted(left.elements()))
    assert fix_source(fixed, config=STRICT, unsafe=True) == fixed


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=p.relative_to(FIXTURES).as_posix()) for p in fixture_paths()]
)
def test_default_fixes_add_no_strict_finding(path: Path) -> None:
    """Fixing with the default rules only creates nothing SES008 or SES009 would flag."""
    source = path.read_text(encoding="utf-8")
    fixed = fix_source(source, unsafe=True)
    left = _all(lint_source(fixed, config=STRICT), fixed) - _all(
        lint_source(source, config=STRICT), source
    )
    assert not left, "\n".join(f"{code}: {line}" for code, line in sorted(left.elements()))
