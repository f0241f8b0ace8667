"""``# noqa`` handling for the CLI and the library, with flake8's semantics.

``# noqa`` alone suppresses every code on its line; ``# noqa: SES001,SES002`` (any case,
comma or space separated) only those. As in flake8, a line that a multi-line string (or a
backslash continuation) joins to others shares their comment: the comment goes on the
last line, where a comment can be. SES000 is never suppressed: a file that could not be
checked must say so. The flake8 plugin leaves this to flake8 itself.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence

from session_lint.types import Diagnostic

# flake8's own pattern (flake8/defaults.py), so both interfaces agree on every comment;
# copied rather than imported to keep flake8 out of the CLI's start-up
NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)
_SEPARATOR = re.compile(r"[,\s]+")
_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
# what str.splitlines also ends a line at; Python's tokenizer does not
_OTHER_BREAKS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def physical_lines(code: str) -> list[str]:
    """The lines Python (and libcst's positions) count, each with its end: only CR, LF
    and CRLF end one, unlike ``str.splitlines``, which also splits at form feeds and
    other separators (it is used where the text has none: it is several times faster)."""
    if any(other in code for other in _OTHER_BREAKS):
        return _PHYSICAL_LINE.findall(code)
    return code.splitlines(keepends=True)


def suppressed_codes(line: str) -> frozenset[str] | None:
    """``None`` when the line has no noqa comment; an empty set for a bare ``# noqa``."""
    if "noqa" not in line.lower():
        return None
    match = NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if not codes:
        return frozenset()
    return frozenset(code.upper() for code in _SEPARATOR.split(codes.strip()) if code)


def line_ranges(code: str) -> dict[int, tuple[int, int]]:
    """Per physical line (from 1), the first and last line of the stretch that flake8
    searches for its noqa comment: lines that one token (a multi-line string) or a
    backslash continuation joins. Lines absent from the map stand alone. Like flake8's
    ``FileProcessor._noqa_line_mapping``, built from the tokens."""
    ranges: dict[int, tuple[int, int]] = {}
    first, last = None, -1
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            kind = token.type
            if kind in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first = token.start[0] if first is None else min(first, token.start[0])
            last = max(last, token.end[0])
            if kind in (tokenize.NL, tokenize.NEWLINE):
                if last > first:
                    ranges.update(dict.fromkeys(range(first, last + 1), (first, last)))
                first, last = None, -1
    except (tokenize.TokenError, SyntaxError, ValueError):  # flake8: no comment matches
        return ranges
    return ranges


def noqa_text(lines: Sequence[str], line: int, ranges: dict[int, tuple[int, int]]) -> str:
    """The text a finding on ``line`` is suppressed by."""
    first, last = ranges.get(line, (line, line))
    return "".join(lines[max(first, 1) - 1 : last])


def _suppressed(diagnostic: Diagnostic, codes: frozenset[str] | None) -> bool:
    return (
        diagnostic.code != "SES000"
        and codes is not None
        and (not codes or diagnostic.code.startswith(tuple(codes)))  # flake8: prefixes too
    )


def filter_noqa(
    diagnostics: Sequence[Diagnostic],
    lines: Sequence[str],
    ranges: dict[int, tuple[int, int]] | None = None,
) -> list[Diagnostic]:
    """The diagnostics that no ``# noqa`` comment on their line suppresses. ``ranges``
    (see ``line_ranges``) defaults to the lines Python's tokens join; a front end for
    another language passes its own (``{}``: every line stands alone)."""
    if not any("noqa" in line.lower() for line in lines):
        return list(diagnostics)
    if ranges is None:
        ranges = line_ranges("".join(line.rstrip("\r\n") + "\n" for line in lines))
    return [
        d
        for d in diagnostics
        if not _suppressed(d, suppressed_codes(noqa_text(lines, d.line, ranges)))
    ]
