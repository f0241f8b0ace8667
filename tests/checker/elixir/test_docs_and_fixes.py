"""The README's Elixir configuration works as written; Elixir gets diagnostics, no fix."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tests.checker.cli_support import ROOT, session_lint
from tests.checker.elixir.support import ELIXIR_FIXTURES

_ALIASED = """defmodule App.Runtime do
  alias SnakeBridge.SessionContext

  def call(tool, runtime_opts) do
    session_id = SessionContext.current_session_id()
    Client.run(tool, %{"session_id" => session_id}, ensure_session_opt(runtime_opts, session_id))
  end
end
"""


def _readme_elixir_config() -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- elixir-config -->\n```toml\n(.*?)```", readme, re.DOTALL)
    assert match is not None
    return match.group(1)


def test_the_readme_elixir_configuration_is_honoured(tmp_path: Path) -> None:
    (tmp_path / "mix.exs").write_text("defmodule App.MixProject do\nend\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "runtime.ex").write_text(_ALIASED)
    unconfigured = session_lint("lib", cwd=tmp_path)
    assert unconfigured.returncode == 0, unconfigured.stdout  # `run` is not a default sink
    (tmp_path / "pyproject.toml").write_text(_readme_elixir_config())
    configured = session_lint("--format", "json", "lib", cwd=tmp_path)
    found = json.loads(configured.stdout)
    assert [(d["line"], d["code"]) for d in found] == [(5, "SES001")]
    assert "`SessionContext.current_session_id()`" not in found[0]["message"]


def test_explain_says_no_fix_is_offered_for_elixir() -> None:
    for code in ("SES001", "SES002", "SES004"):
        text = session_lint("--explain", code).stdout
        assert "## Elixir" in text and "No automatic fix is offered for Elixir" in text


def test_fix_leaves_elixir_files_untouched(tmp_path: Path) -> None:
    target = tmp_path / "runtime.ex"
    shutil.copy(ELIXIR_FIXTURES / "seed" / "runtime_before.ex", target)
    before = target.read_bytes()
    result = session_lint("--fix", "--unsafe-fixes", str(target), cwd=tmp_path)
    assert target.read_bytes() == before
    assert result.returncode == 1 and ": SES002 " in result.stdout
    assert "[*]" not in result.stdout  # no diagnostic claims a fix


def test_elixir_messages_are_spelt_for_elixir(tmp_path: Path) -> None:
    name = "SES002_ambient_builder_not_overridden.ex"
    shutil.copy(ELIXIR_FIXTURES / "rules" / name, tmp_path / name)
    result = session_lint("--output-format", "concise", name, cwd=tmp_path)
    lines = [line for line in result.stdout.splitlines() if ": SES002 " in line]
    assert lines and all('Map.put("session_id", session_id)' in line for line in lines)
    assert not any('payload["session_id"]' in line for line in lines)


def test_add_noqa_suppresses_elixir_findings_and_keeps_the_file_valid(tmp_path: Path) -> None:
    from session_lint.elixir.parsing import parse_elixir

    target = tmp_path / "runtime.ex"
    shutil.copy(ELIXIR_FIXTURES / "seed" / "runtime_before.ex", target)
    assert session_lint("runtime.ex", cwd=tmp_path).returncode == 1
    session_lint("--add-noqa", "runtime.ex", cwd=tmp_path)
    assert session_lint("runtime.ex", cwd=tmp_path).returncode == 0
    parse_elixir(target.read_bytes())  # still parses: comments went after the code
    assert target.read_text().count("# noqa: SES00") == 13


def test_json_and_sarif_carry_no_fix_for_elixir(tmp_path: Path) -> None:
    name = "SES004_resolver_drops_override.ex"
    shutil.copy(ELIXIR_FIXTURES / "rules" / name, tmp_path / name)
    rows = json.loads(session_lint("--output-format", "json", name, cwd=tmp_path).stdout)
    assert rows and all(row["code"] == "SES004" and row["fix"] is None for row in rows)
    sarif = json.loads(session_lint("--output-format", "sarif", name, cwd=tmp_path).stdout)
    results = sarif["runs"][0]["results"]
    assert len(results) == len(rows) and not any(result.get("fixes") for result in results)
