"""SARIF 2.1.0, with every rule's documentation embedded (GitHub code scanning reads it).

Built with the standard library: the format is a fixed JSON shape, and the maintained
Python SARIF packages are object models of the whole schema, far more than we emit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from session_lint.types import Diagnostic

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/session-lint/session-lint"


def _uri(path: str) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(Path.cwd())
        except ValueError:
            return candidate.as_uri()
    return candidate.as_posix()


def render(diagnostics: Sequence[Diagnostic]) -> str:
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
                                "help": {"text": rule.explain(), "markdown": rule.explain()},
                                "defaultConfiguration": {
                                    "level": "error" if rule.DEFAULT_ENABLED else "note"
                                },
                            }
                            for rule in rules
                        ],
                    }
                },
                "results": [
                    {
                        "ruleId": d.code,
                        "ruleIndex": index[d.code],
                        "level": "error",
                        "message": {"text": d.message},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": _uri(d.path)},
                                    "region": {
                                        "startLine": d.line,
                                        "startColumn": d.column,
                                        "endLine": d.end_line,
                                        "endColumn": d.end_column,
                                    },
                                }
                            }
                        ],
                    }
                    for d in diagnostics
                ],
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"
