"""Entry point of the dataflow: findings of one parsed module."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import libcst as cst

from session_lint.config import Config
from session_lint.core.checks import Finding, naming_the_key
from session_lint.core.values import Mapping, Session, Via
from session_lint.flow.index import FunctionInfo, ModuleIndex, build_index
from session_lint.flow.interpreter import Interpreter, ModuleContext
from session_lint.flow.names import Names
from session_lint.flow.project_summaries import imports_for, project_options
from session_lint.flow.summaries import Summaries
from session_lint.rules import AmbientPayloadBuilder
from session_lint.shapes import sink_names


@dataclass(frozen=True)
class Analysis:
    findings: list[Finding]
    names: Names
    index: ModuleIndex


def analyse(
    module: cst.Module, config: Config, enabled: frozenset[str], path: str | None = None
) -> Analysis | None:
    """Every finding of ``module``; only functions that dispatch are evaluated, plus the
    builders they call: the module's own, and those of the project's other modules when
    ``path`` names the module's file. ``None`` when nothing in the module can dispatch."""
    index = build_index(module, *sink_names(config.sink_shapes()))
    want_builders = AmbientPayloadBuilder.CODE in enabled
    if not index.any_dispatch and not want_builders:
        return None
    families = config.contracts()
    names = Names(config, index.table)
    findings = _family_findings(module, config, names, index, want_builders, path)
    if len(families) > 1:
        findings = [_naming_the_key(finding, config.session_key, None) for finding in findings]
        for family in families[1:]:
            found = _family_findings(
                module, family, Names(family, index.table), index, want_builders, path
            )
            findings += [_naming_the_key(f, family.session_key, _OTHER_FAMILY) for f in found]
    return Analysis(findings, names, index)


# the planner writes the session's resolver and key: another family's finding is not fixed
_OTHER_FAMILY = "fixes are offered for the session's contract only"


def _family_findings(
    module: cst.Module,
    config: Config,
    names: Names,
    index: ModuleIndex,
    want_builders: bool,
    path: str | None,
) -> list[Finding]:
    """The findings of one key family (the session, or a ``contract``)."""
    ctx = ModuleContext(module, names, index)
    if path is not None and config.project:
        ctx.imports_factory = lambda: imports_for(path, config, project_options(config))
    Summaries(ctx)
    if index.module_dispatches:
        Interpreter(ctx, None, check=True).exec_block(module.body, [{}])
    else:
        _visit_definitions(ctx, module.body)
    if want_builders:
        _report_ambient_builders(ctx, index.functions)
    return list(ctx.reporter.findings.values())


def _naming_the_key(finding: Finding, key: str, no_fix: str | None) -> Finding:
    """With several contracts, a finding says which key it is about."""
    named = naming_the_key(finding, key)
    if no_fix is None:
        return named
    return replace(named, message=f"{named.message} (no automatic fix: {no_fix})", site=None)


def _visit_definitions(ctx: ModuleContext, body: Sequence[cst.BaseStatement]) -> None:
    """Evaluate the dispatching functions defined at module level (also inside classes and
    module-level if/try blocks) without evaluating the module's own statements."""
    for statement in body:
        if isinstance(statement, cst.FunctionDef):
            info = ctx.index.by_node.get(statement)
            if info is not None and info.contains_dispatch:
                Interpreter(ctx, info, check=True).run_function([])
        elif isinstance(statement, cst.ClassDef):
            _visit_definitions(ctx, statement.body.body)  # type: ignore[arg-type]
        elif isinstance(statement, cst.BaseCompoundStatement):
            for block in _blocks(statement):
                _visit_definitions(ctx, block)


def _blocks(statement: cst.BaseCompoundStatement) -> list[Sequence[cst.BaseStatement]]:
    blocks: list[Sequence[cst.BaseStatement]] = []
    if hasattr(statement, "body"):  # `match` has only cases
        blocks.append(statement.body.body)  # type: ignore[arg-type]
    for part in ("orelse", "handlers", "finalbody", "cases"):
        value = getattr(statement, part, None)
        items = value if isinstance(value, Sequence) else [value] if value is not None else []
        for item in items:
            if isinstance(item, cst.If):
                blocks.extend(_blocks(item))
            elif hasattr(item, "body"):
                blocks.append(item.body.body)
    return blocks


def _report_ambient_builders(ctx: ModuleContext, functions: list[FunctionInfo]) -> None:
    """Opt-in SES008: builders that embed the ambient session, reported where they read it."""
    for info in functions:
        if info.dispatches:
            continue
        result = ctx.summary_of(info)
        if not isinstance(result, Mapping) or not isinstance(result.slot, Session):
            continue
        slot = result.slot
        if slot.is_ambient and slot.via is not Via.BUILDER and slot.node is not None:
            ctx.reporter.report(AmbientPayloadBuilder, slot.node)
