"""The per-file path: decode and parse once, analyse once, report through the rules."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from session_lint.config import DEFAULT_CONFIG, Config
from session_lint.core.checks import Finding
from session_lint.elixir import is_elixir_path
from session_lint.flow import selective
from session_lint.flow.analysis import Analysis, analyse
from session_lint.parsing import TooDeep, TooLarge, checked_tree, parse_checked, parse_module
from session_lint.prefilter import prefilter_for
from session_lint.project.layout import in_marked_project
from session_lint.registry import enabled_codes, rule_for
from session_lint.rules import UnparsableFile
from session_lint.types import Applicability, Diagnostic, Fix

# narrow a file only when at most this share of it is kept: a file that is mostly
# dispatching code is parsed whole at once (narrowing it saves little, and a finding in it
# costs a second, whole parse)
WORTH_NARROWING = 0.7

if TYPE_CHECKING:
    from session_lint.fix.planner import Planner
    from session_lint.fix.text_edits import TextEdits
    from session_lint.flow.positions import Positions


@dataclass(frozen=True)
class Checked:
    """One module's diagnostics, with the findings and analysis a fix is planned from."""

    module: cst.Module
    diagnostics: list[Diagnostic]
    findings: dict[Diagnostic, Finding]
    analysis: Analysis | None
    narrowed: bool = False  # checked on libcst's tree of the functions that can matter

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
    tree: ast.Module | None = None,
) -> list[Diagnostic]:
    """Check one file's text (``bytes`` keep their coding cookie and BOM) and return its
    diagnostics sorted by position. Never raises for bad input: an unparsable file is one
    ``SES000`` diagnostic. Text that cannot hold a finding is not even parsed (see
    ``prefilter``), and libcst parses only the functions that can matter (see
    ``flow.selective``). ``tree``: CPython's tree of ``source``, if the caller has it."""
    return check_source(source, path, config, honour_noqa=honour_noqa, tree=tree).diagnostics


