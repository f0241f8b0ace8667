"""``--add-noqa``: suppress today's findings with ``# noqa: SESxxx`` comments, so that an
existing codebase can adopt the checker and only new code is held to it.

Each comment goes where ``session_lint.noqa`` (and flake8) look for it: at the end of the
finding's line, or of the last line of the string or continuation that joins it to
others, so never inside a string literal. An existing ``# noqa: ...`` list there gains
the new codes in its own style; nothing else in the file changes."""

from __future__ import annotations

import io
import sys
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from session_lint.elixir import is_elixir_path
from session_lint.files import Unreadable, read_source
from session_lint.fix.write import write_atomically
from session_lint.noqa import NOQA, line_ranges, physical_lines, suppressed_codes
from session_lint.types import Diagnostic


@dataclass
class AddNoqaOutcome:
    added: int = 0  # comments written or extended
    files: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def add_noqa_to_text(
    text: str,
    diagnostics: Iterable[Diagnostic],
    ranges: dict[int, tuple[int, int]] | None = None,
) -> tuple[str, int]:
    """``text`` with a noqa comment covering each diagnostic; the number of lines changed.
    ``ranges`` as for ``noqa.filter_noqa``: Python's joined lines unless given."""
    lines = physical_lines(text)
    if ranges is None:
        ranges = line_ranges("".join(line.rstrip("\r\n") + "\n" for line in lines))
    wanted: dict[int, set[str]] = {}
    for d in diagnostics:
        if d.code == "SES000" or not 0 < d.line <= len(lines):
            continue  # an unchecked file is always reported
        last = ranges.get(d.line, (d.line, d.line))[1]
        wanted.setdefault(last, set()).add(d.code)
    changed = 0
    for number, codes in wanted.items():
        line = lines[number - 1]
        existing = suppressed_codes(line)
        if existing is not None:
            codes = {c for c in codes if existing and not c.startswith(tuple(existing))}
        if not codes:
            continue
        lines[number - 1] = _with_codes(line, sorted(codes))
        changed += 1
    return "".join(lines), changed


def _with_codes(line: str, codes: list[str]) -> str:
    body = line.rstrip("\r\n")
    newline = line[len(body) :]
    match = NOQA.search(body)
    if match is None or not match.group("codes"):
        return f"{body.rstrip()}  # noqa: {', '.join(codes)}{newline}"
    listed = match.group("codes").rstrip()
    end = match.start("codes") + len(listed)
    separator = ", " if ", " in listed or "," not in listed else ","
    return body[:end] + separator + separator.join(codes) + body[end:] + newline


def add_noqa(diagnostics: Iterable[Diagnostic]) -> AddNoqaOutcome:
    """Write the comments for ``diagnostics`` (from one lint run) into their files."""
    outcome = AddNoqaOutcome()
    by_path: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        if d.code != "SES000":
            by_path.setdefault(d.path, []).append(d)
    for path, found in by_path.items():
        try:
            before = read_source(path)
            encoding, _ = tokenize.detect_encoding(io.BytesIO(before).readline)
            text = before.decode(encoding)
            if "\r" in text.replace("\r\n", ""):
                raise ValueError("its lines end in a lone CR, which flake8 reads differently")
            # Elixir: the finding's own line holds its comment, as the Elixir front end reads it
            ranges: dict[int, tuple[int, int]] | None = {} if is_elixir_path(path) else None
            after, changed = add_noqa_to_text(text, found, ranges)
            if not changed:
                continue
            data = after.encode(encoding)
            write_atomically(Path(path), data, expected=before)
        except (Unreadable, OSError, SyntaxError, LookupError, ValueError) as error:
            outcome.failures.append(f"{path}: no noqa comment added: {error}")
            continue
        outcome.added += changed
        outcome.files.append(path)
    return outcome


def add_noqa_and_report(diagnostics: Iterable[Diagnostic], *, quiet: bool) -> int:
    """The command's ``--add-noqa``: write, say what was done on stderr, the exit code."""
    outcome = add_noqa(diagnostics)
    for failure in outcome.failures:
        print(f"session-lint: error: {failure}", file=sys.stderr)
    if not quiet:
        noun = "directive" if outcome.added == 1 else "directives"
        print(
            f"Added {outcome.added} noqa {noun} to {len(outcome.files)} file(s).", file=sys.stderr
        )
    return 2 if outcome.failures else 0
