"""JSON: an array of findings (``json``) or one object a line (``json-lines``), each with
the SPEC's seven keys, then the rule's name, its documentation URL and its fix."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from session_lint.output import Report
from session_lint.types import Diagnostic, Edit

KEYS = ("path", "line", "column", "end_line", "end_column", "code", "message")
# rules are documented by `session-lint --explain CODE`; none has a page on the web yet
RULE_URL: str | None = None


def _edit(edit: Edit) -> dict[str, Any]:
    return {
        "text": edit.text,
        "range": {
            "line": edit.line,
            "column": edit.column,
            "end_line": edit.end_line,
            "end_column": edit.end_column,
        },
    }


def row(d: Diagnostic) -> dict[str, Any]:
    from session_lint.registry import rule_for

    rule = rule_for(d.code)
    item: dict[str, Any] = {key: getattr(d, key) for key in KEYS}
    item["name"] = rule.NAME if rule is not None else None
    item["url"] = RULE_URL
    item["fix"] = (
        None
        if d.fix is None
        else {
            "applicability": d.fix.applicability.value,
            "message": d.fix.title,
            "edits": [_edit(edit) for edit in d.fix.edits],
        }
    )
    return item


def render(diagnostics: Sequence[Diagnostic]) -> str:
    return render_report(Report(diagnostics))


def render_report(report: Report) -> str:
    return json.dumps([row(d) for d in report.diagnostics], indent=2) + "\n"


def render_lines(report: Report) -> str:
    return "".join(json.dumps(row(d)) + "\n" for d in report.diagnostics)


def statistics(report: Report) -> str:
    from session_lint.output.text import statistics_rows

    rows = [
        {"code": code, "name": name, "count": count, "fixable": fixable}
        for code, name, count, fixable in statistics_rows(report)
    ]
    return json.dumps(rows, indent=2) + "\n"
