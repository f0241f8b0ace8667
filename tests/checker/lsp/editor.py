"""An editor for the tests: pygls's own LSP client driving the real ``session-lint
server`` process over stdio, as VS Code, Neovim or Helix would."""

from __future__ import annotations

import asyncio
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

# the command the tests start, and the one every README snippet must name
COMMAND = ("session-lint", "server")
# long enough that a test is never decided by the machine's speed, only by what it awaits
PATIENCE = 120.0


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass
class Buffer:
    text: str
    version: int


def offset(text: str, position: types.Position) -> int:
    """The index in ``text`` of an LSP position: lines broken at CR LF, CR and LF only,
    characters counted in UTF-16 units (written apart from the server's own code)."""
    starts = [0, *(match.end() for match in _LINE_BREAK.finditer(text))]
    if position.line >= len(starts):
        return len(text)
    index, units = starts[position.line], 0
    while index < len(text) and units < position.character and text[index] not in "\r\n":
        units += len(text[index].encode("utf-16-le")) // 2
        index += 1
    return index


def apply_change(text: str, change: types.TextDocumentContentChangeEvent) -> str:
    if isinstance(change, types.TextDocumentContentChangeWholeDocument):
        return change.text
    start, end = offset(text, change.range.start), offset(text, change.range.end)
    return text[:start] + change.text + text[end:]


class Editor:
    """Documents kept as an editor keeps them, their published diagnostics, and a
    client connected to a server process started in ``root``."""

    def __init__(self, root: Path, *, debounce_ms: float = 0) -> None:
        self.root = root
        self.debounce_ms = debounce_ms
        self.client = LanguageClient("session-lint-tests", "1")
        self.documents: dict[str, Buffer] = {}
        self.published: dict[str, list[types.PublishDiagnosticsParams]] = defaultdict(list)
        self.messages: list[str] = []
        self._arrived = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(params: types.PublishDiagnosticsParams) -> None:
            self.published[params.uri].append(params)
            self._arrived.set()

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def on_message(params: types.ShowMessageParams) -> None:
            self.messages.append(params.message)
            self._arrived.set()

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def on_log(params: types.LogMessageParams) -> None:
            self.messages.append(params.message)

    async def start(
        self, *, capabilities: types.ClientCapabilities | None = None
    ) -> types.InitializeResult:
        bin_folder = Path(sys.executable).parent
        await self.client.start_io(str(bin_folder / COMMAND[0]), *COMMAND[1:], cwd=self.root)
        result = await self.client.initialize_async(
            types.InitializeParams(
                capabilities=capabilities or types.ClientCapabilities(),
                root_uri=self.root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=self.root.as_uri(), name="w")],
                initialization_options={"debounceMs": self.debounce_ms},
            )
        )
        self.client.initialized(types.InitializedParams())
        return result

    async def stop(self) -> int:
        """shutdown, exit, and the server process's exit code."""
        await self.client.shutdown_async(None)
        self.client.exit(None)
        server = self.client._server
        assert server is not None
        code = await asyncio.wait_for(server.wait(), PATIENCE)
        await self.client.stop()
        return code

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    def open(self, name: str, text: str, language: str = "python") -> str:
        """Open the file ``name`` of the root (``untitled:...``: a buffer with no file)."""
        uri = name if name.startswith("untitled:") else self.uri(name)
        self.documents[uri] = Buffer(text, 1)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
            )
        )
        return uri

    def change(self, uri: str, changes: Sequence[types.TextDocumentContentChangeEvent]) -> int:
        """Apply ``changes`` to the buffer, and send the new text whole, as the server
        asks (``textDocumentSync: Full``)."""
        document = self.documents[uri]
        for change in changes:
            document.text = apply_change(document.text, change)
        document.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=document.version),
                [types.TextDocumentContentChangeWholeDocument(text=document.text)],
            )
        )
        return document.version

    def replace_all(self, uri: str, text: str) -> int:
        return self.change(uri, [types.TextDocumentContentChangeWholeDocument(text=text)])

    def apply(self, uri: str, edit: types.WorkspaceEdit | None) -> str:
        """Apply a workspace edit as an editor does, last edit first; the new text."""
        assert edit is not None
        edits: list[Any] = list((edit.changes or {}).get(uri, []))
        for change in edit.document_changes or []:
            assert isinstance(change, types.TextDocumentEdit)
            assert change.text_document.uri == uri
            assert change.text_document.version == self.documents[uri].version
            edits += change.edits
        ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))
        changes = [
            types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
            for e in reversed(ordered)
        ]
        self.change(uri, changes)
        return self.documents[uri].text

    def close(self, uri: str) -> None:
        self.documents.pop(uri)
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri))
        )

    async def diagnostics(
        self, uri: str, version: int | None, *, after: int = 0
    ) -> list[types.Diagnostic]:
        """The diagnostics published for ``version`` of ``uri`` (``None``: on close)."""
        return list((await self.publication(uri, version, after=after)).diagnostics)

    async def codes(self, uri: str, version: int | None, *, after: int = 0) -> list[str]:
        return [str(d.code) for d in await self.diagnostics(uri, version, after=after)]

    def mark(self, uri: str) -> int:
        """How many publications ``uri`` had so far (wait for those after it)."""
        return len(self.published[uri])

    async def publication(
        self, uri: str, version: int | None, *, after: int = 0
    ) -> types.PublishDiagnosticsParams:
        """The first publication for ``version`` of ``uri`` among those after ``after``."""

        async def arrived() -> types.PublishDiagnosticsParams:
            while True:
                for params in self.published[uri][after:]:
                    if params.version == version:
                        return params
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(arrived(), PATIENCE)

    async def actions(
        self, uri: str, where: types.Range, only: Sequence[str] | None = None
    ) -> list[types.CodeAction]:
        result = await self.client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=where,
                context=types.CodeActionContext(diagnostics=[], only=list(only) if only else None),
            )
        )
        return [action for action in result or [] if isinstance(action, types.CodeAction)]

    async def stats(self) -> dict[str, int]:
        result = await self.client.protocol.send_request_async("session-lint/stats", {})
        return {key: int(value) for key, value in result._asdict().items()}

    def save(self, name: str) -> None:
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri=self.uri(name)))
        )

    def notify_watched(self, name: str, kind: types.FileChangeType) -> None:
        self.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams([types.FileEvent(uri=self.uri(name), type=kind)])
        )


def everywhere() -> types.Range:
    return types.Range(types.Position(0, 0), types.Position(10**6, 0))


def drive(root: Path, scenario: Any, *, debounce_ms: float = 0, **start: Any) -> None:
    """Run ``scenario(editor)`` against a fresh server; then shut it down and check that
    the process exited with 0 (a server left behind is killed, and the test fails)."""

    async def main() -> None:
        editor = Editor(root, debounce_ms=debounce_ms)
        await editor.start(**start)
        try:
            await scenario(editor)
        except BaseException:
            server = editor.client._server
            if server is not None and server.returncode is None:
                server.kill()
                await server.wait()
            raise
        assert await editor.stop() == 0

    asyncio.run(main())
