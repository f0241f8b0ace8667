"""The per-file path: decode and parse once, analyse once, report through the rules."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from session_lint.config import Config
from session_lint.flow.analysis import analyse
from session_lint.flow.dispatch import Finding
from session_lint.registry import enabled_codes
from session_lint.rules import UnparsableFile
from session_lint.types import Diagnostic


def lint_source(
    source: str | bytes,
    path: str = "<string>",
    config: Config | None = None,
    *,
    honour_noqa: bool = True,
) -> list[Diagnostic]:
    """Check one file's text (``bytes`` keep their coding cookie and BOM) and return its
    diagnostics sorted by position. Never raises for bad input: an unparsable file is one
    ``SES000`` diagnostic."""
    config = config or Config()
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        return [
            _unparsable(path, f"syntax error: {error.message}", error.raw_line, error.raw_column)
        ]
    except (UnicodeDecodeError, LookupError, SyntaxError, ValueError) as error:
        return [_unparsable(path, f"cannot decode: {error}", 1, 0)]
    except RecursionError:
        return [_unparsable(path, "too deeply nested to parse", 1, 0)]
    return analyse_module(module, path, config, honour_noqa=honour_noqa)


def analyse_module(
    module: cst.Module, path: str, config: Config, *, honour_noqa: bool
) -> list[Diagnostic]:
    enabled = enabled_codes(config)
    try:
        findings = [f for f in analyse(module, config, enabled) if f.rule.CODE in enabled]
    except RecursionError:
        return [_unparsable(path, "too deeply nested to analyse", 1, 0)]
    if not findings:
        return []
    diagnostics = sorted(_diagnostics(module, path, findings), key=Diagnostic.sort_key)
    if honour_noqa:
        from session_lint.noqa import filter_noqa

        diagnostics = filter_noqa(diagnostics, module.code.splitlines())
    return diagnostics


def _diagnostics(module: cst.Module, path: str, findings: list[Finding]) -> list[Diagnostic]:
    # positions cost a code-generation pass over the module: only files with findings pay it
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    diagnostics = []
    for finding in findings:
        where = positions[finding.node]
        diagnostics.append(
            Diagnostic(
                path=path,
                line=where.start.line,
                column=where.start.column + 1,
                end_line=where.end.line,
                end_column=where.end.column + 1,
                code=finding.rule.CODE,
                message=finding.message,
            )
        )
    return diagnostics


def _unparsable(path: str, reason: str, line: int, column: int) -> Diagnostic:
    return Diagnostic(
        path=path,
        line=max(line, 1),
        column=column + 1,
        end_line=max(line, 1),
        end_column=column + 1,
        code=UnparsableFile.CODE,
        message=UnparsableFile.message(reason=reason),
    )
