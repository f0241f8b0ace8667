"""Work counted, never timed: a burst of keystrokes is checked once, stale results are
never published, and the project's module summaries are computed once and reused
across edits until the module they come from changes."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.checker.cli_support import BUGGY
from tests.checker.lsp.cli_compare import cli_findings
from tests.checker.lsp.editor import Editor, drive

CLEAN = BUGGY.replace("current_session_id()", "resolve_session_id()")
PAYLOADS = (
    "from runtime import current_session_id\n\n\n"
    "def base_payload(function):\n"
    '    return {"function": function, "session_id": current_session_id()}\n'
)
CALLS = (
    "from runtime import resolve_session_id\n\n"
    "from app.payloads import base_payload\n\n\n"
    "def call(client, function, runtime_opts):\n"
    "    sid = resolve_session_id(runtime_opts)\n"
    "    payload = base_payload(function)\n"
    '    return client.execute("t", payload, {"session_id": sid})\n'
)


def test_a_burst_of_changes_is_checked_once_and_only_its_last_version_published(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.session-lint]\n")

    # a debounce far longer than sending five notifications takes, on any machine
    async def scenario(editor: Editor) -> None:
        uri = editor.open("bridge.py", BUGGY)
        assert await editor.codes(uri, 1) == ["SES001"]
        for text in (CLEAN, BUGGY, CLEAN, BUGGY, CLEAN):
            version = editor.replace_all(uri, text)
        assert await editor.codes(uri, version) == []
        stats = await editor.stats()
        assert stats["checks"] == 2  # the open, and the burst's last version
        assert stats["cancelled"] == 4
        assert [p.version for p in editor.published[uri]] == [1, version]

    drive(tmp_path, scenario, debounce_ms=3000)


def test_a_check_overtaken_by_an_edit_is_not_published(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.session-lint]\n")

    async def scenario(editor: Editor) -> None:
        # no debounce: every version is scheduled at once; the single worker takes them
        # in turn, and a version already replaced is skipped or dropped, never shown
        uri = editor.open("bridge.py", BUGGY)
        versions = [editor.replace_all(uri, text) for text in (CLEAN, BUGGY, CLEAN) * 3]
        assert await editor.codes(uri, versions[-1]) == []
        published = [p.version for p in editor.published[uri]]
        assert published[-1] == versions[-1]
        assert published == sorted(published)  # never an older version after a newer one
        # each request was either superseded while waiting, skipped as stale, or run
        stats = await editor.stats()
        assert stats["checks"] + stats["skipped"] + stats["cancelled"] == 1 + len(versions)
        assert stats["published"] == len(published)

    drive(tmp_path, scenario)


def test_summaries_are_reused_across_edits_and_recomputed_when_their_module_changes(
    tmp_path: Path,
) -> None:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.session-lint]\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "payloads.py").write_text(PAYLOADS)
    before = [f["code"] for f in cli_findings(root, "app/calls.py", CALLS, tmp_path / "a")]
    assert "SES002" in before
    clean_payloads = PAYLOADS.replace("current_session_id()", "function")
    (root / "app" / "payloads.py").write_text(clean_payloads)
    after = [f["code"] for f in cli_findings(root, "app/calls.py", CALLS, tmp_path / "b")]
    (root / "app" / "payloads.py").write_text(PAYLOADS)
    assert after != before

    async def scenario(editor: Editor) -> None:
        uri = editor.open("app/calls.py", CALLS)
        assert await editor.codes(uri, 1) == before
        computed = (await editor.stats())["summaries"]
        assert computed >= 1
        for _ in range(3):  # typing in the dispatching module: the builder is not re-read
            version = editor.replace_all(uri, CALLS + "\n")
            assert await editor.codes(uri, version) == before
            version = editor.replace_all(uri, CALLS)
            assert await editor.codes(uri, version) == before
        assert (await editor.stats())["summaries"] == computed
        # the builder's module is changed (and saved) elsewhere: the open buffer follows
        (root / "app" / "payloads.py").write_text(clean_payloads)
        mark = editor.mark(uri)
        editor.notify_watched("app/payloads.py", types.FileChangeType.Changed)
        assert await editor.codes(uri, version, after=mark) == after
        assert (await editor.stats())["summaries"] > computed
        # saved from the editor: the buffers importing from it are checked again too
        payloads = editor.open("app/payloads.py", clean_payloads)
        await editor.diagnostics(payloads, 1)
        editor.replace_all(payloads, PAYLOADS)
        (root / "app" / "payloads.py").write_text(PAYLOADS)
        mark = editor.mark(uri)
        editor.save("app/payloads.py")
        assert await editor.codes(uri, version, after=mark) == before

    drive(root, scenario)
