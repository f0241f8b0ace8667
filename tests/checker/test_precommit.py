"""The pre-commit hook definition, and the command it runs blocking a buggy file."""

from __future__ import annotations

from pathlib import Path

from tests.checker.cli_support import ROOT, session_lint


def _hook() -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in (ROOT / ".pre-commit-hooks.yaml").read_text().splitlines():
        key, _, value = line.lstrip("- ").partition(":")
        if value.strip():
            fields[key.strip()] = value.strip()
    return fields


def test_hook_definition() -> None:
    hook = _hook()
    assert hook["id"] == "session-lint"
    assert hook["entry"] == "session-lint"
    assert hook["language"] == "python"
    assert hook["types"] == "[python]"


def test_hook_command_blocks_a_buggy_file(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("x = 1\n")
    (tmp_path / "bad.py").write_text(
        "from runtime import current_session_id\n\n\ndef f(client):\n"
        '    return client.execute("t", {"session_id": current_session_id()}, {})\n'
    )
    # pre-commit runs the entry with the staged file names appended
    assert session_lint("ok.py", cwd=tmp_path, script=True).returncode == 0
    assert session_lint("ok.py", "bad.py", cwd=tmp_path, script=True).returncode == 1
