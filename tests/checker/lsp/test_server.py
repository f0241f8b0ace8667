"""The language server over stdio, driven by a real LSP client: diagnostics from the
buffer, quick fixes and fix-all equal to ``--fix``, clearing, shutdown."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types

from session_lint.rule import RULES_URL
from tests.checker.cli_support import BUGGY
from tests.checker.lsp.cli_compare import cli_findings, cli_fixed
from tests.checker.lsp.editor import Editor, drive, everywhere

CLEAN = BUGGY.replace("current_session_id()", "resolve_session_id()")
# SES007: its fix is unsafe (only `--unsafe-fixes` applies it)
HAND_ROLLED = (
    "from runtime import current_session_id, resolve_session_id\n"
    "\n"
    "\n"
    "def call(client, function, runtime_opts):\n"
    '    sid = runtime_opts.get("session_id") or current_session_id()\n'
    '    return client.execute("snakebridge.call", {"session_id": sid}, {"session_id": sid})\n'
)
# two functions, three findings, safe fixes and an unsafe one
SEVERAL = (
    BUGGY
    + "\n\n"
    + "def pong(client, runtime_opts):\n"
    + "    sid = current_session_id()\n"
    + '    return client.execute("t", {"session_id": sid}, runtime_opts)\n'
    + "\n\n"
    + HAND_ROLLED.split("\n\n\n", 1)[1]
)
ELIXIR = (
    "defmodule Bridge do\n"
    "  def direct(tool, runtime_opts) do\n"
    "    session_id = current_session_id()\n"
    '    payload = %{"tool" => tool, "session_id" => session_id}\n'
    "    runtime_client().execute(tool, payload, ensure_session_opt(runtime_opts, session_id))\n"
    "  end\n"
    "end\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.session-lint]\n")
    return root


def expected_ranges(findings: list[dict[str, object]]) -> list[tuple[str, types.Range]]:
    """The CLI's JSON positions (from 1, code points) as LSP ranges, for ASCII text."""

    def at(line: object, column: object) -> types.Position:
        assert isinstance(line, int) and isinstance(column, int)
        return types.Position(line - 1, column - 1)

    return [
        (
            str(f["code"]),
            types.Range(at(f["line"], f["column"]), at(f["end_line"], f["end_column"])),
        )
        for f in findings
    ]


def test_a_buggy_buffer_gets_the_clis_diagnostics_as_linked_warnings(
    project: Path, tmp_path: Path
) -> None:
    # the disk holds the clean text: what is checked is the buffer
    (project / "bridge.py").write_text(CLEAN)
    expected = expected_ranges(cli_findings(project, "bridge.py", SEVERAL, tmp_path))
    assert [code for code, _ in expected] == ["SES001", "SES001", "SES007"]

    async def scenario(editor: Editor) -> None:
        uri = editor.open("bridge.py", SEVERAL)
        diagnostics = await editor.diagnostics(uri, 1)
        assert [(d.code, d.range) for d in diagnostics] == expected
        for diagnostic in diagnostics:
            assert diagnostic.severity == types.DiagnosticSeverity.Warning
            assert diagnostic.source == "session-lint"
            assert diagnostic.code_description is not None
            assert diagnostic.code_description.href == RULES_URL

    drive(project, scenario)


def test_a_quick_fix_applied_to_the_buffer_is_what_fix_writes(
    project: Path, tmp_path: Path
) -> None:
    expected = cli_fixed(project, "bridge.py", BUGGY, tmp_path)
    assert expected != BUGGY

    async def scenario(editor: Editor) -> None:
        uri = editor.open("bridge.py", BUGGY)
        (diagnostic,) = await editor.diagnostics(uri, 1)
        actions = await editor.actions(uri, diagnostic.range, only=["quickfix"])
        (action,) = actions
        assert action.title == "Resolve the session with every override and ref in scope"
        assert action.kind == types.CodeActionKind.QuickFix
        assert action.is_preferred
        assert editor.apply(uri, action.edit) == expected
        assert await editor.diagnostics(uri, 2) == []  # the fixed buffer is clean

    drive(project, scenario)


