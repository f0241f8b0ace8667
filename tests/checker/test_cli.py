"""The real command: exit codes, formats, flags, errors without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from session_lint.registry import all_rules
from tests.checker.cli_support import BUGGY, FIXTURES, session_lint

CLEAN = "def add(a, b):\n    return a + b\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "buggy.py").write_text(BUGGY)
    (tmp_path / "pkg" / "clean.py").write_text(CLEAN)
    return tmp_path


def test_exit_codes_follow_the_findings(tree: Path) -> None:
    assert session_lint("pkg/clean.py", cwd=tree).returncode == 0
    found = session_lint("pkg", cwd=tree)
    assert found.returncode == 1
    assert "pkg/buggy.py:5:11: SES001" in found.stdout
    assert "Found 1 finding" in found.stdout


def test_console_script_and_module_agree(tree: Path) -> None:
    script = session_lint("--format", "json", "pkg", cwd=tree, script=True)
    module = session_lint("--format", "json", "pkg", cwd=tree)
    assert script.returncode == module.returncode == 1
    assert json.loads(script.stdout) == json.loads(module.stdout)


def test_default_path_is_the_current_folder(tree: Path) -> None:
    assert session_lint(cwd=tree).returncode == 1


def test_missing_path_is_a_usage_error(tree: Path) -> None:
    result = session_lint("does/not/exist.py", cwd=tree)
    assert result.returncode == 2
    assert "no such file or folder: does/not/exist.py" in result.stderr
    assert "Traceback" not in result.stderr


def test_select_and_ignore(tree: Path) -> None:
    assert session_lint("--ignore", "SES001", "pkg", cwd=tree).returncode == 0
    assert session_lint("--select", "SES002", "pkg", cwd=tree).returncode == 0
    assert session_lint("--select", "SES0", "pkg", cwd=tree).returncode == 1


def test_exclude(tree: Path) -> None:
    assert session_lint("--exclude", "buggy.py", "pkg", cwd=tree).returncode == 0


def test_noqa_is_honoured(tree: Path) -> None:
    path = tree / "pkg" / "buggy.py"
    path.write_text(BUGGY.replace("current_session_id()\n", "current_session_id()  # noqa\n"))
    assert session_lint("pkg", cwd=tree).returncode == 0
    path.write_text(BUGGY.replace("()\n", "()  # noqa: SES002\n", 1))
    assert session_lint("pkg", cwd=tree).returncode == 1


def test_quiet_and_statistics(tree: Path) -> None:
    quiet = session_lint("--quiet", "pkg/clean.py", cwd=tree)
    assert quiet.stdout == ""
    stats = session_lint("--statistics", "pkg", cwd=tree)
    assert stats.stdout.split() == ["1", "SES001", "[*]", "ambient-session-at-dispatch"]


def test_explain_every_code() -> None:
    for rule in all_rules():
        result = session_lint("--explain", rule.CODE.lower())
        assert result.returncode == 0, rule.CODE
        assert result.stdout.startswith(f"# {rule.NAME} ({rule.CODE})")
        assert "## Fix safety" in result.stdout


def test_explain_unknown_code() -> None:
    result = session_lint("--explain", "SES999")
    assert result.returncode == 2
    assert "unknown rule code 'SES999'" in result.stderr


def test_version() -> None:
    result = session_lint("--version")
    assert result.returncode == 0 and result.stdout.startswith("session-lint ")


def test_bad_flag_is_a_usage_error() -> None:
    result = session_lint("--output-format", "xml")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_unparsable_file_is_ses000_and_the_run_goes_on(tree: Path) -> None:
    (tree / "pkg" / "broken.py").write_bytes(b"def f(client):\n    client.execute(session_id\n")
    (tree / "pkg" / "latin.py").write_bytes(b"x = '\xe9'\n")
    result = session_lint("--format", "json", "pkg", cwd=tree)
    codes = {(row["path"], row["code"]) for row in json.loads(result.stdout)}
    assert codes == {
        ("pkg/broken.py", "SES000"),
        ("pkg/buggy.py", "SES001"),
        ("pkg/latin.py", "SES000"),
    }
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_parallel_jobs_give_the_same_output(tmp_path: Path) -> None:
    for index in range(40):
        (tmp_path / f"m{index:02d}.py").write_text(BUGGY if index % 3 == 0 else CLEAN)
    serial = session_lint("--format", "json", "-j", "1", ".", cwd=tmp_path)
    parallel = session_lint("--format", "json", "-j", "2", ".", cwd=tmp_path)
    assert serial.stdout == parallel.stdout
    assert len(json.loads(serial.stdout)) == 14


def test_fix_writes_and_reports_what_remains(tree: Path) -> None:
    result = session_lint("--fix", "pkg", cwd=tree)
    assert result.returncode == 0, result.stdout + result.stderr
    fixed = (tree / "pkg" / "buggy.py").read_text()
    assert "sid = resolve_session_id()" in fixed
    assert fixed.startswith("from runtime import current_session_id, resolve_session_id\n")
    assert (tree / "pkg" / "clean.py").read_text() == CLEAN


def test_diff_prints_and_writes_nothing(tree: Path) -> None:
    result = session_lint("--diff", "pkg", cwd=tree)
    assert result.returncode == 1
    assert "-    sid = current_session_id()" in result.stdout
    assert "+    sid = resolve_session_id()" in result.stdout
    assert (tree / "pkg" / "buggy.py").read_text() == BUGGY
    assert session_lint("--diff", "pkg/clean.py", cwd=tree).returncode == 0


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    source = (FIXTURES / "rules" / "SES007_hand_rolled_precedence.py").read_text()
    target = tmp_path / "chain.py"
    target.write_text(source)
    session_lint("--fix", "--select", "SES007", "chain.py", cwd=tmp_path)
    assert target.read_text() == source
    session_lint("--fix", "--unsafe-fixes", "--select", "SES007", "chain.py", cwd=tmp_path)
    assert target.read_text() != source


def test_skippable_trees_and_version_never_import_libcst(tree: Path) -> None:
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from session_lint.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('libcst' in sys.modules)\n"
    )
    for args in (["pkg/clean.py"], ["--explain", "SES001"], ["--version"]):
        result = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=tree
        )
        assert result.stdout.strip().endswith("False"), args