def check_source(
    source: str | bytes,
    path: str = "<string>",
    config: Config | None = None,
    *,
    honour_noqa: bool = True,
    tree: ast.Module | None = None,
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
    checked = check_selected(source, path, config, honour_noqa=honour_noqa, tree=tree)
    if isinstance(checked, Diagnostic):
        return SourceResult([checked], 0)
    return SourceResult(checked.diagnostics, checked.dispatches)


def check_selected(
    source: str | bytes,
    path: str,
    config: Config,
    *,
    honour_noqa: bool,
    tree: ast.Module | None = None,
) -> Checked | Diagnostic:
    """The check of ``source`` on libcst's tree of its functions that can matter. A file
    with a finding is checked again on its whole text, so that its positions, messages
    and fixes are computed against the file as it is (``narrowed``: the check that found
    nothing on the narrowed text)."""
    narrowed = False
    found: ast.Module | None = None

    def narrow() -> cst.Module:
        nonlocal narrowed, found
        # the whole tree's nesting is bounded, blanked code too: a full parse refuses a
        # file that nests too deeply wherever it does, and selective parsing says the same
        found = checked_tree(source, tree)
        selection = _selection(source, found, config)
        narrowed = selection is not None
        return parse_checked(selection.text if selection is not None else source)

    module = _parsed(narrow, path)
    if isinstance(module, Diagnostic):
        return module
    if narrowed:
        clean = _nothing_found(module, path, config)
        if clean is not None:
            return clean
        # a finding (or too deep to tell): the whole text decides; it passed the checks
        module = _parsed(lambda: parse_checked(source), path)
        if isinstance(module, Diagnostic):
            return module
    return check_module(module, path, config, honour_noqa=honour_noqa, tree=found, source=source)


def _nothing_found(module: cst.Module, path: str, config: Config) -> Checked | None:
    """The check of a narrowed module that finds nothing; ``None`` when it finds something
    (or nests too deeply to tell). No diagnostic is made: they are the whole text's."""
    enabled = enabled_codes(config)
    try:
        analysis = analyse(module, config, enabled, path)
    except RecursionError:
        return None
    if analysis is not None and any(f.rule.CODE in enabled for f in analysis.findings):
        return None
    return Checked(module, [], {}, analysis, narrowed=True)


def _selection(
    source: str | bytes, tree: ast.Module | None, config: Config
) -> selective.Selection | None:
    prefilter = prefilter_for(config)
    if tree is None or prefilter.builders_wanted or not selective.enabled():
        return None  # SES008 reports builders that dispatch nothing: every function counts
    selection = selective.select(source, tree, prefilter)
    if selection is not None and selection.kept_characters > WORTH_NARROWING * len(source):
        return None  # little to save, and a finding would parse the whole text again
    return selection


def parse(source: str | bytes, path: str) -> cst.Module | Diagnostic:
    """The whole module, or the ``SES000`` diagnostic saying why it cannot be parsed."""
    return _parsed(lambda: parse_module(source), path)


def _parsed(parser: Callable[[], cst.Module], path: str) -> cst.Module | Diagnostic:
    try:
        return parser()
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


def check_module(
    module: cst.Module,
    path: str,
    config: Config,
    *,
    honour_noqa: bool,
    tree: ast.Module | None = None,
    source: str | bytes | None = None,
) -> Checked:
    """The check of a whole module; ``tree`` (CPython's) and ``source`` (its text), when
    given, spare a report the code generation of the statements without findings."""
    try:
        return _check(module, path, config, honour_noqa=honour_noqa, tree=tree, source=source)
    except RecursionError:
        problem = unparsable(path, "nested too deeply to analyse", 1, 0)
        return Checked(module, [problem], {}, None)


def _check(
    module: cst.Module,
    path: str,
    config: Config,
    *,
    honour_noqa: bool,
    tree: ast.Module | None,
    source: str | bytes | None,
) -> Checked:
    enabled = enabled_codes(config)
    analysis = analyse(module, config, enabled, path)
    findings = [f for f in analysis.findings if f.rule.CODE in enabled] if analysis else []
    if analysis is None or not findings:
        return Checked(module, [], {}, analysis)
    from session_lint.flow.positions import Positions  # only a file with findings needs it

    text = _text_of(source, module)
    # the switch that forces whole-file parsing forces whole-module positions too: the
    # differential tests compare both shortcuts against the plain way
    positions = Positions(module, tree if selective.enabled() else None, text)
    by_diagnostic = _diagnostics(module, path, findings, analysis, positions, text)
    diagnostics = sorted(by_diagnostic, key=Diagnostic.sort_key)
    if honour_noqa:
        from session_lint.noqa import filter_noqa, physical_lines

        code = text if text is not None else module.code  # the same: no codegen needed
        diagnostics = filter_noqa(diagnostics, physical_lines(code))
    return Checked(module, diagnostics, by_diagnostic, analysis)


def _text_of(source: str | bytes | None, module: cst.Module) -> str | None:
    """The text libcst parsed ``module`` from, or ``None`` if it cannot be had cheaply."""
    if source is None or isinstance(source, str):
        return source
    try:
        return source.decode(module.encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _diagnostics(
    module: cst.Module,
    path: str,
    findings: list[Finding],
    analysis: Analysis,
    positions: Positions,
    text: str | None,
) -> dict[Diagnostic, Finding]:
    # the fix machinery (libcst's matchers and codemods) costs a third of a second to
    # import: only files with findings pay it
    from session_lint.fix.planner import Planner
    from session_lint.fix.text_edits import TextEdits

    positions.cover(finding.node for finding in findings)
    planner = Planner(module, analysis.names, analysis.index)
    fixable = planner.plan(findings, Applicability, companions=analysis.findings)
    text_edits = TextEdits(module, positions, text)
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
