"""The per-file path: decode and parse once, analyse once, report through the rules."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from session_lint.config import DEFAULT_CONFIG, Config
from session_lint.core.checks import Finding
from session_lint.elixir import is_elixir_path
from session_lint.fix.planner import Planner
from session_lint.fix.text_edits import TextEdits
from session_lint.flow.analysis import Analysis, analyse
from session_lint.parsing import TooDeep, TooLarge, parse_module
from session_lint.prefilter import prefilter_for
from session_lint.project.layout import in_marked_project
from session_lint.registry import enabled_codes, rule_for
from session_lint.rules import UnparsableFile
from session_lint.types import Applicability, Diagnostic, Fix


@dataclass(frozen=True)
class Checked:
    """One module's diagnostics, with the findings and analysis a fix is planned from."""

    module: cst.Module
    diagnostics: list[Diagnostic]
    findings: dict[Diagnostic, Finding]
    analysis: Analysis | None

    @property
    def dispatches(self) -> int:
        """The dispatches (sink calls) recognised in the module."""
        return self.analysis.index.dispatch_count if self.analysis is not None else 0


@dataclass(frozen=True)
class SourceResult:
    """One file's diagnostics and the number of dispatches recognised in it."""

    diagnostics: list[Diagnostic]
    dispatches: int


def lint_source(
    source: str | bytes,
    path: str = "<string>",
    config: Config | None = None,
    *,
    honour_noqa: bool = True,
) -> list[Diagnostic]:
    """Check one file's text (``bytes`` keep their coding cookie and BOM) and return its
    diagnostics sorted by position. Never raises for bad input: an unparsable file is one
    ``SES000`` diagnostic. Text that cannot hold a finding is not even parsed (see
    ``prefilter``)."""
    return check_source(source, path, config, honour_noqa=honour_noqa).diagnostics


def check_source(
    source: str | bytes,
    path: str = "<string>",
    config: Config | None = None,
    *,
    honour_noqa: bool = True,
) -> SourceResult:
    """``lint_source``, with the count of dispatches recognised (0 for a skipped file)."""
    config = config or DEFAULT_CONFIG
    if not prefilter_for(config).may_find(
        source, project=config.project and in_marked_project(path)
    ):
        return SourceResult([], 0)
    if is_elixir_path(path):
        from session_lint.elixir.analysis import check_elixir

        return SourceResult(*check_elixir(source, path, config, honour_noqa=honour_noqa))
    module = parse(source, path)
    if isinstance(module, Diagnostic):
        return SourceResult([module], 0)
    checked = check_module(module, path, config, honour_noqa=honour_noqa)
    return SourceResult(checked.diagnostics, checked.dispatches)


def parse(source: str | bytes, path: str) -> cst.Module | Diagnostic:
    """The module, or the ``SES000`` diagnostic saying why it cannot be parsed."""
    try:
        return parse_module(source)
    except TooDeep as error:
        return unparsable(path, f"nested too deeply: {error}", 1, 0)
    except TooLarge as error:
        return unparsable(path, str(error), 1, 0)
    except cst.ParserSyntaxError as error:
        return unparsable(path, f"syntax error: {error.message}", error.raw_line, error.raw_column)
    except (UnicodeDecodeError, LookupError, SyntaxError, ValueError) as error:
        return unparsable(path, f"cannot decode: {error}", 1, 0)
    except RecursionError:
        return unparsable(path, "too deeply nested to parse", 1, 0)


def check_module(module: cst.Module, path: str, config: Config, *, honour_noqa: bool) -> Checked:
    try:
        return _check(module, path, config, honour_noqa=honour_noqa)
    except RecursionError:
        problem = unparsable(path, "nested too deeply to analyse", 1, 0)
        return Checked(module, [problem], {}, None)


def _check(module: cst.Module, path: str, config: Config, *, honour_noqa: bool) -> Checked:
    enabled = enabled_codes(config)
    analysis = analyse(module, config, enabled, path)
    findings = [f for f in analysis.findings if f.rule.CODE in enabled] if analysis else []
    if analysis is None or not findings:
        return Checked(module, [], {}, analysis)
    by_diagnostic = _diagnostics(module, path, findings, analysis)
    diagnostics = sorted(by_diagnostic, key=Diagnostic.sort_key)
    if honour_noqa:
        from session_lint.noqa import filter_noqa, physical_lines

        diagnostics = filter_noqa(diagnostics, physical_lines(module.code))
    return Checked(module, diagnostics, by_diagnostic, analysis)


def _diagnostics(
    module: cst.Module, path: str, findings: list[Finding], analysis: Analysis
) -> dict[Diagnostic, Finding]:
    # positions cost a code-generation pass over the module: only files with findings pay it
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    planner = Planner(module, analysis.names, analysis.index)
    fixable = planner.plan(findings, Applicability, companions=analysis.findings)
    text_edits = TextEdits(module, positions)
    by_diagnostic: dict[Diagnostic, Finding] = {}
    for finding in findings:
        where = positions[finding.node]
        applicability = fixable.get(finding)
        diagnostic = Diagnostic(
            path=path,
            line=where.start.line,
            column=where.start.column + 1,
            end_line=where.end.line,
            end_column=where.end.column + 1,
            code=finding.rule.CODE,
            message=_with_reason(finding.message, planner.reasons.get(finding)),
            fix=_fix_note(finding, applicability, planner, text_edits),
        )
        by_diagnostic[diagnostic] = finding
    return by_diagnostic


def _with_reason(message: str, reason: str | None) -> str:
    """A finding the fix leaves alone for a reason the user can act on says so."""
    return f"{message} (no automatic fix: {reason})" if reason else message


def _fix_note(
    finding: Finding,
    applicability: Applicability | None,
    planner: Planner,
    text_edits: TextEdits,
) -> Fix | None:
    if applicability is None:
        return None
    rule = rule_for(finding.rule.CODE)
    title = rule.FIX_TITLE if rule is not None else "fix"
    own = planner.owned.get(finding)
    return Fix(applicability, title, text_edits.render(own) if own is not None else ())


def unparsable(path: str, reason: str, line: int, column: int) -> Diagnostic:
    return UnparsableFile.at(path, reason, line, column)
