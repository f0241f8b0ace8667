"""``# noqa`` handling for the CLI and the library, with flake8's semantics.

``# noqa`` alone suppresses every code on its line; ``# noqa: SES001,SES002`` (any case,
comma or space separated) only those. SES000 is never suppressed: a file that could not
be checked must say so. The flake8 plugin leaves this to flake8 itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from session_lint.types import Diagnostic

# flake8's own pattern (flake8/defaults.py), so both interfaces agree on every comment;
# copied rather than imported to keep flake8 out of the CLI's start-up
_NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_SEPARATOR = re.compile(r"[,\s]+")


def suppressed_codes(line: str) -> frozenset[str] | None:
    """``None`` when the line has no noqa comment; an empty set for a bare ``# noqa``."""
    if "noqa" not in line.lower():
        return None
    match = _NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return frozenset()
    return frozenset(code.upper() for code in _SEPARATOR.split(codes.strip()) if code)


def filter_noqa(diagnostics: Sequence[Diagnostic], lines: Sequence[str]) -> list[Diagnostic]:
    """The diagnostics that no ``# noqa`` comment on their line suppresses."""
    kept = []
    for diagnostic in diagnostics:
        line = lines[diagnostic.line - 1] if 0 < diagnostic.line <= len(lines) else ""
        codes = suppressed_codes(line)
        if (
            diagnostic.code == "SES000"
            or codes is None
            or (codes and not diagnostic.code.startswith(tuple(codes)))  # flake8: prefixes too
        ):
            kept.append(diagnostic)
    return kept
