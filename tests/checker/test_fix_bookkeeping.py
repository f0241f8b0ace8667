"""What the command says about fixes matches what ``--fix`` does with the flags given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.checker.cli_support import BUGGY, FIXTURES, session_lint

UNSAFE_ONLY = (FIXTURES / "rules" / "SES007_hand_rolled_precedence.py").read_text()


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """One safe fix (SES001) and several unsafe ones (SES007)."""
    (tmp_path / "buggy.py").write_text(BUGGY)
    (tmp_path / "chain.py").write_text(UNSAFE_ONLY)
    return tmp_path


def test_unsafe_fixes_without_fix_or_diff_is_refused(mixed: Path) -> None:
    result = session_lint("--unsafe-fixes", ".", cwd=mixed)
    assert result.returncode == 2 and result.stdout == ""
    assert "--unsafe-fixes only applies with --fix or --diff" in result.stderr
    assert session_lint("--unsafe-fixes", "--diff", ".", cwd=mixed).returncode == 1


def test_marks_and_counts_are_what_fix_alone_applies(mixed: Path) -> None:
    result = session_lint("--output-format", "concise", ".", cwd=mixed)
    findings = [line for line in result.stdout.splitlines() if ": SES" in line]
    unsafe = [line for line in findings if " SES007 " in line]
    assert unsafe and not any(line.endswith("[*]") for line in unsafe)
    assert [line for line in findings if line.endswith("[*]")] == [
        line for line in findings if " SES001 " in line
    ]
    assert (
        f"[*] 1 fixable with `session-lint --fix`; {len(unsafe)} more with `--unsafe-fixes`.\n"
        in result.stdout
    )
    # and that is what `--fix` does: the safe one fixed, the unsafe ones left
    fixed = session_lint("--fix", "--output-format", "concise", ".", cwd=mixed)
    remaining = [line for line in fixed.stdout.splitlines() if ": SES" in line]
    assert remaining == unsafe
    assert f"{len(unsafe)} fixable with `--unsafe-fixes`.\n" in fixed.stdout
    assert session_lint("--fix", "--unsafe-fixes", ".", cwd=mixed).returncode == 0


def test_show_fixes_lists_what_was_fixed_per_file(mixed: Path) -> None:
    would = session_lint("--show-fixes", "--output-format", "concise", ".", cwd=mixed)
    assert "Would fix 1 finding:\n- buggy.py:\n    1 x SES001 (" in would.stdout
    done = session_lint("--fix", "--unsafe-fixes", "--show-fixes", ".", cwd=mixed)
    assert done.returncode == 0
    unsafe = UNSAFE_ONLY.count("# expect: SES007")
    assert f"Fixed {unsafe + 1} findings:\n" in done.stdout
    assert "- buggy.py:\n    1 x SES001 (" in done.stdout
    assert f"- chain.py:\n    {unsafe} x SES007 (" in done.stdout
    again = session_lint("--fix", "--show-fixes", ".", cwd=mixed)
    assert "No findings fixed." in again.stdout


def test_exit_non_zero_on_fix(tmp_path: Path) -> None:
    target = tmp_path / "buggy.py"
    target.write_text(BUGGY)
    assert session_lint("--fix", "buggy.py", cwd=tmp_path).returncode == 0  # all fixed
    target.write_text(BUGGY)
    changed = session_lint("--fix", "--exit-non-zero-on-fix", "buggy.py", cwd=tmp_path)
    assert changed.returncode == 1 and target.read_text() != BUGGY
    # nothing left to change: clean again
    assert session_lint("--fix", "--exit-non-zero-on-fix", "buggy.py", cwd=tmp_path).returncode == 0


def test_show_fixes_keeps_a_json_report_parseable(mixed: Path) -> None:
    result = session_lint("--fix", "--show-fixes", "--output-format", "json", ".", cwd=mixed)
    rows = json.loads(result.stdout)
    assert {row["code"] for row in rows} == {"SES007"}
    assert "Fixed 1 finding:\n- buggy.py:\n    1 x SES001 (" in result.stderr
