"""Turn findings into edits: resolve once with every override in scope, put that value in
the payload after the builder, hand the same value to routing.

Findings are planned per dispatch. When the dispatch needs the resolved session in more
than one place (an ambient read on each side, a builder and a read-back, a resolver call
already on the other side), the fix binds ONE local, reused if the function already
holds the resolution in a local bound once, otherwise a name that collides with nothing,
bound before all of its uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from session_lint.core.checks import DispatchSite, Finding
from session_lint.fix.edits import Edits
from session_lint.fix.naming import ResolverName, resolver_name
from session_lint.fix.tree import Block, Tree, bound_once, walk
from session_lint.flow.index import ModuleIndex
from session_lint.flow.interpreter import string_value
from session_lint.flow.names import Names
from session_lint.flow.walk import code_children
from session_lint.rules import (
    AmbientBuilderNotOverridden,
    AmbientSessionAtDispatch,
    HandRolledPrecedence,
    MissingRoutingSession,
    RepeatedResolution,
    ResolverDropsOverride,
    RoutingFromAmbientPayload,
)
from session_lint.types import Applicability

SAFE = Applicability.SAFE
UNSAFE = Applicability.UNSAFE
_APPLICABILITY = {
    AmbientSessionAtDispatch: SAFE,
    AmbientBuilderNotOverridden: SAFE,
    ResolverDropsOverride: SAFE,
    MissingRoutingSession: SAFE,
    HandRolledPrecedence: UNSAFE,
    RoutingFromAmbientPayload: SAFE,
    RepeatedResolution: SAFE,
}
_NO_SINGLE_PLACE = (
    "payload and routing take the session in places no single local can reach before "
    "both (across a loop's back edge); resolve once before the loop"
)
_RESOLVING = (AmbientSessionAtDispatch, HandRolledPrecedence, ResolverDropsOverride)


@dataclass
class _Site:
    """What one dispatch's fix has to do."""

    site: DispatchSite
    targets: list[Finding] = field(default_factory=list)  # become the resolved value
    builders: list[Finding] = field(default_factory=list)
    read_backs: list[Finding] = field(default_factory=list)
    routing: list[Finding] = field(default_factory=list)  # SES006
    repeated: list[Finding] = field(default_factory=list)  # SES009


