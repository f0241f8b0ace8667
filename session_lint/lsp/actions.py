"""Code actions: a quick fix per fixable finding, and one action that fixes them all.

A quick fix carries the finding's own text edits (the ones JSON and SARIF report, planned
by ``--fix``'s planner); the fix-all action carries the difference between the buffer and
the text ``--fix`` would write for it, so both are exactly what the command line does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lsprotocol import types

from session_lint.lsp.checking import BufferCheck, fix_buffer
from session_lint.lsp.diagnostics import overlaps, to_lsp
from session_lint.lsp.positions import Lines, edits_between
from session_lint.types import Applicability

FIX_ALL_KIND = "source.fixAll.session-lint"
FIX_ALL_TITLE = "Fix all session-lint issues"
KINDS = (types.CodeActionKind.QuickFix, FIX_ALL_KIND)


@dataclass(frozen=True)
class Version:
    """The buffer version the edits are for; with ``versioned`` (the client supports
    ``documentChanges``) the client refuses them once the buffer has moved on."""

    uri: str
    version: int
    versioned: bool


def wanted(kind: str, only: Sequence[str] | None) -> bool:
    """Is ``kind`` asked for? ``only`` lists kinds or their parents (``source.fixAll``)."""
    return only is None or any(kind == asked or kind.startswith(f"{asked}.") for asked in only)


def workspace_edit(target: Version, edits: Sequence[types.TextEdit]) -> types.WorkspaceEdit:
    if not target.versioned:
        return types.WorkspaceEdit(changes={target.uri: list(edits)})
    document = types.OptionalVersionedTextDocumentIdentifier(uri=target.uri, version=target.version)
    changes: list[types.TextEdit | types.AnnotatedTextEdit | types.SnippetTextEdit] = [*edits]
    return types.WorkspaceEdit(
        document_changes=[types.TextDocumentEdit(text_document=document, edits=changes)]
    )


def quick_fixes(
    target: Version, check: BufferCheck, lines: Lines, asked: types.Range
) -> list[types.CodeAction]:
    """A quick fix for each fixable finding that touches ``asked``."""
    actions = []
    for diagnostic in check.diagnostics:
        fix = diagnostic.fix
        if fix is None or not fix.edits:
            continue
        shown = to_lsp(diagnostic, lines)
        if not overlaps(shown.range, asked):
            continue
        safe = fix.applicability is Applicability.SAFE
        actions.append(
            types.CodeAction(
                title=fix.title if safe else f"{fix.title} (unsafe)",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[shown],
                is_preferred=safe,
                edit=workspace_edit(target, [lines.text_edit(edit) for edit in fix.edits]),
            )
        )
    return actions


def has_safe_fix(check: BufferCheck) -> bool:
    """Would ``--fix`` (safe fixes only) change something? Decided from the findings, so
    the costly fix pass runs only when the action is taken (or resolved)."""
    return any(
        d.fix is not None and d.fix.applicability is Applicability.SAFE for d in check.diagnostics
    )


def fix_all_edit(
    target: Version, text: str, check: BufferCheck, lines: Lines
) -> types.WorkspaceEdit:
    """The edit that turns the buffer into what ``session-lint --fix`` writes for it."""
    fixed, _why = fix_buffer(text, check, unsafe=False)
    return workspace_edit(target, edits_between(text, fixed, lines.units))


def fix_all(title_data: object, edit: types.WorkspaceEdit | None) -> types.CodeAction:
    """The fix-all action, with its edit, or with ``data`` to resolve it later."""
    return types.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL_KIND, edit=edit, data=title_data)