def test_an_unsafe_quick_fix_says_so_and_is_what_unsafe_fixes_write(
    project: Path, tmp_path: Path
) -> None:
    expected = cli_fixed(project, "call.py", HAND_ROLLED, tmp_path, unsafe=True)
    assert cli_fixed(project, "call.py", HAND_ROLLED, tmp_path / "safe") == HAND_ROLLED

    async def scenario(editor: Editor) -> None:
        uri = editor.open("call.py", HAND_ROLLED)
        (diagnostic,) = await editor.diagnostics(uri, 1)
        assert diagnostic.code == "SES007"
        (action,) = await editor.actions(uri, diagnostic.range)  # no safe fix: no fix-all
        assert action.title.endswith(" (unsafe)")
        assert not action.is_preferred
        assert editor.apply(uri, action.edit) == expected

    drive(project, scenario)


@pytest.mark.parametrize("resolve", [False, True], ids=["eager", "resolved"])
def test_fix_all_is_what_fix_writes_for_the_whole_buffer(
    project: Path, tmp_path: Path, resolve: bool
) -> None:
    expected = cli_fixed(project, "bridge.py", SEVERAL, tmp_path)
    assert expected != SEVERAL
    remaining = expected_ranges(cli_findings(project, "bridge.py", expected, tmp_path / "after"))
    support = types.CodeActionClientCapabilities(
        resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"])
    )
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(code_action=support),
        workspace=types.WorkspaceClientCapabilities(
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)
        ),
    )

    async def scenario(editor: Editor) -> None:
        uri = editor.open("bridge.py", SEVERAL)
        await editor.diagnostics(uri, 1)
        (action,) = await editor.actions(uri, everywhere(), only=["source.fixAll"])
        assert action.kind == "source.fixAll.session-lint"
        if resolve:
            assert action.edit is None
            action = await editor.client.code_action_resolve_async(action)
        assert editor.apply(uri, action.edit) == expected
        # what is left is what the command line still reports (the unsafe fix is not made)
        left = [(d.code, d.range) for d in await editor.diagnostics(uri, 2)]
        assert left == remaining
        assert "SES007" in [code for code, _ in left]

    drive(project, scenario, capabilities=capabilities if resolve else None)


def test_a_change_to_a_clean_buffer_clears_and_closing_clears(project: Path) -> None:
    async def scenario(editor: Editor) -> None:
        uri = editor.open("bridge.py", BUGGY)
        assert [d.code for d in await editor.diagnostics(uri, 1)] == ["SES001"]
        # one keystroke-sized edit: `current_session_id` becomes `resolve_session_id`
        line = BUGGY.splitlines()[4]
        start = line.index("current_session_id")
        where = types.Range(types.Position(4, start), types.Position(4, start + 18))
        version = editor.change(
            uri, [types.TextDocumentContentChangePartial(range=where, text="resolve_session_id")]
        )
        assert editor.documents[uri].text == CLEAN
        assert await editor.diagnostics(uri, version) == []
        version = editor.replace_all(uri, BUGGY)
        assert [d.code for d in await editor.diagnostics(uri, version)] == ["SES001"]
        editor.close(uri)
        assert await editor.diagnostics(uri, None) == []

    drive(project, scenario)


def test_positions_count_utf16_units_as_editors_do(project: Path, tmp_path: Path) -> None:
    # an astral character before the finding: one code point, two UTF-16 units; and a
    # form feed and a U+2028 in comments above it, which break no line for LSP or Python
    text = BUGGY.replace("    sid = current", '    x = "\U0001f600"; sid = current')
    text = text.replace("\n\n\n", "\n# \x0c\n# \u2028\n", 1)
    expected = cli_fixed(project, "emoji.py", text, tmp_path)

    async def scenario(editor: Editor) -> None:
        uri = editor.open("emoji.py", text)
        (diagnostic,) = await editor.diagnostics(uri, 1)
        line = text.split("\n")[4]
        start = len(line[: line.index("current")].encode("utf-16-le")) // 2
        assert diagnostic.range == types.Range(
            types.Position(4, start), types.Position(4, start + len("current_session_id()"))
        )
        (action,) = await editor.actions(uri, diagnostic.range, only=["quickfix"])
        assert editor.apply(uri, action.edit) == expected

    drive(project, scenario)


