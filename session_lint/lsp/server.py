"""``session-lint server``: the language server, a thin adapter over the engine.

Buffers are checked in one worker thread (the engine's caches are per process, not per
thread, and the project's summaries stay warm between keystrokes); the event loop only
debounces, converts and publishes. A result is published only for the version it was
computed from, so nothing stale reaches the editor.

Open buffers are lent to the project-wide analysis (``project.sources``), in that same
thread and in the order the editor sent them: a module is checked against the builders
of other open buffers as typed, saved or not, and when a buffer changes or closes, the
buffers whose last check read it are checked again.
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from session_lint import __version__
from session_lint.api import internal_error
from session_lint.config import ConfigError
from session_lint.files import ELIXIR_SUFFIXES
from session_lint.lsp.actions import (
    FIX_ALL_KIND,
    KINDS,
    Version,
    any_unsafe,
    fix_all,
    fix_all_edit,
    fixable_at,
    has_safe_fix,
    quick_fixes,
    wanted,
)
from session_lint.lsp.checking import BufferCheck, Target, check_buffer, fix_buffer, target_of
from session_lint.lsp.diagnostics import all_to_lsp
from session_lint.lsp.positions import Lines
from session_lint.lsp.scheduler import Debouncer
from session_lint.lsp.state import forget_disk_state, is_configuration, watchers
from session_lint.project.sources import as_file_bytes, lend_buffer, real_path, return_buffer
from session_lint.settings import Settings

DEFAULT_DEBOUNCE = 0.15  # seconds of quiet after a keystroke before a buffer is checked
STATS = "session-lint/stats"  # a request answering the work counters (tests count work)


class SessionLintServer(LanguageServer):
    def __init__(self) -> None:
        # whole texts, not increments: pygls applies increments by ``str.splitlines``
        # lines, which also break at form feeds and U+2028, where editors do not; a
        # buffer's text costs far less to send than to check
        super().__init__(
            "session-lint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full
        )
        self.debounce = DEFAULT_DEBOUNCE
        self.root = Path.cwd()
        self.settings = Settings(cwd=self.root)
        self.engine = ThreadPoolExecutor(1, thread_name_prefix="session-lint-check")
        self.results: dict[str, tuple[int, BufferCheck]] = {}
        self.declines: dict[str, tuple[tuple[int, bool], str | None]] = {}
        self.work: Counter[str] = Counter()
        self.shown_errors: set[str] = set()
        self.debouncer = Debouncer(self.check_now)

    # -- the documents -------------------------------------------------------------------

    def units(self, text: str) -> int:
        return self.workspace.position_codec.impl.num_units(text)

    def lines(self, text: str) -> Lines:
        return Lines(text, self.units)

    def target(self, uri: str) -> Target | None:
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return None
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return target_of(path, document.language_id, self.root)

    def is_current(self, uri: str, document: TextDocument, version: int) -> bool:
        """Is ``document`` still open at ``version`` (not closed, not reopened anew)?"""
        return self.workspace.text_documents.get(uri) is document and document.version == version

    def schedule(self, uri: str, delay: float) -> None:
        if self.target(uri) is not None:
            self.debouncer.schedule(uri, delay)

    def schedule_all(self, delay: float, *, but: str | None = None) -> None:
        for uri in list(self.workspace.text_documents):
            if uri != but:
                self.schedule(uri, delay)

    def lend(self, uri: str) -> None:
        """The buffer's text is what other files' checks read of its file from now on (or,
        once it is closed, the disk's again); the buffers that read it are checked again."""
        path = to_fs_path(uri) if uri.startswith("file:") else None
        if path is None:
            return  # untitled: no other file can import it
        document = self.workspace.text_documents.get(uri)
        if document is None:  # closed
            self.engine.submit(return_buffer, path)
        elif self.target(uri) is not None:
            python = not path.endswith(ELIXIR_SUFFIXES)
            text = as_file_bytes(document.source, python=python)
            self.engine.submit(lend_buffer, path, text)
        read = real_path(path)
        for other, (_version, check) in list(self.results.items()):
            if other != uri and read in check.reads:
                self.schedule(other, self.debounce)

    # -- checking ------------------------------------------------------------------------

    async def check_now(self, uri: str) -> None:
        """Check the buffer as it is now and publish, unless it changed meanwhile."""
        document = self.workspace.text_documents.get(uri)
        target = self.target(uri)
        if document is None or target is None:
            return
        version, text = document.version or 0, document.source
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(
            self.engine, self._check, uri, document, version, text, target
        )
        if outcome is None:
            return
        if not self.is_current(uri, document, version):  # typed on: the next check publishes
            self.work["stale"] += 1
            return
        if isinstance(outcome, ConfigError):
            self._show_once(str(outcome))
            self.publish(uri, version, [])
            return
        self.results[uri] = (version, outcome)
        if outcome.internal_error is not None:
            self.window_log_message(
                types.LogMessageParams(types.MessageType.Error, outcome.internal_error)
            )
        self.publish(uri, version, all_to_lsp(outcome.diagnostics, self.lines(text)))

    def _check(
        self, uri: str, document: TextDocument, version: int, text: str, target: Target
    ) -> BufferCheck | ConfigError | None:
        """In the worker thread: ``None`` when the buffer has already moved on."""
        if not self.is_current(uri, document, version):
            self.work["skipped"] += 1
            return None
        self.work["checks"] += 1
        try:
            return check_buffer(text, target, self.settings)
        except ConfigError as error:
            return error
        except Exception as error:  # a bug of ours: SES000 for this buffer, as the CLI does
            failed = internal_error(str(target.path), error)
            return BufferCheck(failed.path, None, failed.diagnostics, failed.internal_error)

    def publish(self, uri: str, version: int | None, items: list[types.Diagnostic]) -> None:
        self.work["published"] += 1
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=items)
        )

    def _show_once(self, message: str) -> None:
        if message not in self.shown_errors:
            self.shown_errors.add(message)
            self.window_show_message(
                types.ShowMessageParams(types.MessageType.Error, f"session-lint: {message}")
            )

    async def current_check(self, uri: str) -> tuple[int, str, BufferCheck] | None:
        """The check of the buffer as it is now: the published one, or a fresh one."""
        document = self.workspace.text_documents.get(uri)
        target = self.target(uri)
        if document is None or target is None:
            return None
        version, text = document.version or 0, document.source
        known = self.results.get(uri)
        if known is not None and known[0] == version:
            return version, text, known[1]
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(
            self.engine, self._check, uri, document, version, text, target
        )
        if not isinstance(outcome, BufferCheck):
            return None
        return version, text, outcome

    async def forget_disk_state(self) -> None:
        """A configuration file changed: read every configuration and project again."""

        def forget() -> None:
            self.settings = Settings(cwd=self.root)
            forget_disk_state()

        await asyncio.get_running_loop().run_in_executor(self.engine, forget)
        self.shown_errors.clear()
        self.results.clear()
        self.declines.clear()
        self.schedule_all(0)

    # -- code actions --------------------------------------------------------------------

    def versioned_edits(self) -> bool:
        capabilities = self.client_capabilities.workspace
        edits = capabilities.workspace_edit if capabilities is not None else None
        return bool(edits is not None and edits.document_changes)

    def resolves_edits(self) -> bool:
        text = self.client_capabilities.text_document
        actions = text.code_action if text is not None else None
        support = actions.resolve_support if actions is not None else None
        return support is not None and "edit" in support.properties

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        current = await self.current_check(uri)
        if current is None:
            return []
        version, text, check = current
        target = Version(uri, version, self.versioned_edits())
        lines = self.lines(text)
        only = params.context.only
        actions: list[types.CodeAction] = []
        if wanted(types.CodeActionKind.QuickFix, only):
            found = fixable_at(check, lines, params.range)
            if found:
                declined = await self.declined(target, text, check, unsafe=any_unsafe(found))
                actions += quick_fixes(target, found, lines, declined)
        if wanted(FIX_ALL_KIND, only) and has_safe_fix(check):
            if self.resolves_edits():
                actions.append(fix_all({"uri": uri, "version": version}, None))
            else:
                actions.append(fix_all(None, *await self._fix_all_edit(target, text, check)))
        return actions

    async def declined(
        self, target: Version, text: str, check: BufferCheck, *, unsafe: bool
    ) -> str | None:
        """Why ``--fix`` would leave this version of the buffer as it is, if it would
        (libcst cannot reproduce its text, ...): one fix pass per version, remembered."""
        key = (target.version, unsafe)
        known = self.declines.get(target.uri)
        if known is not None and known[0] == key:
            return known[1]
        loop = asyncio.get_running_loop()
        _fixed, why = await loop.run_in_executor(
            self.engine, functools.partial(fix_buffer, text, check, unsafe=unsafe)
        )
        self.declines[target.uri] = (key, why)
        return why

    async def resolve(self, action: types.CodeAction) -> types.CodeAction:
        data: Any = action.data
        if action.kind != FIX_ALL_KIND or not isinstance(data, dict):
            return action
        uri = str(data.get("uri"))
        current = await self.current_check(uri)
        if current is None or current[0] != data.get("version"):
            return action  # the buffer moved on: the editor asks again
        version, text, check = current
        target = Version(uri, version, self.versioned_edits())
        action.edit, why = await self._fix_all_edit(target, text, check)
        if why is not None:
            action.disabled = types.CodeActionDisabled(reason=why)
        return action

    async def _fix_all_edit(
        self, target: Version, text: str, check: BufferCheck
    ) -> tuple[types.WorkspaceEdit, str | None]:
        lines = self.lines(text)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.engine, fix_all_edit, target, text, check, lines)

    async def stats(self) -> dict[str, int]:
        from session_lint.flow.project_summaries import project_summaries_made

        def count() -> dict[str, int]:
            computed = sum(s.computed for s in project_summaries_made())
            return {**self.work, "cancelled": self.debouncer.cancelled, "summaries": computed}

        return await asyncio.get_running_loop().run_in_executor(self.engine, count)

    async def register_watchers(self) -> None:
        capabilities = self.client_capabilities.workspace
        watched = capabilities.did_change_watched_files if capabilities is not None else None
        if watched is None or not watched.dynamic_registration:
            return
        registration = types.Registration(
            id="session-lint-watchers",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers()),
        )
        try:
            await self.client_register_capability_async(types.RegistrationParams([registration]))
        except Exception as error:  # the editor declined: saves still reload the settings
            self.window_log_message(
                types.LogMessageParams(types.MessageType.Warning, f"no file watchers: {error}")
            )