class Planner:
    """Plans the fixes of one module's findings into one ``Edits``; ``reasons`` says, per
    finding left unfixed for a reason users can act on, why."""

    def __init__(self, module: cst.Module, names: Names, index: ModuleIndex) -> None:
        self.module = module
        self.names = names
        self.index = index
        self.edits = Edits()
        # per fixed finding, the edits of its site's fix: what JSON and SARIF show for it
        self.owned: dict[Finding, Edits] = {}
        self.reasons: dict[Finding, str] = {}
        self._tree: Tree | None = None
        self._naming: ResolverName | str | None = None

    # ----------------------------------------------------------------- entry point
    def plan(
        self,
        findings: Sequence[Finding],
        allowed: Iterable[Applicability],
        companions: Sequence[Finding] = (),
    ) -> dict[Finding, Applicability]:
        """Add the edits of every finding whose fix is ``allowed``; return, per fixed finding,
        its applicability. A builder finding among ``companions`` (e.g. not selected) is
        fixed too when a selected read-back needs its fix."""
        allowed = frozenset(allowed)
        selected = set(findings)
        sites: dict[int, _Site] = {}
        for finding in dict.fromkeys([*findings, *companions]):
            applicability = _APPLICABILITY.get(finding.rule)
            if finding.site is None or applicability not in allowed:
                continue
            site = sites.setdefault(id(finding.site.call), _Site(finding.site))
            if finding.rule is AmbientBuilderNotOverridden:
                site.builders.append(finding)
            elif finding.rule is RoutingFromAmbientPayload and finding in selected:
                site.read_backs.append(finding)
            elif finding.rule is MissingRoutingSession and finding in selected:
                site.routing.append(finding)
            elif finding.rule is RepeatedResolution and finding in selected:
                site.repeated.append(finding)
            elif finding.rule in _RESOLVING and finding in selected:
                site.targets.append(finding)
        fixed: dict[Finding, Applicability] = {}
        for site in sites.values():
            shared, own = self.edits, self.edits.layer()
            self.edits = own
            try:
                done_here = self._plan_site(site, selected)
            finally:
                self.edits = shared
                own = shared.absorb(own)
            for done in done_here:
                if done in selected:
                    fixed[done] = _APPLICABILITY[done.rule]
                    if own:  # one site's fix serves every finding it settles
                        self.owned[done] = own
        return fixed

    def _plan_site(self, plan: _Site, selected: set[Finding]) -> list[Finding]:
        done: list[Finding] = []
        limit = plan.site.carrier_fix_limit
        for finding in plan.routing:
            if limit is not None:
                self.reasons.setdefault(finding, limit)
            elif self._route_with_payload_session(plan.site):
                done.append(finding)
        builder = self._builder(plan, selected)
        if builder is not None and limit is not None:
            self.reasons.setdefault(builder[0], limit)
            builder = None
        if not plan.targets and builder is None:
            return done + self._resolve_repeated_once(plan)
        wanted = [*plan.targets, *([builder[0]] if builder else [])]
        resolution = self._resolution(plan.site, wanted)
        if resolution is None:
            return done
        linked = self._linked_nodes(plan)
        if builder is None:
            for target in plan.targets:
                if target.node not in linked and self._claim(
                    target.node, self._resolved_call(target.node, resolution)
                ):
                    done.append(target)  # feeds both sides alone on every path: inline
            if not linked:
                return done
        else:
            linked = self._value_nodes(plan)
        bound = self._bind_one_local(plan, builder, resolution, linked)
        if bound is None:
            for finding in wanted:
                if finding not in done:
                    self.reasons.setdefault(finding, _NO_SINGLE_PLACE)
            return done
        return done + bound

    def _resolve_repeated_once(self, plan: _Site) -> list[Finding]:
        """SES009: two resolver calls feed one dispatch; one local takes their place."""
        linked = self._linked_nodes(plan)
        if not plan.repeated or not linked:
            return []
        resolution = self._resolution(plan.site, plan.repeated)
        if resolution is None:
            return []
        bound = self._bind_one_local(plan, None, resolution, linked)
        if bound is None:
            for finding in plan.repeated:
                self.reasons.setdefault(finding, _NO_SINGLE_PLACE)
            return []
        return plan.repeated

    # ----------------------------------------------------------------- one local per dispatch
    def _value_nodes(self, plan: _Site) -> list[cst.CSTNode]:
        """Every node that must become the resolved session: the findings' nodes and the
        resolver calls already feeding the dispatch."""
        nodes = [finding.node for finding in plan.targets]
        nodes += [node for node in plan.site.resolved if node not in nodes]
        return nodes

    def _linked_nodes(self, plan: _Site) -> list[cst.CSTNode]:
        """The nodes that, fixed one by one, would give some path two resolutions: its
        payload and routing sessions come from two of them."""
        values = self._value_nodes(plan)
        linked: list[cst.CSTNode] = []
        for payload, routing in plan.site.pairs:
            if payload is routing or payload not in values or routing not in values:
                continue
            linked += [node for node in (payload, routing) if node not in linked]
        return linked

    def _bind_one_local(
        self,
        plan: _Site,
        builder: tuple[Finding, cst.SimpleStatementLine, list[Finding]] | None,
        resolution: str,
        nodes: list[cst.CSTNode],
    ) -> list[Finding] | None:
        """The findings fixed by binding one local for ``nodes``; ``None`` when no single
        place can bind it."""
        tree = self._tree_of()
        function = plan.site.function
        scope: cst.FunctionDef | cst.Module = function.node if function else self.module
        top: Block = scope.body if isinstance(scope, cst.FunctionDef) else scope  # type: ignore[assignment]
        if not isinstance(top, Block):
            return None
        statements = [tree.statement_of(node) for node in nodes]
        uses: list[cst.BaseStatement] = [s for s in statements if s is not None]
        if builder is not None:
            uses.append(builder[1])
        if len(uses) < len(statements) + (builder is not None):
            return None  # a use inside a compound statement's header: no single place to bind
        local, reuse = self._existing_local(nodes, statements, uses, scope)
        anchor = None
        if local is None:
            anchor = tree.first_of(uses, top)
            if anchor is None:
                return None
            local = self._new_local_name(scope, builder)
        if any(node in self.edits.replace for node in nodes if node is not reuse):
            return None  # another dispatch's fix already rewrote one of them
        config = self.module.config_for_parsing
        done: list[Finding] = []
        for finding in plan.targets:
            node: cst.CSTNode = finding.node
            if node not in nodes:
                continue
            if node is reuse:
                self.edits.replace[node] = self._resolved_call(node, resolution)
            else:
                self.edits.replace[node] = cst.Name(local)
            done.append(finding)
        for node in plan.site.resolved:
            if node in nodes and node is not reuse and node not in self.edits.replace:
                self.edits.replace[node] = cst.Name(local)
        if anchor is not None:
            self.edits.insert_before(
                anchor.statement, cst.parse_statement(f"{local} = {resolution}\n", config)
            )
        if builder is not None:
            done += self._overwrite_after_builder(builder, local)
        return done

    def _existing_local(
        self,
        nodes: Sequence[cst.CSTNode],
        statements: Sequence[cst.SimpleStatementLine | None],
        uses: Sequence[cst.BaseStatement],
        scope: cst.FunctionDef | cst.Module,
    ) -> tuple[str | None, cst.CSTNode | None]:
        """A ``name = <value node>`` statement, name bound nowhere else, that comes before
        every other use: its name becomes the one local."""
        tree = self._tree_of()
        for node, statement in zip(nodes, statements, strict=True):
            name = _assigned_name(statement, node)
            if name is None or statement is None or not bound_once(scope, name):
                continue
            if tree.precedes(statement, [use for use in uses if use is not statement]):
                return name, node
        return None, None

    def _new_local_name(
        self,
        scope: cst.FunctionDef | cst.Module,
        builder: tuple[Finding, cst.SimpleStatementLine, list[Finding]] | None,
    ) -> str:
        if builder is not None:
            for read in builder[2]:
                name = _assigned_name(self._tree_of().statement_of(read.node), read.node)
                if name is not None and bound_once(scope, name):
                    return name  # `sid = payload.get("session_id")` goes; `sid` stays
        taken = {node.value for node in walk(scope) if isinstance(node, cst.Name)}
        for candidate in ("session_id", "resolved_session_id"):
            if candidate not in taken:
                return candidate
        number = 2
        while f"resolved_session_id_{number}" in taken:
            number += 1
        return f"resolved_session_id_{number}"

    # ----------------------------------------------------------------- the builder pattern
    def _builder(
        self, plan: _Site, selected: set[Finding]
    ) -> tuple[Finding, cst.SimpleStatementLine, list[Finding]] | None:
        """The builder finding to fix, its ``payload = builder(...)`` statement and the
        read-backs of that payload it covers; a builder only a companion (not selected) is
        fixed only when it covers a selected read-back."""
        site = plan.site
        payload = site.payload.value if isinstance(site.payload, cst.Name) else None
        for finding in plan.builders:
            statement = self._tree_of().statement_of(finding.node)
            target = _assigned_name(statement, None)
            if statement is None or target is None or target != payload:
                continue
            key = self.names.session_key
            covered = [
                read
                for read in plan.read_backs
                if _reads_session_of(read.node, target, key, self.index.constants)
            ]
            if finding in selected or covered:
                return finding, statement, covered
        return None

    def _overwrite_after_builder(
        self, builder: tuple[Finding, cst.SimpleStatementLine, list[Finding]], local: str
    ) -> list[Finding]:
        finding, statement, covered = builder
        target = _assigned_name(statement, None)
        tree = self._tree_of()
        for read in covered:
            read_statement = tree.statement_of(read.node)
            if read_statement is not None and _assigned_name(read_statement, read.node) == local:
                self.edits.remove.add(read_statement)
            else:
                self.edits.replace[read.node] = cst.Name(local)
        value = statement.body[0].value if isinstance(statement.body[0], cst.Assign) else None
        record = (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Name)
            and value.func.value in self.index.classes
        )
        key = self.names.session_key
        write = f"{target}.{key} = {local}\n" if record else f'{target}["{key}"] = {local}\n'
        self.edits.insert_after(
            statement, cst.parse_statement(write, self.module.config_for_parsing)
        )
        return [finding, *covered]

    # ----------------------------------------------------------------- routing
    def _route_with_payload_session(self, site: DispatchSite) -> bool:
        """Give routing the payload's own session: ``{**opts, "session_id": p["session_id"]}``.
        Not when the payload comes from a call we cannot see into: its key is only likely."""
        if not isinstance(site.payload, cst.Name) or site.payload_assumed:
            return False
        key = self.names.session_key
        read = f'{site.payload.value}["{key}"]'
        routing = site.routing
        if isinstance(routing, cst.Dict) and not routing.elements:
            text = f'{{"{key}": {read}}}'
        else:
            text = f'{{**{self.module.code_for_node(routing)}, "{key}": {read}}}'
        return self._claim(routing, cst.parse_expression(text))

    # ----------------------------------------------------------------- the resolver call
    def _resolution(self, site: DispatchSite, findings: Sequence[Finding]) -> str | None:
        """The text of the one resolver call for ``site``, or ``None`` with the reason
        noted on ``findings``."""
        arguments = _resolver_arguments(site)
        reason: str | None = None
        if arguments is None:
            reason = "more than one override or ref is in scope; pick the one to honour"
        elif any(name in site.clobbered for name in arguments):
            rebound = next(name for name in arguments if name in site.clobbered)
            reason = f"`{rebound}` is reassigned before the resolver; keep the caller's value"
        naming = self._resolver_naming()
        if reason is None and isinstance(naming, str):
            reason = naming
        if reason is not None or arguments is None or isinstance(naming, str):
            for finding in findings:
                self.reasons.setdefault(finding, reason or "")
            return None
        if naming.needed_import is not None:
            self.edits.imports.add(naming.needed_import)
        return f"{naming.callee}({', '.join(arguments)})"

    def _resolved_call(self, node: cst.CSTNode, resolution: str) -> cst.BaseExpression:
        """``node`` as the resolution: a dropping resolver call keeps its own spelling."""
        if isinstance(node, cst.Call) and self.names.resolver.matches(
            self.names.table.qualify(node.func)
        ):
            call = cst.parse_expression(resolution)
            assert isinstance(call, cst.Call)
            return node.with_changes(args=call.args)
        return cst.parse_expression(resolution)

    def _claim(self, node: cst.CSTNode, replacement: cst.CSTNode) -> bool:
        current = self.edits.replace.get(node)
        if current is not None and not current.deep_equals(replacement):
            return False
        self.edits.replace[node] = replacement
        return True

    def _resolver_naming(self) -> ResolverName | str:
        if self._naming is None:
            first = _first_call(self.module, self.names)
            taken = frozenset(
                {*self.index.module_functions, *self.index.classes, *self.names.table.aliases}
            )
            calls = [first] if first is not None else []
            self._naming = resolver_name(self.module, self.names, self.index, calls, taken)
        return self._naming

    def _tree_of(self) -> Tree:
        if self._tree is None:
            self._tree = Tree(self.module)
        return self._tree