def test_elixir_buffers_are_checked_too(project: Path, tmp_path: Path) -> None:
    (project / "mix.exs").write_text("defmodule Bridge.MixProject do\nend\n")
    expected = expected_ranges(cli_findings(project, "lib/bridge.ex", ELIXIR, tmp_path))
    assert [code for code, _ in expected] == ["SES001"]

    async def scenario(editor: Editor) -> None:
        uri = editor.open("lib/bridge.ex", ELIXIR, language="elixir")
        diagnostics = await editor.diagnostics(uri, 1)
        assert [(d.code, d.range) for d in diagnostics] == expected
        # no fix is offered for Elixir, as `--fix` makes none
        assert await editor.actions(uri, everywhere()) == []

    drive(project, scenario)


def test_other_languages_are_left_alone(project: Path) -> None:
    async def scenario(editor: Editor) -> None:
        notes = editor.open("notes.txt", BUGGY, language="plaintext")
        uri = editor.open("bridge.py", BUGGY)
        await editor.diagnostics(uri, 1)
        assert editor.published[notes] == []
        assert (await editor.stats())["checks"] == 1

    drive(project, scenario)


def test_a_file_fix_leaves_alone_gets_no_edit_only_the_reason(
    project: Path, tmp_path: Path
) -> None:
    # a form feed before code: libcst cannot write this file back byte for byte
    text = BUGGY.replace("def ping", "\x0cdef ping")
    assert cli_fixed(project, "feed.py", text, tmp_path) == text

    async def scenario(editor: Editor) -> None:
        uri = editor.open("feed.py", text)
        (diagnostic,) = await editor.diagnostics(uri, 1)
        actions = await editor.actions(uri, diagnostic.range)
        assert [a.kind for a in actions] == ["quickfix", "source.fixAll.session-lint"]
        for action in actions:
            assert action.disabled is not None
            assert "byte for byte" in action.disabled.reason
        assert actions[0].edit is None
        assert editor.apply(uri, actions[1].edit) == text  # nothing to change

    drive(project, scenario)


def test_the_server_asks_for_whole_texts_and_offers_its_actions(project: Path) -> None:
    async def check(editor: Editor) -> None:
        result = await editor.start()
        sync = result.capabilities.text_document_sync
        assert isinstance(sync, types.TextDocumentSyncOptions)
        assert sync.change == types.TextDocumentSyncKind.Full
        assert sync.open_close and sync.save
        actions = result.capabilities.code_action_provider
        assert isinstance(actions, types.CodeActionOptions)
        assert list(actions.code_action_kinds or []) == ["quickfix", "source.fixAll.session-lint"]
        assert result.server_info is not None and result.server_info.name == "session-lint"
        assert await editor.stop() == 0

    asyncio.run(check(Editor(project)))


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_fix_all_keeps_the_buffers_newlines_as_fix_does(
    project: Path, tmp_path: Path, newline: str
) -> None:
    text = SEVERAL.replace("\n", newline).rstrip(newline)  # and no newline at the end
    expected = cli_fixed(project, "bridge.py", text, tmp_path)
    assert expected != text and newline in expected

    async def scenario(editor: Editor) -> None:
        uri = editor.open("bridge.py", text)
        await editor.diagnostics(uri, 1)
        (action,) = await editor.actions(uri, everywhere(), only=["source.fixAll.session-lint"])
        assert editor.apply(uri, action.edit) == expected

    drive(project, scenario)


def test_an_untitled_buffer_is_checked_as_a_file_of_the_root(project: Path) -> None:
    async def scenario(editor: Editor) -> None:
        uri = editor.open("untitled:Untitled-1", BUGGY)
        assert [d.code for d in await editor.diagnostics(uri, 1)] == ["SES001"]
        elixir = editor.open("untitled:Untitled-2", ELIXIR, language="elixir")
        assert [d.code for d in await editor.diagnostics(elixir, 1)] == ["SES001"]
        (project / "pyproject.toml").write_text('[tool.session-lint]\nignore = ["SES001"]\n')
        mark = editor.mark(uri)
        editor.save("pyproject.toml")
        assert await editor.diagnostics(uri, 1, after=mark) == []  # the root's settings

    drive(project, scenario)
