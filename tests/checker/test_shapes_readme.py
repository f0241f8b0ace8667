"""Every dispatch shape the README documents is a real configuration: its snippet, loaded
from the README, finds exactly the ``# expect:`` markers of the shape's fixtures, through
the library and the real command, and leaves the valid fixture clean."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from session_lint import lint_source
from session_lint.config import Config, config_from_mapping
from session_lint.fix.api import fix_source
from session_lint.registry import rule_for
from tests.checker.cli_support import ROOT, session_lint
from tests.checker.test_fixtures import SHAPES, parse_markers

README = ROOT / "README.md"
_SHAPE_LINE = re.compile(r"^# shape: (?P<folder>\S+)\n")


def shape_snippets() -> dict[str, str]:
    """Fixture folder -> the README snippet whose first line names it."""
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(), re.S)
    found = {}
    for block in blocks:
        match = _SHAPE_LINE.match(block)
        if match:
            found[match["folder"]] = block
    return found


SNIPPETS = shape_snippets()


def snippet_config(snippet: str) -> Config:
    return config_from_mapping(tomllib.loads(snippet)["tool"]["session-lint"], "README")


def _found(source: str, config: Config, path: str) -> Counter[tuple[int, str]]:
    return Counter((d.line, d.code) for d in lint_source(source, path=path, config=config))


def test_every_common_shape_has_a_section_and_a_fixture() -> None:
    wanted = {
        f"fixtures/shapes/{name}" for name in ("grpc", "http", "celery", "contextvar", "contracts")
    }
    assert set(SNIPPETS) == wanted
    for folder in SNIPPETS:
        assert sorted(path.name for path in (ROOT / folder).glob("*.py")) == [
            "invalid.py",
            "valid.py",
        ]
    assert {p.parent for p in SHAPES.glob("*/*.py")} == {ROOT / f for f in SNIPPETS}


@pytest.mark.parametrize("folder", sorted(SNIPPETS))
def test_snippet_finds_exactly_the_markers(folder: str) -> None:
    config = snippet_config(SNIPPETS[folder])
    invalid = (ROOT / folder / "invalid.py").read_text()
    expected = parse_markers(invalid)
    assert expected, "the invalid fixture marks its findings"
    assert _found(invalid, config, "invalid.py") == expected
    assert _found((ROOT / folder / "valid.py").read_text(), config, "valid.py") == Counter()
    # and the default configuration does not know these shapes: nothing there
    assert _found(invalid, Config(), "invalid.py") == Counter() or folder.endswith("contextvar")


@pytest.mark.parametrize("folder", sorted(SNIPPETS))
def test_the_command_agrees_with_the_library(tmp_path: Path, folder: str) -> None:
    (tmp_path / "pyproject.toml").write_text(SNIPPETS[folder])
    for name in ("invalid.py", "valid.py"):
        shutil.copy(ROOT / folder / name, tmp_path / name)
    result = session_lint("--output-format", "json", ".", cwd=tmp_path)
    reported = Counter((row["line"], row["code"]) for row in json.loads(result.stdout))
    assert result.returncode == 1, result.stderr
    assert reported == parse_markers((tmp_path / "invalid.py").read_text())
    assert {row["path"] for row in json.loads(result.stdout)} == {"invalid.py"}


@pytest.mark.parametrize("folder", sorted(SNIPPETS))
def test_fixes_leave_only_findings_that_say_why_they_have_none(folder: str) -> None:
    config = snippet_config(SNIPPETS[folder])
    source = (ROOT / folder / "invalid.py").read_text()
    fixed = fix_source(source, config=config, unsafe=True)
    compile(fixed, folder, "exec")
    left = lint_source(fixed, config=config)
    unfixed = Counter(d.code for d in lint_source(source, config=config) if d.fix is None)
    assert not Counter(d.code for d in left) - unfixed, left
    for diagnostic in left:  # a rule with no fix at all (SES005), or one that says why
        rule = rule_for(diagnostic.code)
        assert rule is not None
        assert rule.FIX == "never" or "(no automatic fix: " in diagnostic.message, diagnostic
    assert fix_source(fixed, config=config, unsafe=True) == fixed
