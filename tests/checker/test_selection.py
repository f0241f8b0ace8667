"""Rule selection never passes silently: a code that matches no rule is exit 2 naming it,
from a flag or a configuration key; SES000 cannot be ignored; extend-* keys add."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.checker.cli_support import BUGGY, session_lint

BUILDER = (
    "from runtime import current_session_id\n"
    "\n"
    "\n"
    "def base_payload():\n"
    '    return {"session_id": current_session_id()}\n'
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "buggy.py").write_text(BUGGY)
    (tmp_path / "builders.py").write_text(BUILDER)
    return tmp_path


def _codes(result_stdout: str) -> list[tuple[str, str]]:
    return [(row["path"], row["code"]) for row in json.loads(result_stdout)]


@pytest.mark.parametrize(
    ("flag", "value", "code"),
    [
        ("--select", "SES999", "SES999"),
        ("--select", "SES001,SES01", "SES01"),  # a typo among good codes
        ("--ignore", "SES1", "SES1"),
        ("--extend-select", "SES010", "SES010"),
        ("--extend-ignore", "E501", "E501"),
        ("--per-file-ignores", "tests/*:SES999", "SES999"),
    ],
)
def test_an_unknown_code_on_the_command_line_is_exit_2(
    tree: Path, flag: str, value: str, code: str
) -> None:
    result = session_lint(flag, value, ".", cwd=tree)
    assert result.returncode == 2, result.stdout
    assert f"{flag} has '{code}'" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    "table",
    [
        'select = ["SES999"]',
        'ignore = ["SES01"]',
        'extend-select = ["SES010"]',
        'extend-ignore = ["SES99"]',
        '[tool.session-lint.per-file-ignores]\n"tests/*" = ["SES999"]',
    ],
)
def test_an_unknown_code_in_the_configuration_is_exit_2(tree: Path, table: str) -> None:
    (tree / "pyproject.toml").write_text(f"[tool.session-lint]\n{table}\n")
    result = session_lint(".", cwd=tree)
    assert result.returncode == 2
    assert "pyproject.toml [tool.session-lint]" in result.stderr
    assert "which matches no rule (known codes: SES000, SES001" in result.stderr
    assert "Traceback" not in result.stderr


def test_ses000_cannot_be_ignored(tree: Path) -> None:
    for args in (["--ignore", "SES000"], ["--extend-ignore", "ses000"]):
        result = session_lint(*args, ".", cwd=tree)
        assert result.returncode == 2
        assert "SES000 cannot be ignored" in result.stderr and "exclude the file" in result.stderr
    (tree / "pyproject.toml").write_text(
        '[tool.session-lint.per-file-ignores]\n"*.py" = ["SES000"]\n'
    )
    assert "SES000 cannot be ignored" in session_lint(".", cwd=tree).stderr
    # a prefix covering every rule still leaves unreadable files reported
    (tree / "pyproject.toml").unlink()
    (tree / "broken.py").write_bytes(b"def f(client):\n    client.execute(session_id\n")
    result = session_lint("--ignore", "SES", "--format", "json", ".", cwd=tree)
    assert _codes(result.stdout) == [("broken.py", "SES000")]


def test_extend_select_and_extend_ignore_add_to_the_configured_keys(tree: Path) -> None:
    (tree / "pyproject.toml").write_text(
        '[tool.session-lint]\nselect = ["SES002"]\nextend-select = ["SES008"]\n'
    )
    result = session_lint("--format", "json", ".", cwd=tree)
    assert _codes(result.stdout) == [("builders.py", "SES008")]
    # --select replaces `select` only: the configured extend-select still adds SES008
    result = session_lint("--format", "json", "--select", "SES001", ".", cwd=tree)
    assert _codes(result.stdout) == [("buggy.py", "SES001"), ("builders.py", "SES008")]
    result = session_lint("--format", "json", "--extend-ignore", "SES008", ".", cwd=tree)
    assert _codes(result.stdout) == []
    # a flag's extend-* adds to the configured one
    result = session_lint("--format", "json", "--extend-select", "SES001", ".", cwd=tree)
    assert _codes(result.stdout) == [("buggy.py", "SES001"), ("builders.py", "SES008")]


def test_per_file_ignores_from_the_configuration_and_the_flag(tree: Path) -> None:
    (tree / "tests").mkdir()
    (tree / "tests" / "test_bridge.py").write_text(BUGGY)
    (tree / "pyproject.toml").write_text(
        '[tool.session-lint.per-file-ignores]\n"tests/*" = ["SES001"]\n"builders.py" = ["SES0"]\n'
    )
    everything = ["--format", "json", "--extend-select", "SES008"]
    result = session_lint(*everything, ".", cwd=tree)
    assert _codes(result.stdout) == [("buggy.py", "SES001")]
    # relative to the configuration file's folder, wherever the command runs
    result = session_lint(*everything, "test_bridge.py", cwd=tree / "tests")
    assert result.returncode == 0 and _codes(result.stdout) == []
    # the flag replaces the configured table
    result = session_lint(*everything, "--per-file-ignores", "buggy.py:SES001", ".", cwd=tree)
    assert _codes(result.stdout) == [("builders.py", "SES008"), ("tests/test_bridge.py", "SES001")]
    result = session_lint("--per-file-ignores", "no-colon", ".", cwd=tree)
    assert result.returncode == 2 and "--per-file-ignores needs GLOB:CODES" in result.stderr
