"""SARIF 2.1.0, with every rule's documentation embedded (GitHub code scanning reads it).

Built with the standard library: the format is a fixed JSON shape, and the maintained
Python SARIF packages are object models of the whole schema, far more than we emit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from session_lint.output import Report
from session_lint.rule import PROJECT_URL
from session_lint.types import Diagnostic, Edit

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = PROJECT_URL


def relative_uri(path: str) -> str:
    """The path relative to the current folder (where CI runs), POSIX-style."""
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(Path.cwd())
        except ValueError:
            return candidate.as_uri()
    return candidate.as_posix()


def _region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def _replacement(edit: Edit) -> dict[str, Any]:
    return {
        "deletedRegion": _region(edit.line, edit.column, edit.end_line, edit.end_column),
        "insertedContent": {"text": edit.text},
    }


def _result(d: Diagnostic, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": d.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": relative_uri(d.path)},
                    "region": _region(d.line, d.column, d.end_line, d.end_column),
                }
            }
        ],
    }
    if d.fix is not None and d.fix.edits:
        result["fixes"] = [
            {
                "description": {"text": f"{d.fix.title} ({d.fix.applicability.value} fix)"},
                "artifactChanges": [
                    {
                        "artifactLocation": {"uri": relative_uri(d.path)},
                        "replacements": [_replacement(edit) for edit in d.fix.edits],
                    }
                ],
            }
        ]
    return result


def render(diagnostics: Sequence[Diagnostic]) -> str:
    return render_report(Report(diagnostics))


def render_report(report: Report) -> str:
    from session_lint import __version__
    from session_lint.registry import all_rules

    rules = all_rules()
    index = {rule.CODE: position for position, rule in enumerate(rules)}
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "session-lint",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [
                            {
                                "id": rule.CODE,
                                "name": rule.NAME,
                                "shortDescription": {"text": rule.summary()},
                                "fullDescription": {"text": rule.summary()},
                                "helpUri": rule.docs_url(),
                                "help": {"text": rule.explain(), "markdown": rule.explain()},
                                "defaultConfiguration": {
                                    "level": "error" if rule.DEFAULT_ENABLED else "note"
                                },
                            }
                            for rule in rules
                        ],
                    }
                },
                # columns count code points, as every other output does
                "columnKind": "unicodeCodePoints",
                "results": [_result(d, index[d.code]) for d in report.diagnostics],
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
