"""``-`` as a path: check (or fix) the code on stdin, named by ``--stdin-filename``.

The name decides the configuration, the excludes and the path in messages, as if the code
were that file. ``--fix`` prints the fixed text to stdout and the findings that remain to
stderr; ``--diff`` prints the diff. An excluded name is checked as nothing (and ``--fix``
gives the text back unchanged), so that editors can pipe every file.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from session_lint.api import FileResult, check_source, sorted_diagnostics
from session_lint.config import Config
from session_lint.settings import Settings, absolute_path

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


@dataclass(frozen=True)
class StdinOutcome:
    results: list[FileResult] = field(default_factory=list)
    done: bool = False  # the run is over: stdin was fixed, nothing else to check
    status: int = EXIT_CLEAN


NO_STDIN = StdinOutcome()


@dataclass(frozen=True)
class NamedConfig:
    config: Config
    excluded: bool


def named_config(settings: Settings, given: Path) -> NamedConfig:
    """The configuration of code named ``given`` that is not read from that file (stdin,
    an editor's buffer), and whether an exclude matches the name, as for a file named on
    the command line."""
    absolute = absolute_path(given)
    resolved = settings.for_folder(absolute.parent)
    return NamedConfig(resolved.for_file(absolute), resolved.excluded(absolute, given=given))


def check_stdin(options: argparse.Namespace, settings: Settings, out: TextIO) -> StdinOutcome:
    name = options.stdin_filename or "-"
    named = named_config(settings, Path(options.stdin_filename or "stdin.py"))
    excluded = options.stdin_filename is not None and named.excluded
    config = named.config
    data = sys.stdin.buffer.read()
    if not (options.fix or options.diff):
        return StdinOutcome([] if excluded else [check_source(data, name, config)])
    if excluded:
        if options.fix:
            _write_bytes(out, data)
        return StdinOutcome(done=True)
    from session_lint.fix.api import fix_source_or_reason
    from session_lint.fix.files import unified_diff

    fixed, why = fix_source_or_reason(data, name, config, unsafe=options.unsafe_fixes)
    if why is not None:
        print(f"session-lint: warning: {name}: not fixed: {why}", file=sys.stderr)
    if options.diff:
        diff = unified_diff(name, data, fixed)
        out.write(diff)
        return StdinOutcome(done=True, status=EXIT_FINDINGS if diff else EXIT_CLEAN)
    _write_bytes(out, fixed)
    from session_lint.output.text import render

    remaining = sorted_diagnostics([check_source(fixed, name, config)])
    sys.stderr.write(render(remaining))
    return StdinOutcome(done=True, status=EXIT_FINDINGS if remaining else EXIT_CLEAN)


def _write_bytes(out: TextIO, data: bytes) -> None:
    out.flush()
    buffer = getattr(out, "buffer", None)
    if buffer is not None:
        buffer.write(data)
        buffer.flush()
    else:  # a text-only stream (a test's StringIO): the text as it decodes
        out.write(data.decode("utf-8", errors="replace"))
