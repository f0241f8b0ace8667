"""The checks at a dispatch: are payload and routing sessions one resolved value?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from session_lint.flow.values import (
    OVERRIDE_MARK,
    Mapping,
    Origin,
    Session,
    Slot,
    SlotValue,
    Value,
    Via,
)
from session_lint.rule import Rule
from session_lint.rules import (
    AmbientBuilderNotOverridden,
    AmbientSessionAtDispatch,
    HandRolledPrecedence,
    MissingRoutingSession,
    RepeatedResolution,
    ResolverDropsOverride,
    RoutingFromAmbientPayload,
    SplitSession,
)

if TYPE_CHECKING:
    from session_lint.flow.calls import CallEvaluator
    from session_lint.flow.core import State
    from session_lint.flow.index import FunctionInfo

_AMBIENT_RULES: dict[Via, type[Rule]] = {
    Via.READ: AmbientSessionAtDispatch,
    Via.BUILDER: AmbientBuilderNotOverridden,
    Via.READ_BACK: RoutingFromAmbientPayload,
    Via.HAND_ROLLED: HandRolledPrecedence,
}


@dataclass(frozen=True)
class DispatchSite:
    """The dispatch a finding was made at, with what a fix needs to know about it."""

    call: cst.Call
    payload: cst.BaseExpression
    routing: cst.BaseExpression
    overrides: tuple[str, ...]  # override variables in scope
    refs: tuple[str, ...]  # ref parameters in scope
    function: FunctionInfo | None
    payload_assumed: bool = False  # the payload's session key is inferred, not seen
    # resolver calls that drop nothing feeding it on any path (shared by its paths' sites)
    resolved: list[cst.CSTNode] = field(default_factory=list, compare=False)
    # (payload, routing) session nodes on each path, shared like ``resolved``
    pairs: list[tuple[cst.CSTNode | None, cst.CSTNode | None]] = field(
        default_factory=list, compare=False
    )
    clobbered: tuple[str, ...] = ()  # overrides whose name was rebound to something else


@dataclass(frozen=True)
class Finding:
    rule: type[Rule]
    node: cst.CSTNode
    message: str
    site: DispatchSite | None = None


@dataclass
class Reporter:
    """Findings of one module, at most one per (rule, node) whatever the number of paths."""

    findings: dict[tuple[str, int], Finding] = field(default_factory=dict)
    resolved: dict[int, list[cst.CSTNode]] = field(default_factory=dict)  # by dispatch
    pairs: dict[int, list[tuple[cst.CSTNode | None, cst.CSTNode | None]]] = field(
        default_factory=dict
    )

    def report(
        self,
        rule: type[Rule],
        node: cst.CSTNode,
        site: DispatchSite | None = None,
        **details: str,
    ) -> None:
        key = (rule.CODE, id(node))
        if key not in self.findings:
            self.findings[key] = Finding(rule, node, rule.message(**details), site)


@dataclass(frozen=True)
class DispatchArguments:
    payload: cst.Arg
    routing: cst.Arg


def dispatch_arguments(node: cst.Call) -> DispatchArguments | None:
    """The payload (2nd positional or ``payload=``) and routing options (last positional at
    index 2 or more, or ``opts=``); ``None`` when the call lacks either."""
    positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
    keywords = {arg.keyword.value: arg for arg in node.args if arg.keyword is not None}
    payload = keywords.get("payload") or (positional[1] if len(positional) >= 2 else None)
    routing = keywords.get("opts") or (positional[-1] if len(positional) >= 3 else None)
    if payload is None or routing is None or payload is routing:
        return None
    return DispatchArguments(payload, routing)


def _slot(value: Value) -> SlotValue:
    return value.slot if isinstance(value, Mapping) else Slot.UNKNOWN


def _clobbered(state: State) -> tuple[str, ...]:
    names: set[str] = set()
    for key, value in state.items():
        if key.startswith(OVERRIDE_MARK) and isinstance(value, Mapping) and value.override:
            current = state.get(value.override)
            if not isinstance(current, Mapping) or current.override != value.override:
                names.add(value.override)
    return tuple(sorted(names))


def check(
    interpreter: CallEvaluator,
    node: cst.Call,
    values: Sequence[Value],
    state: State,
    written: cst.Call | None = None,
) -> None:
    """Check one dispatch on one path. ``node`` holds the arguments; ``written`` is the
    call as the source spells it when that differs (`send(payload, opts)` through
    `send = partial(client.execute, "tool")`)."""
    arguments = dispatch_arguments(node)
    if arguments is None:
        return
    at = written or node
    by_arg = dict(zip((id(arg) for arg in node.args), values, strict=True))
    payload_value = by_arg[id(arguments.payload)]
    payload = _slot(payload_value)
    routing = _slot(by_arg[id(arguments.routing)])
    reporter = interpreter.ctx.reporter
    names = interpreter.names
    overrides, refs = interpreter.sources_seen_so_far()
    site = DispatchSite(
        at,
        arguments.payload.value,
        arguments.routing.value,
        overrides,
        refs,
        interpreter.info,
        payload_assumed=isinstance(payload_value, Mapping) and payload_value.assumed,
        resolved=reporter.resolved.setdefault(id(at), []),
        pairs=reporter.pairs.setdefault(id(at), []),
        clobbered=_clobbered(state),
    )
    for side in (payload, routing):
        if (
            isinstance(side, Session)
            and side.origin is Origin.RESOLVED
            and not side.missing
            and side.node is not None
            and side.node not in site.resolved
        ):
            site.resolved.append(side.node)
    pair = (
        payload.node if isinstance(payload, Session) else None,
        routing.node if isinstance(routing, Session) else None,
    )
    if pair not in site.pairs:
        site.pairs.append(pair)
    sources = ", ".join(overrides + refs)
    resolver = names.resolver_name
    details = {"resolver": resolver, "overrides": sources, "key": names.session_key}

    found_ambient = False
    for side in (payload, routing):
        if not isinstance(side, Session):
            continue
        if side.is_ambient and side.node is not None:
            found_ambient = True
            reporter.report(
                _AMBIENT_RULES[side.via],
                side.node,
                site,
                source=side.key,
                builder=side.key,
                **details,
            )
        elif side.origin is Origin.RESOLVED and side.missing and side.node is not None:
            missing = " and ".join(f"`{name}`" for name in side.missing)
            reporter.report(
                ResolverDropsOverride,
                side.node,
                site,
                missing=missing,
                suggestion=sources,
                **details,
            )
    if found_ambient:
        return
    if isinstance(payload, Session) and isinstance(routing, Session):
        if not payload.same_value(routing):
            reporter.report(SplitSession, at, site, **details)
        elif (
            payload.origin is Origin.RESOLVED
            and payload.node is not None
            and routing.node is not None
            and payload.node is not routing.node
        ):
            reporter.report(RepeatedResolution, at, site, **details)
    elif isinstance(payload, Session) and routing in (Slot.ABSENT, Slot.MAYBE):
        reporter.report(MissingRoutingSession, at, site, **details)
