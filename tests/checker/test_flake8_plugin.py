"""The flake8 plugin, through real flake8: registration, options, noqa, opt-in codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.checker.cli_support import BUGGY, flake8, session_lint

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


def test_a_pyproject_only_configuration_gives_the_same_findings(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.session-lint]\nambient = ["ambient_sid"]\nextend-select = ["SES008"]\n'
        'extend-exclude = ["generated"]\n\n'
        '[tool.session-lint.per-file-ignores]\n"tests/*" = ["SES001"]\n'
    )
    custom = BUGGY.replace("current_session_id", "ambient_sid")
    for name, text in {
        "bridge.py": custom,
        "builders.py": BUILDER.replace("current_session_id", "ambient_sid"),
        "default_names.py": BUGGY,
        "tests/test_bridge.py": custom,
        "generated/bridge.py": custom,
    }.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    files = ["bridge.py", "builders.py", "default_names.py", "tests/test_bridge.py"]
    cli = session_lint("--format", "text", "-q", *files, "generated/bridge.py", cwd=tmp_path)
    plugin = flake8("--select", "SES", *files, "generated/bridge.py", cwd=tmp_path)
    expected = [line.removesuffix(" [*]") for line in cli.stdout.splitlines()]
    assert [line.split(" ")[1] for line in expected] == ["SES001", "SES008"]
    assert plugin.stdout.splitlines() == expected
    assert plugin.returncode == cli.returncode == 1


def test_flake8_options_override_the_pyproject_key_by_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.session-lint]\nambient = ["ambient_sid"]\nsinks = ["send"]\n'
    )
    (tmp_path / "bridge.py").write_text(
        BUGGY.replace("current_session_id", "ambient_sid").replace(".execute", ".send")
    )
    assert "SES001" in flake8("--select", "SES", "bridge.py", cwd=tmp_path).stdout
    overridden = flake8(
        "--select", "SES", "--session-lint-sinks=execute", "bridge.py", cwd=tmp_path
    )
    assert overridden.returncode == 0  # sinks replaced, ambient kept from the file
    assert (
        "SES001"
        in flake8(
            "--select", "SES", "--session-lint-sinks=send,execute", "bridge.py", cwd=tmp_path
        ).stdout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--select", "SES999"], "--select has 'SES999', which matches no rule"),
        (["--select", "SES", "--extend-select", "SES01"], "--extend-select has 'SES01'"),
        (["--select", "SES", "--extend-ignore", "SES000"], "SES000 cannot be ignored"),
        (["--select", "SES", "--session-lint-ambient=a-b"], "`ambient` has 'a-b'"),
        (["--select", "SES", "--session-lint-config=nope.toml"], "config file not found"),
    ],
)
def test_bad_options_are_a_clean_option_error(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "bridge.py").write_text(BUGGY)
    result = flake8(*args, "bridge.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("flake8: error: session-lint: ") and message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_pyproject_is_a_clean_error(tmp_path: Path) -> None:
    (tmp_path / "bridge.py").write_text(BUGGY)
    (tmp_path / "pyproject.toml").write_text('[tool.session-lint]\nselect = ["SES01"]\n')
    result = flake8("--select", "SES", "bridge.py", cwd=tmp_path)
    assert result.returncode == 2 and "`select` has 'SES01'" in result.stderr
    assert "Traceback" not in result.stderr
    # a bad configuration below the working folder: SES000 for its files, never silence
    (tmp_path / "pyproject.toml").unlink()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text("[tool.session-lint]\nresolver = 3\n")
    (tmp_path / "sub" / "bridge.py").write_text(BUGGY)
    result = flake8("--select", "SES", "sub/bridge.py", cwd=tmp_path)
    assert result.returncode == 1 and "sub/bridge.py:1:1: SES000" in result.stdout
    assert "`resolver` must be a non-empty string" in result.stdout


WORKER_STATE = """
import atexit, gc, sys
atexit.register(lambda: print("libcst", "libcst" in sys.modules, "frozen", gc.get_freeze_count()))
from flake8.main.cli import main
main(["--isolated", "-j", "1", "--select", "SES", *sys.argv[1:]])
"""


def _worker_state(tmp_path: Path, *files: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", WORKER_STATE, *files],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    return result.stdout.splitlines()[-1]


def test_a_worker_that_checks_something_freezes_what_the_engine_brought(tmp_path: Path) -> None:
    # libcst and the engine live as long as the worker: the cyclic collector, run by
    # flake8's own checks, is spared walking them in every full collection
    (tmp_path / "bridge.py").write_text(BUGGY)
    (tmp_path / "plain.py").write_text("def add(a, b):\n    return a + b\n")
    checked = _worker_state(tmp_path, "bridge.py").split()
    skipped = _worker_state(tmp_path, "plain.py").split()  # some Pythons freeze a few at start
    assert checked[:2] == ["libcst", "True"] and skipped[:2] == ["libcst", "False"]
    assert int(checked[-1]) > int(skipped[-1]) + 10_000
