"""The Elixir per-file path: parse once, evaluate the dispatching clauses, report."""

from __future__ import annotations

from tree_sitter import Node

from session_lint.config import Config
from session_lint.core.checks import Finding, Reporter, naming_the_key
from session_lint.core.values import Mapping, Session, Via
from session_lint.elixir.context import ModuleContext
from session_lint.elixir.evaluator import Evaluator
from session_lint.elixir.index import ModuleInfo, build_index
from session_lint.elixir.names import ElixirNames
from session_lint.elixir.parsing import Source, Unparsable, parse_elixir
from session_lint.elixir.project import ElixirProject, project_for
from session_lint.noqa import filter_noqa
from session_lint.project.layout import names_a_file
from session_lint.registry import enabled_codes
from session_lint.rules import AmbientPayloadBuilder, UnparsableFile
from session_lint.types import Diagnostic


def check_elixir(
    source: str | bytes, path: str, config: Config, *, honour_noqa: bool = True
) -> tuple[list[Diagnostic], int]:
    """The diagnostics of one Elixir file and the number of dispatches recognised in it;
    bad input is one SES000, never an exception."""
    try:
        parsed = parse_elixir(source)
    except Unparsable as error:
        return [UnparsableFile.at(path, error.reason, error.line, error.column)], 0
    names = ElixirNames(config)
    modules = build_index(parsed.tree.root_node, names.sinks, names.bare_sinks)
    dispatches = sum(module.dispatch_count for module in modules)
    project = None
    if config.project and names_a_file(path):
        project = project_for(path, names.sinks)
    try:
        findings = analyse_elixir(modules, config, project)
    except RecursionError:
        return [UnparsableFile.at(path, "nested too deeply to analyse")], dispatches
    diagnostics = sorted((_diagnostic(parsed, path, f) for f in findings), key=Diagnostic.sort_key)
    if honour_noqa:
        # a finding's own line carries its comment (heredocs are not joined)
        diagnostics = filter_noqa(diagnostics, parsed.lines, ranges={})
    return diagnostics, dispatches


def analyse_elixir(
    modules: list[ModuleInfo], config: Config, project: ElixirProject | None = None
) -> list[Finding]:
    """Every finding of the file's modules, for the session and for each ``contract``
    (whose findings then name their key, as in Python)."""
    families = config.contracts()
    findings = _family_findings(modules, config, project)
    if len(families) == 1:
        return findings
    named = [naming_the_key(f, config.session_key) for f in findings]
    for family in families[1:]:
        found = _family_findings(modules, family, project)
        named += [naming_the_key(f, family.session_key) for f in found]
    return named


def _family_findings(
    modules: list[ModuleInfo], config: Config, project: ElixirProject | None
) -> list[Finding]:
    enabled = enabled_codes(config)
    names = ElixirNames(config)
    reporter = Reporter(language="elixir")
    want_builders = AmbientPayloadBuilder.CODE in enabled
    for module in modules:
        ctx = ModuleContext(module, names, reporter, project=project)
        for clauses in module.clauses.values():
            for clause in clauses:
                if clause.dispatches:
                    Evaluator(ctx, check=True).run_clause(clause, None)
                elif want_builders:
                    _report_ambient_builder(
                        ctx, Evaluator(ctx, check=False).run_clause(clause, None)
                    )
    return [f for f in reporter.findings.values() if f.rule.CODE in enabled]


def _report_ambient_builder(ctx: ModuleContext, result: object) -> None:
    """Opt-in SES008: a clause returning a map that embeds the ambient session."""
    if isinstance(result, Mapping) and isinstance(result.slot, Session):
        slot = result.slot
        if slot.is_ambient and slot.via is not Via.BUILDER and slot.node is not None:
            ctx.reporter.report(AmbientPayloadBuilder, slot.node)


def _diagnostic(parsed: Source, path: str, finding: Finding) -> Diagnostic:
    node: Node = finding.node
    (row, column), (end_row, end_column) = node.start_point, node.end_point
    return Diagnostic(
        path=path,
        line=row + 1,
        column=parsed.column(row, column),
        end_line=end_row + 1,
        end_column=parsed.column(end_row, end_column),
        code=finding.rule.CODE,
        message=finding.message,
        fix=None,
    )
