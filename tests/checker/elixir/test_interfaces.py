"""A mixed Python + Elixir tree gives the same diagnostics through the library, the CLI
(text and JSON) and ``pre-commit try-repo``; the Python files' results are unchanged."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from session_lint.api import lint_paths
from session_lint.engine import lint_source
from tests.checker.cli_support import FIXTURES, ROOT, session_lint
from tests.checker.elixir.support import ELIXIR_FIXTURES


def _mixed_tree(root: Path) -> Path:
    tree = root / "project"
    (tree / "lib").mkdir(parents=True)
    (tree / "py").mkdir()
    for path in sorted((ELIXIR_FIXTURES / "rules").glob("SES00[1-7]_*.ex")):
        shutil.copy(path, tree / "lib" / path.name)
    shutil.copy(ELIXIR_FIXTURES / "seed" / "runtime_before.ex", tree / "lib" / "runtime.ex")
    shutil.copy(ELIXIR_FIXTURES / "seed" / "runtime_after.ex", tree / "lib" / "fixed.exs")
    for path in sorted((FIXTURES / "rules").glob("SES00[1-3]_*.py")):
        shutil.copy(path, tree / "py" / path.name)
    (tree / "lib" / "notes.txt").write_text("execute current_session_id\n")  # not source
    return tree


_HEADLINE = re.compile(r"^\S+:\d+:\d+: SES\d{3} ")


def _headlines(output: str) -> list[str]:
    """The diagnostics' first lines in text output (the full format adds code context)."""
    return [line for line in output.splitlines() if _HEADLINE.match(line)]


def _rows(diagnostics: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return sorted(
        (os.path.relpath(str(d["path"])), d["line"], d["column"], d["code"], d["message"])
        for d in diagnostics
    )


def test_library_cli_and_per_file_results_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = _mixed_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    library = [d.__dict__ for d in lint_paths(["project"])]
    result = session_lint("--format", "json", "project", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    cli = json.loads(result.stdout)
    assert _rows(cli) == _rows(library)
    suffixes = {Path(str(d["path"])).suffix for d in cli}
    assert suffixes == {".ex", ".py"}  # both languages found; the after-port is clean
    for path in [*tree.rglob("*.ex"), *tree.rglob("*.exs"), *tree.rglob("*.py")]:
        relative = os.path.relpath(path, tmp_path)
        alone = [d.__dict__ for d in lint_source(path.read_bytes(), path=relative)]
        assert _rows(alone) == _rows([d for d in cli if d["path"] == relative])


def test_python_results_are_the_same_beside_elixir_files(tmp_path: Path) -> None:
    tree = _mixed_tree(tmp_path)
    mixed = _headlines(session_lint("project", cwd=tmp_path).stdout)
    shutil.rmtree(tree / "lib")
    alone = _headlines(session_lint("project", cwd=tmp_path).stdout)
    python_lines = [line for line in mixed if line.startswith(os.path.join("project", "py"))]
    assert python_lines and python_lines == alone


@pytest.mark.slow
def test_pre_commit_try_repo_reports_the_cli_diagnostics(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed to run pre-commit")
    tree = _mixed_tree(tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
    subprocess.run(["git", "add", "."], cwd=tree, check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    hook = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "session-lint", "--all-files"],
        cwd=tree,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    reported = sorted(_headlines(hook.stdout))
    files = sorted(
        os.path.relpath(p, tree)
        for p in [*tree.rglob("*.ex"), *tree.rglob("*.exs"), *tree.rglob("*.py")]
    )
    cli = session_lint(*files, cwd=tree)
    expected_lines = sorted(_headlines(cli.stdout))
    assert hook.returncode == 1, hook.stdout + hook.stderr
    assert reported == expected_lines
    assert any(".ex:" in line for line in reported) and any(".py:" in line for line in reported)
    assert not any("fixed.exs" in line for line in reported)