def _first_call(module: cst.Module, names: Names) -> cst.Call | None:
    """The module's first resolver call in source order: the fix spells it the same way."""
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call) and names.resolver.matches(names.table.qualify(node.func)):
            return node
        stack.extend(reversed(list(code_children(node))))
    return None


def _resolver_arguments(site: DispatchSite) -> list[str] | None:
    """``runtime_opts[, ref]``: every source in scope, in the resolver's order."""
    if len(site.overrides) > 1 or len(site.refs) > 1:
        return None  # no single call can honour two overrides: leave it to a human
    if site.refs:
        return [site.overrides[0] if site.overrides else "None", site.refs[0]]
    return list(site.overrides)


def _assigned_name(
    statement: cst.SimpleStatementLine | None, value: cst.CSTNode | None
) -> str | None:
    """``name`` when ``statement`` is exactly ``name = <value>`` (any value when ``None``)."""
    if statement is None or len(statement.body) != 1:
        return None
    assign = statement.body[0]
    if (
        isinstance(assign, cst.Assign)
        and (value is None or assign.value is value)
        and len(assign.targets) == 1
        and isinstance(assign.targets[0].target, cst.Name)
    ):
        return assign.targets[0].target.value
    return None


def _key(node: cst.BaseExpression, constants: dict[str, str]) -> str | None:
    if isinstance(node, cst.Name):
        return constants.get(node.value)
    return string_value(node)


def _reads_session_of(node: cst.CSTNode, mapping: str, key: str, constants: dict[str, str]) -> bool:
    """Is ``node`` ``mapping.get(key...)`` or ``mapping[key]``?"""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        base = node.func.value
        return (
            isinstance(base, cst.Name)
            and base.value == mapping
            and bool(node.args)
            and _key(node.args[0].value, constants) == key
        )
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name):
        element = node.slice[0].slice if len(node.slice) == 1 else None
        return (
            node.value.value == mapping
            and isinstance(element, cst.Index)
            and _key(element.value, constants) == key
        )
    return False
