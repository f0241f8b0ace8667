"""Other open buffers are read as the editor holds them, saved or not: a module is checked
against the builder another buffer holds as typed; closing that buffer unsaved brings the
disk's version back; only the buffers that read a changed one are checked again; a module
file that comes into being is found (Python and Elixir), through the real server."""

from __future__ import annotations

import shutil
from pathlib import Path

from lsprotocol import types

from tests.checker.cli_support import FIXTURES
from tests.checker.lsp.cli_compare import cli_findings
from tests.checker.lsp.editor import Editor, drive
from tests.checker.lsp.test_work import CALLS, PAYLOADS

CLEAN_PAYLOADS = PAYLOADS.replace("current_session_id()", "function")
OTHER = "def unrelated(client):\n    return client.execute('t', {}, {})\n"


def _python_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.session-lint]\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "payloads.py").write_text(CLEAN_PAYLOADS)
    return root


def _cli_codes(root: Path, name: str, text: str, scratch: Path) -> list[str]:
    return [f["code"] for f in cli_findings(root, name, text, scratch)]


def test_a_module_is_checked_against_the_unsaved_builder_another_buffer_holds(
    tmp_path: Path,
) -> None:
    root = _python_project(tmp_path)
    on_disk = _cli_codes(root, "app/calls.py", CALLS, tmp_path / "a")
    (root / "app" / "payloads.py").write_text(PAYLOADS)
    as_typed = _cli_codes(root, "app/calls.py", CALLS, tmp_path / "b")
    (root / "app" / "payloads.py").write_text(CLEAN_PAYLOADS)
    assert "SES002" in as_typed and "SES002" not in on_disk

    async def scenario(editor: Editor) -> None:
        calls = editor.open("app/calls.py", CALLS)
        other = editor.open("app/other.py", OTHER)
        assert await editor.codes(calls, 1) == on_disk
        other_codes = await editor.codes(other, 1)
        payloads = editor.open("app/payloads.py", CLEAN_PAYLOADS)
        await editor.diagnostics(payloads, 1)
        # typed, not saved: the dispatching buffer follows the builder as it now reads
        mark = editor.mark(calls)
        editor.replace_all(payloads, PAYLOADS)
        assert await editor.codes(calls, 1, after=mark) == as_typed
        assert (root / "app" / "payloads.py").read_text() == CLEAN_PAYLOADS
        # closed without saving: the disk's builder again
        mark = editor.mark(calls)
        editor.close(payloads)
        assert await editor.codes(calls, 1, after=mark) == on_disk
        # the buffer that never read the builder was checked once, when it was opened
        assert [p.version for p in editor.published[other]] == [1]
        assert await editor.codes(other, 1) == other_codes

    drive(root, scenario)


def test_a_module_created_while_the_server_runs_is_found(tmp_path: Path) -> None:
    root = _python_project(tmp_path)
    (root / "app" / "payloads.py").unlink()
    missing = _cli_codes(root, "app/calls.py", CALLS, tmp_path / "a")
    (root / "app" / "payloads.py").write_text(PAYLOADS)
    present = _cli_codes(root, "app/calls.py", CALLS, tmp_path / "b")
    (root / "app" / "payloads.py").unlink()
    assert missing != present

    async def scenario(editor: Editor) -> None:
        calls = editor.open("app/calls.py", CALLS)
        assert await editor.codes(calls, 1) == missing
        (root / "app" / "payloads.py").write_text(PAYLOADS)
        mark = editor.mark(calls)
        editor.notify_watched("app/payloads.py", types.FileChangeType.Created)
        assert await editor.codes(calls, 1, after=mark) == present

    drive(root, scenario)


RUNTIME = "lib/bridge/runtime.ex"
PAYLOAD = "lib/bridge/payload.ex"
AMBIENT_PIPE = "\n    |> maybe_put_session_id(SessionResolver.current_session_id())"


def _elixir_codes(root: Path, scratch: Path) -> list[str]:
    return _cli_codes(root, RUNTIME, (root / RUNTIME).read_text(), scratch)


def test_elixir_modules_are_read_from_open_buffers_and_found_when_created(
    tmp_path: Path,
) -> None:
    root = tmp_path / "bridge"
    shutil.copytree(FIXTURES / "elixir_project", root)
    builder = (root / PAYLOAD).read_text()
    assert AMBIENT_PIPE in builder
    with_builder = _elixir_codes(root, tmp_path / "a")
    (root / PAYLOAD).write_text(builder.replace(AMBIENT_PIPE, ""))
    clean_builder = _elixir_codes(root, tmp_path / "b")
    (root / PAYLOAD).unlink()
    without_builder = _elixir_codes(root, tmp_path / "c")
    assert "SES002" in with_builder and "SES002" not in clean_builder

    async def scenario(editor: Editor) -> None:
        runtime = editor.open(RUNTIME, (root / RUNTIME).read_text(), "elixir")
        assert await editor.codes(runtime, 1) == without_builder
        (root / PAYLOAD).write_text(builder)
        mark = editor.mark(runtime)
        editor.notify_watched(PAYLOAD, types.FileChangeType.Created)
        assert await editor.codes(runtime, 1, after=mark) == with_builder
        payload = editor.open(PAYLOAD, builder, "elixir")
        await editor.diagnostics(payload, 1)
        mark = editor.mark(runtime)
        editor.replace_all(payload, builder.replace(AMBIENT_PIPE, ""))
        assert await editor.codes(runtime, 1, after=mark) == clean_builder
        mark = editor.mark(runtime)
        editor.close(payload)
        assert await editor.codes(runtime, 1, after=mark) == with_builder

    drive(root, scenario)


def test_a_buffer_is_lent_in_the_codec_its_coding_cookie_declares(tmp_path: Path) -> None:
    # a session key only a latin-1 module spells: read as UTF-8 bytes it would not match
    root = _python_project(tmp_path)
    (root / "pyproject.toml").write_text('[tool.session-lint]\nsession-key = "séssion_id"\n')
    builder = "# -*- coding: latin-1 -*-\n" + PAYLOADS.replace('"session_id"', '"séssion_id"')
    calls = CALLS.replace('"session_id"', '"séssion_id"')
    (root / "app" / "payloads.py").write_bytes(builder.encode("latin-1"))
    ambient = _cli_codes(root, "app/calls.py", calls, tmp_path / "a")
    assert "SES002" in ambient
    clean = "# -*- coding: latin-1 -*-\n" + CLEAN_PAYLOADS
    (root / "app" / "payloads.py").write_bytes(clean.encode("latin-1"))

    async def scenario(editor: Editor) -> None:
        uri = editor.open("app/calls.py", calls)
        assert "SES002" not in await editor.codes(uri, 1)
        payloads = editor.open("app/payloads.py", clean)
        await editor.diagnostics(payloads, 1)
        mark = editor.mark(uri)
        editor.replace_all(payloads, builder)
        assert await editor.codes(uri, 1, after=mark) == ambient

    drive(root, scenario)
