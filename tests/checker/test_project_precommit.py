"""Project mode through real pre-commit: with only the caller staged, the builder's
module is still consulted, so the hook reports what the CLI reports for that file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.checker.cli_support import ROOT, session_lint
from tests.checker.project_support import SHOP, expected, reported, write_project

pytestmark = pytest.mark.skipif(
    not (ROOT / ".git").exists(), reason="try-repo needs this project as a git checkout"
)


def _run(command: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=900)


def test_pre_commit_with_only_the_caller_staged(tmp_path: Path) -> None:
    project = write_project(tmp_path / "shop-project", SHOP)
    home = tmp_path / "pre-commit-home"
    _run(["git", "init", "-q"], project, home)
    _run(["git", "add", "shop/calls.py"], project, home)  # the caller changed, not its builders
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "session-lint"]
    hook = _run([*command, "--files", "shop/calls.py"], project, home)
    assert hook.returncode == 1, hook.stdout + hook.stderr
    by_hook = reported(hook.stdout, "calls.py")
    by_cli = reported(session_lint("shop/calls.py", cwd=project).stdout, "calls.py")
    assert by_hook == by_cli
    assert {(line, code) for line, _, code in by_hook} == expected(project / "shop" / "calls.py")
