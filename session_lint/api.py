"""``lint_paths``: the library's whole-tree entry point, shared by the CLI."""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from session_lint.config import Config
from session_lint.files import discover
from session_lint.prefilter import prefilter_for
from session_lint.rules import UnparsableFile
from session_lint.types import Diagnostic

# below this many files a process pool costs more to start than it saves
_POOL_THRESHOLD = 32


@dataclass(frozen=True)
class FileResult:
    path: str
    diagnostics: list[Diagnostic]
    internal_error: str | None = None  # the traceback of a bug in session-lint itself


def check_file(path: str, config: Config) -> FileResult:
    """Check one file; an unreadable file is SES000, and an unexpected error is reported as
    an internal error for this file instead of ending the run."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        reason = f"cannot read: {error.strerror or error}"
        return FileResult(path, [UnparsableFile.at(path, reason)])
    if not prefilter_for(config).may_find(data):
        return FileResult(path, [])  # decided from the bytes: libcst is never even imported
    from session_lint.engine import lint_source

    try:
        return FileResult(path, lint_source(data, path=path, config=config))
    except Exception as error:  # a bug of ours must not hide the other files' findings
        reason = f"internal error in session-lint: {type(error).__name__}: {error}"
        return FileResult(path, [UnparsableFile.at(path, reason)], traceback.format_exc())


def _check_chunk(paths: Sequence[str], config: Config) -> list[FileResult]:
    return [check_file(path, config) for path in paths]


def check_files(paths: Sequence[str], config: Config, jobs: int | None = None) -> list[FileResult]:
    """Check files, in a process pool of ``jobs`` workers (all cores when ``None``) for
    large inputs; results come back in input order, whatever the pool does."""
    workers = min(jobs or os.cpu_count() or 1, max(1, len(paths) // 4))
    if workers <= 1 or len(paths) < _POOL_THRESHOLD:
        return _check_chunk(paths, config)
    size = max(1, min(64, len(paths) // (workers * 8)))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    with ProcessPoolExecutor(workers) as pool:
        results = pool.map(_check_chunk, chunks, [config] * len(chunks))
        return [result for chunk in results for result in chunk]


def sorted_diagnostics(results: Iterable[FileResult]) -> list[Diagnostic]:
    return sorted((d for result in results for d in result.diagnostics), key=Diagnostic.sort_key)


def lint_paths(
    paths: Sequence[str | os.PathLike[str]], config: Config | None = None, *, jobs: int | None = 1
) -> list[Diagnostic]:
    """Check files and folders (walked for Python files, honouring ``config.exclude``) and
    return every diagnostic sorted by path, line and column."""
    config = config or Config()
    files = discover([os.fspath(p) for p in paths], config.exclude)
    return sorted_diagnostics(check_files([str(f) for f in files], config, jobs))
