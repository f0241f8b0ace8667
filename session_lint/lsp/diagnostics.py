"""The engine's diagnostics as LSP diagnostics: warnings, each code linking to its docs."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from session_lint.lsp.positions import Lines
from session_lint.registry import rule_for
from session_lint.rule import RULES_URL
from session_lint.types import Diagnostic

SOURCE = "session-lint"


def to_lsp(diagnostic: Diagnostic, lines: Lines) -> types.Diagnostic:
    rule = rule_for(diagnostic.code)
    href = rule.docs_url() if rule is not None else RULES_URL
    where = lines.range(
        diagnostic.line, diagnostic.column, diagnostic.end_line, diagnostic.end_column
    )
    return types.Diagnostic(
        range=where,
        message=diagnostic.message,
        # a finding is a likely bug, not a proof of one: warnings, as the issue asks
        severity=types.DiagnosticSeverity.Warning,
        code=diagnostic.code,
        code_description=types.CodeDescription(href=href),
        source=SOURCE,
    )


def all_to_lsp(diagnostics: Sequence[Diagnostic], lines: Lines) -> list[types.Diagnostic]:
    return [to_lsp(diagnostic, lines) for diagnostic in diagnostics]


def overlaps(a: types.Range, b: types.Range) -> bool:
    """Do two ranges touch (a cursor on either end counts)?"""
    start_a, end_a = (a.start.line, a.start.character), (a.end.line, a.end.character)
    start_b, end_b = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return start_a <= end_b and start_b <= end_a
