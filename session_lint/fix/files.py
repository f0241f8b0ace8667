"""``--fix`` and ``--diff`` over files: fix in memory, then diff or replace atomically."""

from __future__ import annotations

import difflib
import io
import tokenize
import traceback
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from session_lint.config import Config
from session_lint.files import Unreadable, read_source
from session_lint.fix.api import fix_source_or_reason
from session_lint.fix.write import write_atomically


@dataclass
class FixOutcome:
    diff: str = ""
    fixed: list[str] = field(default_factory=list)  # files rewritten
    failures: list[str] = field(default_factory=list)  # files left untouched, and why
    declined: list[str] = field(default_factory=list)  # fixes not made on purpose, and why
    tracebacks: list[str] = field(default_factory=list)  # of internal errors, for --verbose
    applied: dict[str, Counter[str]] = field(default_factory=dict)  # per file: codes fixed


def _text(data: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, ValueError):  # any UnicodeError, not only decoding's
        return data.decode("utf-8", errors="replace")


def unified_diff(path: str, before: bytes, after: bytes) -> str:
    return "".join(
        difflib.unified_diff(
            _text(before).splitlines(keepends=True),
            _text(after).splitlines(keepends=True),
            fromfile=f"a/{path}",
            tofile=f"b/{path}",
        )
    )


def fix_files(
    files: Sequence[str], config: Config | Mapping[str, Config], *, unsafe: bool, write: bool
) -> FixOutcome:
    """Fix every file in memory; with ``write``, replace each changed file atomically;
    without it, collect the unified diff. Files without a fix are never touched. A file
    that cannot be fixed or written (an internal error, a full disk, a permission, a change
    on disk meanwhile) is left untouched and named in ``failures``, one whose fix would
    change more than it should in ``declined``; the others go on."""
    outcome = FixOutcome()
    for path in files:
        try:
            before = read_source(path)
        except Unreadable:
            continue  # the lint pass reports unreadable files as SES000
        try:
            own = config if isinstance(config, Config) else config[path]
            applied: Counter[str] = Counter()
            after, why = fix_source_or_reason(
                before, path=path, config=own, unsafe=unsafe, applied=applied
            )
        except Exception as error:  # a bug of ours: this file stays as it is
            outcome.failures.append(
                f"{path}: not fixed, left untouched: internal error in session-lint: "
                f"{type(error).__name__}: {error}"
            )
            outcome.tracebacks.append(f"{path}:\n{traceback.format_exc()}")
            continue
        if why is not None:
            problems = outcome.failures if why.startswith("internal error") else outcome.declined
            problems.append(f"{path}: not fixed, left untouched: {why}")
        if after == before:
            continue
        if not write:
            outcome.diff += unified_diff(path, before, after)
            outcome.applied[path] = applied
            continue
        try:
            write_atomically(Path(path), after, expected=before)
        except OSError as error:
            outcome.failures.append(f"{path}: not fixed, left untouched: {error.strerror or error}")
        else:
            outcome.fixed.append(path)
            outcome.applied[path] = applied
    return outcome
