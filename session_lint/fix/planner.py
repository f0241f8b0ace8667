"""Turn findings into edits: resolve once with every override in scope, put that value in
the payload after the builder, hand the same value to routing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import libcst as cst

from session_lint.fix.edits import Edits
from session_lint.flow.dispatch import DispatchSite, Finding
from session_lint.flow.index import ModuleIndex
from session_lint.flow.interpreter import string_value
from session_lint.flow.names import Names
from session_lint.flow.walk import code_children
from session_lint.rules import (
    AmbientBuilderNotOverridden,
    AmbientSessionAtDispatch,
    HandRolledPrecedence,
    MissingRoutingSession,
    ResolverDropsOverride,
    RoutingFromAmbientPayload,
)
from session_lint.types import Applicability

ImportRequest = tuple[str, str, int]  # module, name, leading dots


@dataclass(frozen=True)
class Resolution:
    call: cst.Call
    needed_import: ImportRequest | None


SAFE = Applicability.SAFE
UNSAFE = Applicability.UNSAFE


class Planner:
    """Plans the fixes of one module's findings into one ``Edits``."""

    def __init__(self, module: cst.Module, names: Names, index: ModuleIndex) -> None:
        self.module = module
        self.names = names
        self.index = index
        self.edits = Edits()
        self._parents: dict[cst.CSTNode, cst.CSTNode] | None = None
        # the module's resolver and ambient-getter calls, found once: a scan per finding
        # made a module with many findings quadratic (1,500 took half a minute)
        self._resolver_calls: list[cst.Call] | None = None
        self._ambient_calls: list[cst.Call] = []

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
        fixed: dict[Finding, Applicability] = {}
        selected = set(findings)
        read_backs = [f for f in findings if f.rule is RoutingFromAmbientPayload]
        builders = [
            f
            for f in dict.fromkeys([*findings, *companions])
            if f.rule is AmbientBuilderNotOverridden
        ]
        for finding in builders:
            if finding.site is None or SAFE not in allowed:
                continue
            covered = self._fix_builder(finding, finding.site, read_backs, dry=True)
            if covered is None or (finding not in selected and not covered):
                continue
            self._fix_builder(finding, finding.site, read_backs, dry=False)
            for done in (finding, *covered):
                if done in selected:
                    fixed[done] = SAFE
        for finding in findings:
            if finding in fixed or finding.rule in (
                AmbientBuilderNotOverridden,
                RoutingFromAmbientPayload,
            ):
                continue
            applicability = _APPLICABILITY.get(finding.rule)
            if applicability is None or applicability not in allowed or finding.site is None:
                continue
            if self._fix_one(finding, finding.site):
                fixed[finding] = applicability
        return fixed

    def _fix_one(self, finding: Finding, site: DispatchSite) -> bool:
        rule = finding.rule
        if rule in (AmbientSessionAtDispatch, HandRolledPrecedence):
            resolution = self._resolver_call(site, hint=finding.node)
            if resolution is None:
                return False
            self.edits.replace[finding.node] = self._use(resolution)
            return True
        if rule is ResolverDropsOverride and isinstance(finding.node, cst.Call):
            arguments = _resolver_arguments(site)
            if arguments is None:
                return False
            self.edits.replace[finding.node] = finding.node.with_changes(
                args=[cst.Arg(cst.parse_expression(text)) for text in arguments]
            )
            return True
        if rule is MissingRoutingSession:
            return self._route_with_payload_session(site)
        return False

    # ----------------------------------------------------------------- the builder pattern
    def _fix_builder(
        self, finding: Finding, site: DispatchSite, read_backs: Sequence[Finding], *, dry: bool
    ) -> list[Finding] | None:
        """``payload = builder(...)`` becomes: resolve once before it, then overwrite the
        payload's session after it. Read-backs of that payload take the resolved local; a
        statement that only re-reads it (``sid = payload.get("session_id")``) goes away."""
        statement = self._statement_of(finding.node)
        target = _assigned_name(statement, None)
        payload = site.payload.value if isinstance(site.payload, cst.Name) else None
        if statement is None or target is None or target != payload or site.function is None:
            return None  # the builder's result must be the very local that is dispatched
        resolution = self._resolver_call(site, hint=None)
        if resolution is None:
            return None
        covered = [
            read
            for read in read_backs
            if read.site is not None
            and read.site.function is site.function
            and _reads_session_of(read.node, target, self.names.session_key)
        ]
        if dry:
            return covered
        resolved_text = self.module.code_for_node(self._use(resolution))
        local = self._resolved_local_before(statement, resolved_text)
        insert_resolution = local is None
        for read in covered:
            name = _assigned_name(self._statement_of(read.node), read.node)
            local = local or name
        local = local or self._fresh_name(site.function.node)
        for read in covered:
            read_statement = self._statement_of(read.node)
            if read_statement is not None and _assigned_name(read_statement, read.node) == local:
                self.edits.remove.add(read_statement)
            else:
                self.edits.replace[read.node] = cst.Name(local)
        key = self.names.session_key
        config = self.module.config_for_parsing
        if insert_resolution:
            self.edits.insert_before(
                statement, cst.parse_statement(f"{local} = {resolved_text}\n", config)
            )
        self.edits.insert_after(
            statement, cst.parse_statement(f'{target}["{key}"] = {local}\n', config)
        )
        return covered

    def _resolved_local_before(
        self, statement: cst.SimpleStatementLine, resolved_text: str
    ) -> str | None:
        """A local already assigned this very resolver call earlier in the same block."""
        block = self._parent_map().get(statement)
        body = getattr(block, "body", ())
        if not isinstance(body, Sequence) or statement not in body:
            return None
        for earlier in body[: body.index(statement)]:
            if not isinstance(earlier, cst.SimpleStatementLine) or len(earlier.body) != 1:
                continue
            assign = earlier.body[0]
            if (
                isinstance(assign, cst.Assign)
                and isinstance(assign.value, cst.Call)
                and self.module.code_for_node(assign.value) == resolved_text
            ):
                return _assigned_name(earlier, assign.value)
        return None

    def _fresh_name(self, function: cst.FunctionDef) -> str:
        taken = {node.value for node in _walk(function) if isinstance(node, cst.Name)}
        for candidate in ("session_id", "resolved_session_id"):
            if candidate not in taken:
                return candidate
        number = 2
        while f"resolved_session_id_{number}" in taken:
            number += 1
        return f"resolved_session_id_{number}"

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
        self.edits.replace[routing] = cst.parse_expression(text)
        return True

    # ----------------------------------------------------------------- the resolver call
    def _resolver_call(self, site: DispatchSite, hint: cst.CSTNode | None) -> Resolution | None:
        arguments = _resolver_arguments(site)
        found = self._resolver_callee(hint)
        if arguments is None or found is None:
            return None
        callee, needed_import = found
        call = cst.parse_expression(f"{callee}({', '.join(arguments)})")
        return Resolution(call, needed_import) if isinstance(call, cst.Call) else None

    def _use(self, resolution: Resolution) -> cst.Call:
        """The resolver call, with its import scheduled when the module lacks it."""
        if resolution.needed_import is not None:
            self.edits.imports.add(resolution.needed_import)
        return resolution.call

    def _resolver_callee(self, hint: cst.CSTNode | None) -> tuple[str, ImportRequest | None] | None:
        """How this module can name the resolver, scheduling an import if it must."""
        names = self.names
        resolver = names.resolver_name
        for call in self._resolver_and_ambient_calls()[0][:1]:
            return self.module.code_for_node(call.func), None  # as the module calls it
        for local, qualified in names.table.aliases.items():
            if names.resolver.matches(qualified):
                return local, None  # imported, maybe under an alias, but not called yet
        if resolver in self.index.module_functions:
            return resolver, None
        ambient_calls = [hint] if isinstance(hint, cst.Call) else []
        ambient_calls += self._resolver_and_ambient_calls()[1]
        for call in ambient_calls:
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
                # `sessions.current_session_id()` -> `sessions.resolve_session_id(...)`
                return f"{self.module.code_for_node(call.func.value)}.{resolver}", None
        for qualified in names.table.aliases.values():
            if names.ambient.matches(qualified) and "." in qualified.lstrip("."):
                home = qualified.rsplit(".", 1)[0]
                stripped = home.lstrip(".")
                return resolver, (stripped, resolver, len(home) - len(stripped))
        return None

    def _resolver_and_ambient_calls(self) -> tuple[list[cst.Call], list[cst.Call]]:
        if self._resolver_calls is None:
            names = self.names
            self._resolver_calls = []
            for node in self._parent_map():
                if isinstance(node, cst.Call):
                    qualified = names.table.qualify(node.func)
                    if names.resolver.matches(qualified):
                        self._resolver_calls.append(node)
                    if names.ambient.matches(qualified):
                        self._ambient_calls.append(node)
        return self._resolver_calls, self._ambient_calls

    # ----------------------------------------------------------------- tree helpers
    def _statement_of(self, node: cst.CSTNode) -> cst.SimpleStatementLine | None:
        """The statement line that holds ``node``, if it sits directly in a block."""
        parents = self._parent_map()
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(current, cst.SimpleStatementLine):
            if isinstance(current, cst.BaseCompoundStatement | cst.SimpleStatementSuite):
                return None
            current = parents.get(current)
        return current

    def _parent_map(self) -> dict[cst.CSTNode, cst.CSTNode]:
        if self._parents is None:
            self._parents = {}
            stack: list[cst.CSTNode] = [self.module]
            while stack:
                parent = stack.pop()
                for child in code_children(parent):
                    self._parents[child] = parent
                    stack.append(child)
        return self._parents


_APPLICABILITY = {
    AmbientSessionAtDispatch: SAFE,
    AmbientBuilderNotOverridden: SAFE,
    ResolverDropsOverride: SAFE,
    MissingRoutingSession: SAFE,
    HandRolledPrecedence: UNSAFE,
}


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


def _reads_session_of(node: cst.CSTNode, mapping: str, key: str) -> bool:
    """Is ``node`` ``mapping.get(key...)`` or ``mapping[key]``?"""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        base = node.func.value
        return (
            isinstance(base, cst.Name)
            and base.value == mapping
            and bool(node.args)
            and string_value(node.args[0].value) == key
        )
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name):
        element = node.slice[0].slice if len(node.slice) == 1 else None
        return (
            node.value.value == mapping
            and isinstance(element, cst.Index)
            and string_value(element.value) == key
        )
    return False


def _walk(node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(code_children(current))
