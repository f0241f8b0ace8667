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
from session_lint.types import Applicability, Diagnostic

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


def fixable_at(check: BufferCheck, lines: Lines, asked: types.Range) -> list[Diagnostic]:
    """The findings with a fix that touch ``asked``."""
    return [
        d
        for d in check.diagnostics
        if d.fix is not None and d.fix.edits and overlaps(to_lsp(d, lines).range, asked)
    ]


def quick_fixes(
    target: Version, found: list[Diagnostic], lines: Lines, declined: str | None
) -> list[types.CodeAction]:
    """A quick fix for each of the ``found`` findings; when ``--fix`` would leave the
    file as it is (``declined`` says why), each is shown disabled, without an edit."""
    actions = []
    for diagnostic in found:
        fix = diagnostic.fix
        assert fix is not None
        safe = fix.applicability is Applicability.SAFE
        edit = workspace_edit(target, [lines.text_edit(edit) for edit in fix.edits])
        actions.append(
            types.CodeAction(
                title=fix.title if safe else f"{fix.title} (unsafe)",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[to_lsp(diagnostic, lines)],
                is_preferred=safe and declined is None,
                edit=None if declined is not None else edit,
                disabled=None if declined is None else types.CodeActionDisabled(reason=declined),
            )
        )
    return actions


def any_unsafe(found: list[Diagnostic]) -> bool:
    return any(d.fix is not None and d.fix.applicability is Applicability.UNSAFE for d in found)


def has_safe_fix(check: BufferCheck) -> bool:
    """Would ``--fix`` (safe fixes only) change something? Decided from the findings, so
    the costly fix pass runs only when the action is taken (or resolved)."""
    return any(
        d.fix is not None and d.fix.applicability is Applicability.SAFE for d in check.diagnostics
    )


def fix_all_edit(
    target: Version, text: str, check: BufferCheck, lines: Lines
) -> tuple[types.WorkspaceEdit, str | None]:
    """The edit that turns the buffer into what ``session-lint --fix`` writes for it, and
    why ``--fix`` would leave the file as it is, when it would (the edit is then empty)."""
    fixed, why = fix_buffer(text, check, unsafe=False)
    return workspace_edit(target, edits_between(text, fixed, lines.units)), why


def fix_all(
    data: object, edit: types.WorkspaceEdit | None, why: str | None = None
) -> types.CodeAction:
    """The fix-all action: with its edit, or with ``data`` to resolve the edit later; a
    fix ``--fix`` declines is shown disabled, with the reason."""
    disabled = None if why is None else types.CodeActionDisabled(reason=why)
    return types.CodeAction(
        title=FIX_ALL_TITLE, kind=FIX_ALL_KIND, edit=edit, data=data, disabled=disabled
    )
