"""Bad Elixir input is one SES000 diagnostic, never a traceback; never run or compiled."""

from __future__ import annotations

from pathlib import Path

import pytest

from session_lint.engine import lint_source
from tests.checker.cli_support import session_lint

_DISPATCH = 'Client.execute("t", %{"session_id" => current_session_id()}, [])'
BAD = {
    "syntax error": f"defmodule A do\n  def f(opts do\n    {_DISPATCH}\n  end\nend\n".encode(),
    "unclosed string": f'defmodule A do\n  def f, do: {_DISPATCH} <> "x\nend\n'.encode(),
    "binary": b"\x00\x01\x02execute current_session_id\x00",
    "undecodable": b"# \xff\xfe execute current_session_id\n",
    "huge nesting": ("execute current_session_id " + "[" * 5000 + "]" * 5000).encode(),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_one_ses000(name: str) -> None:
    found = lint_source(BAD[name], path="bad.ex")
    assert [d.code for d in found] == ["SES000"], found
    assert found[0].message.startswith("cannot check this file: ")


def test_a_syntax_error_says_where() -> None:
    (found,) = lint_source(BAD["syntax error"], path="bad.ex")
    assert "syntax error" in found.message
    assert found.line in {2, 3, 4, 5}


def test_deep_but_valid_nesting_inside_a_dispatch_never_raises() -> None:
    for depth in (50, 150, 300, 390):
        nested = "[" * depth + "]" * depth
        source = (
            f'defmodule A do\n  def f(o) do\n    Client.execute("t", {nested}, o)\n  end\nend\n'
        )
        source += "# current_session_id\n"
        found = lint_source(source, path="deep.ex")
        assert all(d.code == "SES000" for d in found), (depth, found)


def test_the_code_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    source = (
        f'File.write!("{marker}", "ran")\n'
        "defmodule A do\n"
        '  def f(o), do: Client.execute("t", %{"session_id" => current_session_id()}, o)\n'
        "end\n"
    )
    assert [d.code for d in lint_source(source, path="a.exs")] == ["SES001"]
    assert not marker.exists()


def test_bad_files_through_the_cli_are_ses000_without_a_traceback(tmp_path: Path) -> None:
    for name, data in BAD.items():
        (tmp_path / f"{name.replace(' ', '_')}.ex").write_bytes(data)
    result = session_lint("--output-format", "concise", str(tmp_path), cwd=tmp_path)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stdout.splitlines() if ": SES" in line]
    assert len(lines) == len(BAD) and all(": SES000 " in line for line in lines)
    assert result.returncode == 1


def test_the_byte_prefilter_skips_elixir_files_that_cannot_hold_a_finding() -> None:
    # broken syntax would be SES000 if parsed: no sink name means it is never parsed
    assert lint_source(b"defmodule A do\n  def f(opts do\n", path="skip.ex") == []
    assert [d.code for d in lint_source(b"execute current_session_id\ndef f( do", path="a.ex")] == [
        "SES000"
    ]
