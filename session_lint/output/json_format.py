"""A JSON array of findings with exactly the keys the SPEC fixes."""

from __future__ import annotations

import json
from collections.abc import Sequence

from session_lint.types import Diagnostic

KEYS = ("path", "line", "column", "end_line", "end_column", "code", "message")


def render(diagnostics: Sequence[Diagnostic]) -> str:
    rows = [{key: getattr(d, key) for key in KEYS} for d in diagnostics]
    return json.dumps(rows, indent=2) + "\n"
