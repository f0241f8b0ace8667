"""Clean code stays clean: this repository's reference runtime and the standard library.

``runtime/`` implements every call path correctly, so it must give no finding at all. The
running interpreter's standard library (about 1,800 files, none of them dispatching the
way the checker looks for) must give no finding other than ``SES000`` (a few of its files
are deliberately unparsable test data). The standard-library run is slow: it is marked
``slow``, runs in CI, and is spread over two worker processes.
"""

from __future__ import annotations

import sysconfig
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

from session_lint.engine import lint_source

REPO = Path(__file__).resolve().parents[2]
RUNTIME = REPO / "runtime"
UNPARSABLE = "SES000"
WORKERS = 2
CHUNK_SIZE = 40


class Problem(NamedTuple):
    """A finding (or a crash, code ``CRASH``) in one file, in a picklable form."""

    path: str
    line: int
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code} {self.message}"


def lint_file(path: Path) -> list[Problem]:
    """Every diagnostic of ``path``; an exception becomes one ``CRASH`` problem, so that
    a crash in a worker process is reported with its file instead of aborting the run."""
    try:
        diagnostics = lint_source(path.read_bytes(), path=str(path))
    except Exception as error:  # the engine promises never to raise: report which file did
        return [Problem(str(path), 0, "CRASH", f"{type(error).__name__}: {error}")]
    return [Problem(d.path, d.line, d.code, d.message) for d in diagnostics]


def lint_chunk(paths: Sequence[str]) -> list[Problem]:
    """Worker entry point: the problems of a chunk of files, ``SES000`` left out."""
    return [
        problem for path in paths for problem in lint_file(Path(path)) if problem.code != UNPARSABLE
    ]


def chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def stdlib_files() -> list[str]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return sorted(
        str(path)
        for path in stdlib.rglob("*.py")
        if "site-packages" not in path.relative_to(stdlib).parts
    )


def report(problems: Sequence[Problem], limit: int = 50) -> str:
    shown = "\n".join(f"  {problem}" for problem in problems[:limit])
    more = f"\n  ... and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} unexpected finding(s):\n{shown}{more}"


def test_reference_runtime_is_clean() -> None:
    files = sorted(RUNTIME.rglob("*.py"))
    if not files:
        pytest.skip("runtime/ has no .py files yet")
    problems = [problem for path in files for problem in lint_file(path)]
    assert not problems, report(problems)


@pytest.mark.slow
def test_standard_library_is_clean() -> None:
    files = stdlib_files()
    assert len(files) > 500, f"suspiciously small standard library: {len(files)} files"
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=WORKERS) as pool:
        results = pool.map(lint_chunk, list(chunks(files, CHUNK_SIZE)))
        problems = sorted(problem for chunk in results for problem in chunk)
    elapsed = time.perf_counter() - started
    print(f"\nstandard library: {len(files)} files in {elapsed:.1f}s with {WORKERS} workers")
    assert not problems, report(problems)
