"""[tool.session-lint]: every key reaches the engine; bad input is a clear exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from session_lint.config import Config, ConfigError, config_from_mapping, load_config
from session_lint.engine import lint_source
from tests.checker.cli_support import session_lint

CUSTOM = (
    "from ctx import ambient_sid\n"
    "\n"
    "\n"
    "def ping(bus):\n"
    "    sid = ambient_sid()\n"
    '    return bus.send("t", {"sid": sid}, {"sid": sid})\n'
)


def _write(folder: Path, table: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text(f"[project]\nname = 'x'\n\n[tool.session-lint]\n{table}\n")
    return path


def test_custom_names_reach_the_engine(tmp_path: Path) -> None:
    _write(tmp_path, 'ambient = ["ctx.ambient_sid"]\nsinks = ["send"]\nsession-key = "sid"')
    config, source = load_config(start=tmp_path)
    assert source == tmp_path / "pyproject.toml"
    assert [d.code for d in lint_source(CUSTOM, config=config)] == ["SES001"]
    assert lint_source(CUSTOM) == []
    (tmp_path / "bridge.py").write_text(CUSTOM)
    assert session_lint("bridge.py", cwd=tmp_path).returncode == 1


def test_nearest_pyproject_with_the_table_wins(tmp_path: Path) -> None:
    _write(tmp_path, 'ignore = ["SES001"]')
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[project]\nname = 'no-table'\n")
    config, source = load_config(start=inner)
    assert source == tmp_path / "pyproject.toml" and config.ignore == ("SES001",)


def test_exclude_is_relative_to_the_config_file(tmp_path: Path) -> None:
    _write(tmp_path, 'exclude = ["generated/*"]')
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "bad.py").write_text(
        CUSTOM.replace("ambient_sid", "current_session_id").replace("bus.send", "bus.execute")
    )
    assert session_lint(".", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('ambeint = ["x"]', "unknown key `ambeint`; did you mean `ambient`?"),
        ('sinks = "execute"', "`sinks` must be a list of non-empty strings"),
        ("resolver = 3", "`resolver` must be a non-empty string"),
        ('session-key = ""', "`session-key` must be a non-empty string"),
        ('select = ["E501"]', "`select` has 'E501', not a rule code"),
        ("sinks = []", "`sinks` must name at least one function"),
        ("ambient = [1]", "`ambient` must be a list of non-empty strings"),
        ("ambient = true", "`ambient` must be a list of non-empty strings"),
        ("exclude = [[]]", "`exclude` must be a list of non-empty strings"),
        ("ignore = {}", "`ignore` must be a list of non-empty strings"),
        # names are written into fixed code: each must be a (dotted) Python name
        ('resolver = "class"', "`resolver` has 'class', not a (dotted) Python name"),
        ('resolver = "pick(1)"', "`resolver` has 'pick(1)', not a (dotted) Python name"),
        ('sinks = ["bus.send."]', "`sinks` has 'bus.send.', not a (dotted) Python or Elixir name"),
        ('resolver = "resolve!"', "`resolver` has 'resolve!', not a (dotted) Python name"),
        ('ambient = ["get!.x"]', "`ambient` has 'get!.x', not a (dotted) Python or Elixir name"),
        ('ref-types = ["Ref[int]"]', "`ref-types` has 'Ref[int]', not a (dotted) Python name"),
        # dict keys are written inside a string literal
        ("session-key = 'a\"b'", "`session-key` must be printable, without quotes or backslashes"),
        ('runtime-key = "a\\nb"', "`runtime-key` must be printable, without quotes or backslashes"),
        ("[tool.session-lint.extra]\nx = 1", "unknown key `extra`"),
    ],
)
def test_bad_values_name_the_file_and_key(tmp_path: Path, table: str, message: str) -> None:
    path = _write(tmp_path, table)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path)
    result = session_lint("--config", str(path), str(tmp_path))
    assert result.returncode == 2
    assert str(path) in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_toml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.session-lint\nambient = \n")
    result = session_lint(".", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid TOML" in result.stderr and str(path) in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[tool.session-lint]\nresolver = '\xff'\n", "invalid TOML: not UTF-8"),
        (b"\xff\xfe[\x00t\x00o\x00o\x00l\x00]\x00", "invalid TOML: not UTF-8"),
        (b"[tool.session-lint]\nambient = " + b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b"[tool]\nsession-lint = 3\n", "`[tool.session-lint]` must be a table"),
        (b"[tool.session-lint]\nsinks = ['a']\nsinks = ['b']\n", "invalid TOML: Cannot overwrite"),
    ],
)
def test_unreadable_config_files_are_a_clear_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(content)
    result = session_lint("--config", "pyproject.toml", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.startswith("session-lint: error: pyproject.toml") and message in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_folder_as_config_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    result = session_lint("--config", "conf", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "conf: cannot read config file: Is a directory" in result.stderr


def test_missing_config_file(tmp_path: Path) -> None:
    result = session_lint("--config", "nope.toml", ".", cwd=tmp_path)
    assert result.returncode == 2 and "config file not found" in result.stderr


def test_config_file_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    code = f"__import__('os').mkdir('{marker}')"
    path = tmp_path / "pyproject.toml"
    path.write_text(f'[tool.session-lint]\nresolver = "{code}"\n')
    (tmp_path / "a.py").write_text("def f(client):\n    client.execute(1, {'session_id': s}, {})\n")
    result = session_lint(".", cwd=tmp_path)
    assert result.returncode == 2 and "`resolver` has" in result.stderr  # refused, not run
    path.write_text(f"{code}\n[tool.session-lint]\n")  # Python where TOML is expected
    assert "invalid TOML" in session_lint(".", cwd=tmp_path).stderr
    (tmp_path / "setup.py").write_text(code)  # other config files are not even read
    (tmp_path / "conftest.py").write_text(code)
    path.write_text("[tool.session-lint]\n")
    assert session_lint(".", cwd=tmp_path).returncode == 1  # a.py's finding
    assert not marker.exists()


def test_flake8_and_toml_share_one_validator() -> None:
    assert config_from_mapping({"sinks": ["send"]}, "x") == Config(sinks=("send",))
    with pytest.raises(ConfigError, match="flake8 options: `resolver`"):
        config_from_mapping({"resolver": ""}, "flake8 options")


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"resolver": "class"}, "resolver"),
        ({"ambient": ("not a name",)}, "ambient"),
        ({"sinks": ()}, "sinks"),
        ({"session_key": 'a"b'}, "session-key"),
        ({"select": ("XYZ",)}, "select"),
    ],
)
def test_a_config_built_in_code_is_validated_too(fields: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=f"`{key}`"):
        Config(**fields)  # type: ignore[arg-type]
