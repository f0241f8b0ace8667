"""File discovery as ruff does it: what git ignores, ruff's default excludes, missing paths
reported while the rest is checked, and stdin."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from session_lint.config import DEFAULT_EXCLUDE
from tests.checker.cli_support import BUGGY, session_lint

CLEAN = "x = 1\n"


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git repository with something ignored by each of git's ignore files, and a global
    git config of its own (GIT_CONFIG_GLOBAL) naming a global excludes file."""
    root = tmp_path / "repo"
    root.mkdir()
    _git("init", "-q", cwd=root)
    for name in (
        "kept.py",
        "generated/schema.py",
        "pkg/module_gen.py",
        "pkg/keep_gen.py",
        "pkg/local.py",
        "pkg/scratch.py",
        "pkg/deep/kept.py",
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(CLEAN)
    (root / ".gitignore").write_text("generated/\n*_gen.py\n")
    (root / "pkg" / ".gitignore").write_text("!keep_gen.py\n/local.py\n")
    (root / ".git" / "info" / "exclude").write_text("scratch.py\n")
    global_ignore = tmp_path / "global-ignore"
    global_ignore.write_text("deep/\n")
    (tmp_path / "gitconfig").write_text(f"[core]\n\texcludesFile = {global_ignore}\n")
    return root


def _listed(*args: str, cwd: Path, home: Path) -> list[str]:
    env = {"GIT_CONFIG_GLOBAL": str(home / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1"}
    result = session_lint("--show-files", *args, cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_gitignore_files_are_honoured(repository: Path) -> None:
    home = repository.parent
    assert _listed(".", cwd=repository, home=home) == ["kept.py", "pkg/keep_gen.py"]
    # from a subfolder, the ignore files above it still apply
    assert _listed(".", cwd=repository / "pkg", home=home) == ["keep_gen.py"]
    everything = _listed("--no-respect-gitignore", ".", cwd=repository, home=home)
    assert len(everything) == 7
    # a file named explicitly is checked, as in ruff
    assert _listed("pkg/scratch.py", cwd=repository, home=home) == ["pkg/scratch.py"]
    (repository / "pyproject.toml").write_text("[tool.session-lint]\nrespect-gitignore = false\n")
    assert len(_listed(".", cwd=repository, home=home)) == 7


def test_gitignore_outside_a_repository_is_not_read(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.py\n")
    (tmp_path / "a.py").write_text(CLEAN)
    assert session_lint("--show-files", ".", cwd=tmp_path).stdout.split() == ["a.py"]


def test_ruffs_default_excludes_and_replacing_them(tmp_path: Path) -> None:
    for folder in (*DEFAULT_EXCLUDE, "pkg"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "bridge.py").write_text(BUGGY)
    (tmp_path / "pkg" / "build").mkdir()
    (tmp_path / "pkg" / "build" / "copy.py").write_text(BUGGY)
    result = session_lint(".", cwd=tmp_path)
    assert result.returncode == 1 and "pkg/bridge.py:5:11: SES001" in result.stdout
    assert session_lint("--show-files", ".", cwd=tmp_path).stdout.split() == ["pkg/bridge.py"]
    listed = session_lint("--show-files", "--exclude", "venv", ".", cwd=tmp_path).stdout.split()
    assert len(listed) == len(DEFAULT_EXCLUDE) + 1 and "venv/bridge.py" not in listed
    assert "pkg/build/copy.py" in listed and ".git/bridge.py" in listed


def test_a_missing_path_is_an_error_and_the_others_are_checked(tmp_path: Path) -> None:
    (tmp_path / "bridge.py").write_text(BUGGY)
    result = session_lint("--format", "json", "missing.py", "bridge.py", "gone/", cwd=tmp_path)
    assert result.returncode == 2
    assert [row["path"] for row in json.loads(result.stdout)] == ["bridge.py"]
    assert "no such file or folder: missing.py" in result.stderr
    assert "no such file or folder: gone/" in result.stderr
    assert "Traceback" not in result.stderr


def test_stdin_is_checked_under_its_given_name(tmp_path: Path) -> None:
    result = session_lint("-", cwd=tmp_path, stdin=BUGGY)
    assert result.returncode == 1 and result.stdout.startswith("-:5:11: SES001")
    result = session_lint("--stdin-filename", "pkg/bridge.py", cwd=tmp_path, stdin=BUGGY)
    assert result.stdout.startswith("pkg/bridge.py:5:11: SES001")
    # the name decides the configuration and the excludes
    (tmp_path / "pyproject.toml").write_text(
        '[tool.session-lint]\nextend-exclude = ["generated"]\n\n'
        '[tool.session-lint.per-file-ignores]\n"tests/*" = ["SES001"]\n'
    )
    for name in ("tests/test_bridge.py", "generated/bridge.py"):
        result = session_lint("--stdin-filename", name, "-", cwd=tmp_path, stdin=BUGGY)
        assert result.returncode == 0, (name, result.stdout)
    (tmp_path / "other.py").write_text(BUGGY)
    result = session_lint("--format", "json", "other.py", "-", cwd=tmp_path, stdin=BUGGY)
    assert sorted(row["path"] for row in json.loads(result.stdout)) == ["-", "other.py"]


def test_fix_on_stdin_prints_the_fixed_text(tmp_path: Path) -> None:
    result = session_lint("--fix", "--stdin-filename", "bridge.py", "-", cwd=tmp_path, stdin=BUGGY)
    assert result.returncode == 0, result.stderr
    assert "sid = resolve_session_id()" in result.stdout
    assert session_lint("-", cwd=tmp_path, stdin=result.stdout).returncode == 0
    diff = session_lint("--diff", "-", cwd=tmp_path, stdin=BUGGY)
    assert diff.returncode == 1 and "+    sid = resolve_session_id()" in diff.stdout
    excluded = session_lint("--fix", "--stdin-filename", "build/x.py", cwd=tmp_path, stdin=BUGGY)
    assert excluded.returncode == 0 and excluded.stdout == BUGGY
    both = session_lint("--fix", "-", "other.py", cwd=tmp_path, stdin=BUGGY)
    assert both.returncode == 2 and "must be the only path" in both.stderr


def test_where_a_project_lives_does_not_exclude_it(tmp_path: Path) -> None:
    # a checkout under a folder named like a default exclude (~/.pyenv/..., /build/...)
    project = tmp_path / "build" / ".venv" / "project"
    project.mkdir(parents=True)
    (project / "bridge.py").write_text(BUGGY)
    (tmp_path / "elsewhere").mkdir()
    for path, cwd in (
        (str(project / "bridge.py"), tmp_path / "elsewhere"),
        (str(project), tmp_path / "elsewhere"),
        ("bridge.py", project),
        (".", project),
    ):
        assert session_lint(path, cwd=cwd).returncode == 1, (path, cwd)
    # but a path written through an excluded folder is excluded, as ruff does it
    assert session_lint("--show-files", "build/.venv/project", cwd=tmp_path).stdout == ""
