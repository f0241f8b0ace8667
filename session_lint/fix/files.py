"""``--fix`` and ``--diff`` over files: fix in memory, then diff or replace atomically."""

from __future__ import annotations

import difflib
import io
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from session_lint.config import Config
from session_lint.fix.api import fix_source
from session_lint.fix.write import write_atomically


@dataclass
class FixOutcome:
    diff: str = ""
    fixed: list[str] = field(default_factory=list)  # files rewritten
    failures: list[str] = field(default_factory=list)  # files left untouched, and why


def _text(data: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return data.decode("utf-8", errors="replace")


def _diff(path: str, before: bytes, after: bytes) -> str:
    return "".join(
        difflib.unified_diff(
            _text(before).splitlines(keepends=True),
            _text(after).splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )


def fix_files(files: Sequence[str], config: Config, *, unsafe: bool, write: bool) -> FixOutcome:
    """Fix every file in memory; with ``write``, replace each changed file atomically (a
    failure leaves that file untouched and is reported, the others go on); without it,
    collect the unified diff. Files without a fix are never touched."""
    outcome = FixOutcome()
    for path in files:
        try:
            before = Path(path).read_bytes()
        except OSError:
            continue  # the lint pass reports unreadable files as SES000
        after = fix_source(before, path=path, config=config, unsafe=unsafe)
        if after == before:
            continue
        if not write:
            outcome.diff += _diff(path, before, after)
            continue
        try:
            write_atomically(Path(path), after)
        except OSError as error:
            outcome.failures.append(f"{path}: not fixed, left untouched: {error.strerror or error}")
        else:
            outcome.fixed.append(path)
    return outcome