def build_server() -> SessionLintServer:
    server = SessionLintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: SessionLintServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounceMs"), int | float):
            ls.debounce = max(float(options["debounceMs"]), 0.0) / 1000
        folders = params.workspace_folders or []
        root_uri = folders[0].uri if folders else params.root_uri
        root = to_fs_path(root_uri) if root_uri else None
        if root:
            ls.root = Path(root)
            ls.settings = Settings(cwd=ls.root)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: SessionLintServer, params: types.InitializedParams) -> None:
        await ls.register_watchers()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SessionLintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.lend(params.text_document.uri)
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SessionLintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.lend(params.text_document.uri)
        ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: SessionLintServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if is_configuration(uri):
            await ls.forget_disk_state()
            return
        ls.schedule(uri, 0)
        # the other buffers may import what was just written: their summaries are re-read
        ls.schedule_all(ls.debounce, but=uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SessionLintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.debouncer.cancel(uri)
        ls.lend(uri)  # closed: the others read the disk again
        ls.results.pop(uri, None)
        ls.declines.pop(uri, None)
        ls.publish(uri, None, [])

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched(ls: SessionLintServer, params: types.DidChangeWatchedFilesParams) -> None:
        came_or_went = (types.FileChangeType.Created, types.FileChangeType.Deleted)
        if any(is_configuration(c.uri) or c.type in came_or_went for c in params.changes):
            # a file that decides configurations, or which modules exist (where an import
            # or a Mix module is found), changed: everything is looked up again
            await ls.forget_disk_state()
        else:  # a module changed on disk: buffers importing from it are checked again
            ls.schedule_all(ls.debounce)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration(
        ls: SessionLintServer, params: types.DidChangeConfigurationParams
    ) -> None:
        await ls.forget_disk_state()

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=list(KINDS), resolve_provider=True),
    )
    async def code_action(
        ls: SessionLintServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        return await ls.code_actions(params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve(ls: SessionLintServer, params: types.CodeAction) -> types.CodeAction:
        return await ls.resolve(params)

    @server.feature(STATS)
    async def stats(ls: SessionLintServer, params: object) -> dict[str, int]:
        return await ls.stats()

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: SessionLintServer, params: None) -> None:
        ls.engine.shutdown(wait=False, cancel_futures=True)

    return server


def serve() -> int:
    """Serve over stdio until the editor says exit."""
    build_server().start_io()
    return 0
