"""Library, CLI and flake8 report the same findings on every fixture: one engine."""

from __future__ import annotations

import json
import re

import pytest

from session_lint.api import lint_paths
from session_lint.config import Config
from tests.checker.cli_support import EMPTY_CONFIG, FIXTURES, ROOT, flake8, session_lint

FILES = sorted(FIXTURES.rglob("*.py"))
_FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<code>SES\d{3}) ")


def _library() -> set[tuple[str, int, int, str]]:
    return {
        (d.path, d.line, d.column, d.code)
        for d in lint_paths([str(p.relative_to(ROOT)) for p in FILES], Config())
    }


def test_there_are_fixtures() -> None:
    assert len(FILES) >= 10


@pytest.fixture(scope="module")
def library() -> set[tuple[str, int, int, str]]:
    import os

    previous = os.getcwd()
    os.chdir(ROOT)
    try:
        return _library()
    finally:
        os.chdir(previous)


def test_cli_agrees_with_the_library(library: set[tuple[str, int, int, str]]) -> None:
    # an empty configuration instead of this repository's `extend-exclude = ["fixtures"]`
    paths = [str(p.relative_to(ROOT)) for p in FILES]
    result = session_lint("--format", "json", "--config", EMPTY_CONFIG, *paths, cwd=ROOT)
    cli = {(r["path"], r["line"], r["column"], r["code"]) for r in json.loads(result.stdout)}
    assert cli == library


def test_flake8_agrees_with_the_library(library: set[tuple[str, int, int, str]]) -> None:
    paths = [str(p.relative_to(ROOT)) for p in FILES]
    result = flake8("--select", "SES", f"--session-lint-config={EMPTY_CONFIG}", *paths, cwd=ROOT)
    reported = set()
    for line in result.stdout.splitlines():
        match = _FLAKE8_LINE.match(line)
        assert match, line
        reported.add((match["path"], int(match["line"]), int(match["column"]), match["code"]))
    assert reported == library
    assert library, "the fixtures hold findings"
