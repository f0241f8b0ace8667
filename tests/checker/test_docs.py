"""Docs move with the code: the rules table is the registry's, every configuration snippet
is a real configuration, and every key and flag is documented."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from session_lint.config import KNOWN_KEYS
from session_lint.registry import all_rules, rule_for
from tests.checker.cli_support import session_lint

README = Path(__file__).resolve().parents[2] / "README.md"


def rule_row(code: str) -> str:
    rule = rule_for(code)
    assert rule is not None
    fix = "no" if rule.FIX == "never" else "yes"
    default = "yes" if rule.DEFAULT_ENABLED else "opt-in"
    return f"| `{rule.CODE}` | {rule.NAME} | {rule.summary()} | {fix} | {default} |"


def test_readme_rules_table_matches_the_registry() -> None:
    rows = [line for line in README.read_text().splitlines() if line.startswith("| `SES")]
    assert rows == [rule_row(rule.CODE) for rule in all_rules()]


def test_every_rule_documents_its_sections() -> None:
    for rule in all_rules():
        text = rule.explain()
        for section in ("## What it does", "## Why is this bad?", "## Fix safety"):
            assert section in text, (rule.CODE, section)
        if rule.INVALID:
            assert "## Example" in text and "## Use instead" in text, rule.CODE


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S)


@pytest.mark.parametrize("snippet", _blocks("toml"), ids=lambda text: text.splitlines()[1][:30])
def test_every_configuration_snippet_is_a_valid_configuration(tmp_path: Path, snippet: str) -> None:
    (tmp_path / "pyproject.toml").write_text(snippet)
    result = session_lint("--show-settings", "pkg/module.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    source = tmp_path.resolve() / "pyproject.toml"
    table = tomllib.loads(snippet)["tool"]["session-lint"]
    for key in table:
        assert any(
            line.startswith(f"{key} = ") and line.endswith(f"# {source}")
            for line in result.stdout.splitlines()
        ), key


def test_the_walkthrough_configuration_finds_and_fixes(tmp_path: Path) -> None:
    (snippet,) = [block for block in _blocks("toml") if "# 1. the getter" in block]
    (tmp_path / "pyproject.toml").write_text(snippet)
    bridge = tmp_path / "bridge.py"
    bridge.write_text(
        "from myrpc.context import current_session\n\n\n"
        "def ping(client, method, rpc_opts):\n"
        "    sid = current_session()\n"
        '    return client.send(method, {"sid": sid}, {"sid": sid})\n'
    )
    assert "bridge.py:5:11: SES001" in session_lint(".", cwd=tmp_path).stdout
    assert session_lint("--fix", ".", cwd=tmp_path).returncode == 0
    fixed = bridge.read_text()
    # where the README says fixes put the resolver's import
    assert "from myrpc.context import resolve_session, current_session\n" in fixed
    assert "sid = resolve_session(rpc_opts)\n" in fixed


def test_readme_documents_every_key_and_flag() -> None:
    text = README.read_text()
    for key in KNOWN_KEYS:
        assert f"| `{key}` |" in text, key
    changelog = (README.parent / "CHANGELOG.md").read_text()
    flags = set(re.findall(r"(--[a-z][a-z-]+)", session_lint("--help").stdout)) - {"--help"}
    for flag in sorted(flags):
        assert flag in text, flag
    for new in ("--extend-select", "--extend-ignore", "--extend-exclude", "--per-file-ignores"):
        assert new in changelog, new
    for new in ("--show-settings", "--show-files", "--no-respect-gitignore", "--stdin-filename"):
        assert new in changelog, new


def test_quick_start_is_two_commands() -> None:
    quick_start = _blocks("sh")[0]
    commands = [line.split("  #")[0].strip() for line in quick_start.splitlines()]
    assert commands == ["pip install . && session-lint .", 'pip install -e ".[test]" && pytest']


def test_this_repository_is_clean_under_its_own_configuration() -> None:
    # the README's first command: deliberately buggy tests are kept out by pyproject.toml
    result = session_lint(".", cwd=README.parent)
    assert result.returncode == 0, result.stdout + result.stderr
