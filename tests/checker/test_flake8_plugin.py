"""The flake8 plugin, through real flake8: registration, options, noqa, opt-in codes."""

from __future__ import annotations

from pathlib import Path

from tests.checker.cli_support import BUGGY, flake8

BUILDER = (
    "from runtime import current_session_id\n"
    "\n"
    "\n"
    "def base_payload():\n"
    '    return {"session_id": current_session_id()}\n'
)


def test_plugin_is_registered_and_reports(tmp_path: Path) -> None:
    (tmp_path / "bridge.py").write_text(BUGGY)
    result = flake8("--select", "SES", "bridge.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("bridge.py:5:11: SES001 session from the ambient getter")
    assert "session-lint" in flake8("--version").stdout


def test_flake8_noqa(tmp_path: Path) -> None:
    (tmp_path / "bridge.py").write_text(BUGGY.replace("()\n", "()  # noqa: SES001\n", 1))
    assert flake8("--select", "SES", "bridge.py", cwd=tmp_path).returncode == 0


def test_options_map_onto_the_same_config(tmp_path: Path) -> None:
    custom = BUGGY.replace("current_session_id", "ambient_sid").replace(".execute", ".send")
    (tmp_path / "bridge.py").write_text(custom)
    assert flake8("--select", "SES", "bridge.py", cwd=tmp_path).returncode == 0
    result = flake8(
        "--select",
        "SES",
        "--session-lint-ambient=ambient_sid",
        "--session-lint-sinks=send,execute",
        "bridge.py",
        cwd=tmp_path,
    )
    assert "SES001" in result.stdout


def test_bad_option_value_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bridge.py").write_text(BUGGY)
    result = flake8("--select", "SES", "--session-lint-resolver=", "bridge.py", cwd=tmp_path)
    assert result.returncode != 0
    assert "`resolver` must be a non-empty string" in result.stderr


def test_opt_in_codes_need_their_full_code(tmp_path: Path) -> None:
    (tmp_path / "builders.py").write_text(BUILDER)
    assert flake8("--select", "SES", "builders.py", cwd=tmp_path).returncode == 0
    result = flake8("--select", "SES008", "builders.py", cwd=tmp_path)
    assert "SES008" in result.stdout
