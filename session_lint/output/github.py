"""GitHub Actions workflow commands: one ``::error`` annotation per finding."""

from __future__ import annotations

from collections.abc import Sequence

from session_lint.output import Report
from session_lint.types import Diagnostic


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render(diagnostics: Sequence[Diagnostic]) -> str:
    lines = []
    for d in diagnostics:
        properties = ",".join(
            f"{name}={_escape_property(str(value))}"
            for name, value in (
                ("title", f"session-lint ({d.code})"),
                ("file", d.path),
                ("line", d.line),
                ("col", d.column),
                ("endLine", d.end_line),
                ("endColumn", d.end_column),
            )
        )
        lines.append(f"::error {properties}::{_escape_data(f'{d.code} {d.message}')}\n")
    return "".join(lines)


def render_report(report: Report) -> str:
    return render(report.diagnostics)
