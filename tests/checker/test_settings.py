"""Configuration per file, as ruff resolves it: the nearest `[tool.session-lint]` walking up
from each file, `--config` for all, flags over keys, and `--show-settings` saying why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.checker.cli_support import BUGGY, session_lint

CUSTOM = BUGGY.replace("current_session_id", "ambient_sid")


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """A root configuration, and a service with its own that renames the ambient getter
    and excludes its generated code."""
    (tmp_path / "pyproject.toml").write_text('[tool.session-lint]\nextend-exclude = ["vendored"]\n')
    for folder in ("lib", "vendored", "service/src", "service/generated"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "lib" / "bridge.py").write_text(BUGGY)
    (tmp_path / "vendored" / "bridge.py").write_text(BUGGY)
    (tmp_path / "service" / "pyproject.toml").write_text(
        '[project]\nname = "service"\n\n[tool.session-lint]\nambient = ["ambient_sid"]\n'
        'extend-exclude = ["generated"]\n'
    )
    (tmp_path / "service" / "src" / "bridge.py").write_text(CUSTOM)
    (tmp_path / "service" / "src" / "default_names.py").write_text(BUGGY)
    (tmp_path / "service" / "generated" / "bridge.py").write_text(CUSTOM)
    return tmp_path


def _paths(stdout: str) -> list[str]:
    return [row["path"] for row in json.loads(stdout)]


def test_each_file_uses_its_nearest_configuration(monorepo: Path) -> None:
    result = session_lint("--format", "json", ".", cwd=monorepo)
    assert _paths(result.stdout) == ["lib/bridge.py", "service/src/bridge.py"]
    # the same files, the same answer, from any folder
    inside = session_lint(
        "--format", "json", "src/bridge.py", "generated/bridge.py", cwd=monorepo / "service"
    )
    assert _paths(inside.stdout) == ["src/bridge.py"]
    below = session_lint("--format", "json", "bridge.py", cwd=monorepo / "vendored")
    assert below.returncode == 0 and _paths(below.stdout) == []


def test_config_forces_one_file_for_all(monorepo: Path) -> None:
    result = session_lint("--format", "json", "--config", "pyproject.toml", ".", cwd=monorepo)
    # the root's file alone: the service's ambient name and excludes do not apply
    assert _paths(result.stdout) == ["lib/bridge.py", "service/src/default_names.py"]


def test_exclude_replaces_and_extend_exclude_adds(monorepo: Path) -> None:
    (monorepo / "build").mkdir()
    (monorepo / "build" / "bridge.py").write_text(BUGGY)
    listed = session_lint("--show-files", ".", cwd=monorepo).stdout.split()
    assert "build/bridge.py" not in listed and "vendored/bridge.py" not in listed
    # --exclude replaces ruff's defaults and the configured list: build/ is checked again
    listed = session_lint("--show-files", "--exclude", "lib", ".", cwd=monorepo).stdout.split()
    assert "build/bridge.py" in listed and "lib/bridge.py" not in listed
    # --extend-exclude adds to the configured extend-exclude
    listed = session_lint("--show-files", "--extend-exclude", "lib", ".", cwd=monorepo).stdout
    assert listed.split() == ["service/src/bridge.py", "service/src/default_names.py"]


def test_show_settings_names_where_each_value_came_from(monorepo: Path) -> None:
    result = session_lint(
        "--show-settings", "service/src/bridge.py", "--extend-ignore", "SES005", cwd=monorepo
    )
    assert result.returncode == 0, result.stderr
    service = monorepo.resolve() / "service" / "pyproject.toml"
    lines = result.stdout.splitlines()
    assert f"# configuration file: {service}" in lines
    assert f'ambient = ["ambient_sid"]  # {service}' in lines
    assert f'extend-exclude = ["generated"]  # {service}' in lines
    assert 'extend-ignore = ["SES005"]  # command line' in lines
    assert 'resolver = "resolve_session_id"  # default' in lines
    assert "# service/src/bridge.py is not excluded" in lines
    excluded = session_lint("--show-settings", "vendored/bridge.py", cwd=monorepo).stdout
    assert "# vendored/bridge.py is excluded" in excluded.splitlines()


def test_the_printed_settings_are_a_configuration(monorepo: Path, tmp_path: Path) -> None:
    shown = session_lint("--show-settings", "lib/bridge.py", cwd=monorepo).stdout
    copy = tmp_path / "copy" / "pyproject.toml"
    copy.parent.mkdir()
    copy.write_text(shown)
    again = session_lint("--show-settings", "x.py", cwd=copy.parent).stdout
    assert again.splitlines()[4:] == [
        line.replace(f"# {monorepo.resolve() / 'pyproject.toml'}", f"# {copy}").replace(
            "# default", f"# {copy}"
        )
        for line in shown.splitlines()[4:-1]
    ] + ["# x.py is not excluded"]
