"""``lint_paths``: the library's whole-tree entry point, shared by the CLI."""

from __future__ import annotations

import gc
import os
import traceback
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass

from session_lint.config import DEFAULT_CONFIG, Config
from session_lint.elixir import is_elixir_path
from session_lint.files import PathNotFound, Unreadable, read_source
from session_lint.parsing import undecodable
from session_lint.prefilter import prefilter_for
from session_lint.project.layout import in_marked_project
from session_lint.rules import UnparsableFile
from session_lint.types import Diagnostic

# below this many files a process pool costs more to start than it saves
_POOL_THRESHOLD = 32
# libcst builds millions of acyclic nodes, which refcounting frees; at the default cadence
# (700 allocations) the cyclic collector rescans them over and over, about 7% of a parse
_BATCH_GC_THRESHOLD = (100_000, 50, 100)


def _collect_rarely() -> None:
    gc.set_threshold(*_BATCH_GC_THRESHOLD)


@contextmanager
def _batch_gc() -> Iterator[None]:
    """Run the cyclic collector rarely for a batch of files, then restore the caller's
    setting (the library may run inside someone else's process)."""
    previous = gc.get_threshold()
    _collect_rarely()
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@dataclass(frozen=True)
class FileResult:
    path: str
    diagnostics: list[Diagnostic]
    internal_error: str | None = None  # the traceback of a bug in session-lint itself
    dispatches: int = 0  # dispatches recognised (and so examined) in the file


def check_file(path: str, config: Config) -> FileResult:
    """Check one file; an unreadable file is SES000, and an unexpected error is reported as
    an internal error for this file instead of ending the run."""
    try:
        data = read_source(path)
    except Unreadable as error:
        return FileResult(path, [UnparsableFile.at(path, str(error))])
    return check_source(data, path, config)


def check_source(data: str | bytes, path: str, config: Config) -> FileResult:
    """Check one file's bytes (a file's, or stdin's), or an editor's text, as
    ``check_file`` does."""
    try:
        if not prefilter_for(config).may_find(
            data, project=config.project and in_marked_project(path)
        ):
            return FileResult(path, [])  # decided from the bytes: libcst is never imported
        if isinstance(data, bytes) and not is_elixir_path(path):
            reason = undecodable(data)  # reported as the engine would, without libcst
            if reason is not None:
                return FileResult(path, [UnparsableFile.at(path, f"cannot decode: {reason}")])
        from session_lint.engine import check_source

        checked = check_source(data, path=path, config=config)
        return FileResult(path, checked.diagnostics, dispatches=checked.dispatches)
    except Exception as error:  # a bug of ours must not hide the other files' findings
        return internal_error(path, error)


def internal_error(path: str, error: BaseException) -> FileResult:
    """The SES000 result for a file whose check failed inside session-lint."""
    trace = "".join(traceback.format_exception(error))
    return FileResult(path, [internal_error_diagnostic(path, error)], trace)


def internal_error_diagnostic(path: str, error: BaseException) -> Diagnostic:
    """The SES000 diagnostic saying that checking ``path`` failed inside session-lint."""
    reason = f"internal error in session-lint: {type(error).__name__}: {error}"
    return UnparsableFile.at(path, reason)


def unlistable(problems: dict[str, str]) -> list[FileResult]:
    """The SES000 results for the folders a walk could not list."""
    return [FileResult(path, [UnparsableFile.at(path, why)]) for path, why in problems.items()]


def _check_chunk(files: Sequence[tuple[str, Config]]) -> list[FileResult]:
    return [check_file(path, config) for path, config in files]


def check_files(
    paths: Sequence[str], config: Config | Mapping[str, Config], jobs: int | None = None
) -> list[FileResult]:
    """Check files, each with ``config`` or its own configuration (``config[path]``), in a
    process pool of ``jobs`` workers (all cores when ``None``) for
    large inputs; results come back in input order, whatever the pool does. Should a
    worker die (out of memory, a crash in native code), the files it may have held are
    checked again one by one, so that only the culprit is lost (as an internal error)."""
    files = [(path, config if isinstance(config, Config) else config[path]) for path in paths]
    with _batch_gc():
        return _check_files(files, jobs)


def _check_files(paths: Sequence[tuple[str, Config]], jobs: int | None) -> list[FileResult]:
    workers = min(jobs or os.cpu_count() or 1, max(1, len(paths) // 4))
    if workers <= 1 or len(paths) < _POOL_THRESHOLD:
        return _check_chunk(paths)
    size = max(1, min(64, len(paths) // (workers * 8)))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    checked: list[list[FileResult] | None] = []
    with ProcessPoolExecutor(workers, initializer=_collect_rarely) as pool:
        futures = [pool.submit(_check_chunk, chunk) for chunk in chunks]
        for future in futures:
            try:
                checked.append(future.result())
            except BrokenProcessPool:
                checked.append(None)
    lost = [
        path for chunk, done in zip(chunks, checked, strict=True) if done is None for path in chunk
    ]
    again = iter(_check_one_by_one(lost))
    return [
        result
        for chunk, done in zip(chunks, checked, strict=True)
        for result in (done if done is not None else [next(again) for _ in chunk])
    ]


def _check_one_by_one(paths: Sequence[tuple[str, Config]]) -> list[FileResult]:
    """Check files in a worker process, one task each: a file whose check kills the worker
    is reported, and a fresh worker takes the next file."""
    results: list[FileResult] = []
    pool: ProcessPoolExecutor | None = None
    try:
        for path, config in paths:
            pool = pool or ProcessPoolExecutor(1, initializer=_collect_rarely)
            try:
                results.append(pool.submit(check_file, path, config).result())
            except BrokenProcessPool:
                pool.shutdown()
                pool = None
                reason = (
                    "the process checking this file died (out of memory, or a crash in native code)"
                )
                results.append(FileResult(path, [UnparsableFile.at(path, reason)], reason))
    finally:
        if pool is not None:
            pool.shutdown()
    return results


def sorted_diagnostics(results: Iterable[FileResult]) -> list[Diagnostic]:
    return sorted((d for result in results for d in result.diagnostics), key=Diagnostic.sort_key)


def lint_paths(
    paths: Sequence[str | os.PathLike[str]], config: Config | None = None, *, jobs: int | None = 1
) -> list[Diagnostic]:
    """Check files and folders (walked for Python files as the command line walks them,
    honouring ``config``'s excludes and .gitignore) and return every diagnostic sorted by
    path, line and column. A file or folder that cannot be read, and a file whose check
    fails inside session-lint, is one SES000 diagnostic; a path that does not exist
    raises ``session_lint.files.PathNotFound``."""
    from session_lint.discovery import discover
    from session_lint.settings import Settings

    found = discover([os.fspath(p) for p in paths], Settings(base=config or DEFAULT_CONFIG))
    if found.missing:
        raise PathNotFound(found.missing[0])
    results = check_files([path for path, _ in found.files], dict(found.files), jobs)
    return sorted_diagnostics([*results, *unlistable(found.problems)])
