"""``path:line:col: CODE message``, one line each, like flake8 and ruff."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from session_lint.types import Diagnostic


def render(diagnostics: Sequence[Diagnostic]) -> str:
    return "".join(
        f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}{' [*]' if d.fix else ''}\n"
        for d in diagnostics
    )


def summary(diagnostics: Sequence[Diagnostic], files: int) -> str:
    if not diagnostics:
        return "All checks passed!\n"
    fixable = sum(1 for d in diagnostics if d.fix is not None)
    with_fix = f" ({fixable} fixable with `session-lint --fix`, marked [*])" if fixable else ""
    paths = len({d.path for d in diagnostics})
    noun = "finding" if len(diagnostics) == 1 else "findings"
    return f"Found {len(diagnostics)} {noun} in {paths} of {files} files{with_fix}.\n"


def statistics(diagnostics: Sequence[Diagnostic]) -> str:
    from session_lint.registry import rule_for

    counts = Counter(d.code for d in diagnostics)
    lines = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = rule_for(code)
        lines.append(f"{count:5d}  {code}  {rule.NAME if rule else ''}\n")
    return "".join(lines)
