"""``path:line:col: CODE message``, one line each, like flake8 and ruff (``concise``);
pylint's line; the closing summary and the ``--statistics`` table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from session_lint.output import Report
from session_lint.types import Diagnostic


def concise_line(d: Diagnostic, applicable: bool) -> str:
    return f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}{' [*]' if applicable else ''}"


def render(diagnostics: Sequence[Diagnostic]) -> str:
    return render_report(Report(diagnostics))


def render_report(report: Report) -> str:
    return "".join(concise_line(d, report.applicable(d)) + "\n" for d in report.diagnostics)


def render_pylint(report: Report) -> str:
    return "".join(f"{d.path}:{d.line}: [{d.code}] {d.message}\n" for d in report.diagnostics)


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def summary(report: Report) -> str:
    """What was examined, so that 'nothing recognised' never reads as 'all clean'."""
    files = _plural(report.files, "file")
    examined = (
        f"{_plural(report.dispatches, 'dispatch', 'dispatches')} examined in "
        f"{report.dispatch_files} of {files}"
    )
    diagnostics = report.diagnostics
    if not diagnostics:
        if report.dispatches == 0:
            return (
                f"No dispatch recognised in {files}: nothing was checked "
                "(do the `sinks` and `sink` tables in the configuration name your dispatches?)\n"
            )
        return f"All checks passed! {examined}.\n"
    paths = len({d.path for d in diagnostics})
    line = (
        f"Found {_plural(len(diagnostics), 'finding')} in {paths} of {files} "
        f"({_plural(report.dispatches, 'dispatch', 'dispatches')} examined in "
        f"{_plural(report.dispatch_files, 'file')}).\n"
    )
    return line + fixable_summary(report)


def fixable_summary(report: Report) -> str:
    fixable = sum(1 for d in report.diagnostics if report.applicable(d))
    hidden = sum(1 for d in report.diagnostics if d.fix is not None) - fixable
    if not fixable and not hidden:
        return ""
    parts = []
    if fixable:
        parts.append(f"[*] {fixable} fixable with `session-lint --fix`")
    if hidden:
        with_flag = "more with `--unsafe-fixes`" if fixable else "fixable with `--unsafe-fixes`"
        parts.append(f"{hidden} {with_flag}")
    return "; ".join(parts) + ".\n"


def statistics_rows(report: Report) -> list[tuple[str, str, int, bool]]:
    """(code, name, count, fixable) by decreasing count."""
    from session_lint.registry import rule_for

    counts = Counter(d.code for d in report.diagnostics)
    fixable = {d.code for d in report.diagnostics if report.applicable(d)}
    rows = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = rule_for(code)
        rows.append((code, rule.NAME if rule else "", count, code in fixable))
    return rows


def statistics(report: Report) -> str:
    return "".join(
        f"{count:5d}  {code}  {'[*]' if fixable else '   '} {name}\n"
        for code, name, count, fixable in statistics_rows(report)
    )
