"""The checks at a dispatch: are payload and routing sessions one resolved value?

Language-neutral: a front end finds the dispatch, values its payload and routing
arguments, and hands both slots here with the site it reports at.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from session_lint.core.values import (
    OVERRIDE_MARK,
    Mapping,
    Node,
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

_AMBIENT_RULES: dict[Via, type[Rule]] = {
    Via.READ: AmbientSessionAtDispatch,
    Via.BUILDER: AmbientBuilderNotOverridden,
    Via.READ_BACK: RoutingFromAmbientPayload,
    Via.HAND_ROLLED: HandRolledPrecedence,
}


@dataclass(frozen=True)
class DispatchSite:
    """The dispatch a finding was made at, with what a fix needs to know about it. Nodes
    are the front end's own; ``function`` is its description of the enclosing function."""

    call: Node
    payload: Node
    routing: Node
    overrides: tuple[str, ...]  # override variables in scope
    refs: tuple[str, ...]  # ref parameters in scope
    function: Node | None
    payload_assumed: bool = False  # the payload's session key is inferred, not seen
    # resolver calls that drop nothing feeding it on any path (shared by its paths' sites)
    resolved: list[Node] = field(default_factory=list, compare=False)
    # (payload, routing) session nodes on each path, shared like ``resolved``
    pairs: list[tuple[Node | None, Node | None]] = field(default_factory=list, compare=False)
    clobbered: tuple[str, ...] = ()  # overrides whose name was rebound to something else
    # why no fix may write a session into the payload or the routing carrier (a protobuf
    # request, gRPC metadata, HTTP headers), or ``None``: they are plain mappings
    carrier_fix_limit: str | None = None


@dataclass(frozen=True)
class Finding:
    rule: type[Rule]
    node: Node
    message: str
    site: DispatchSite | None = None


def naming_the_key(finding: Finding, key: str) -> Finding:
    """With several key families (``contract`` tables), a finding says which key it is
    about: `` `correlation_id`: ...``."""
    return replace(finding, message=f"`{key}`: {finding.message}")


@dataclass
class Reporter:
    """Findings of one module, at most one per (rule, node) whatever the number of paths.
    ``language`` picks the spelling of messages (``Rule.message``)."""

    language: str = "python"
    findings: dict[tuple[str, int], Finding] = field(default_factory=dict)
    resolved: dict[int, list[Node]] = field(default_factory=dict)  # by dispatch
    pairs: dict[int, list[tuple[Node | None, Node | None]]] = field(default_factory=dict)

    def report(
        self,
        rule: type[Rule],
        node: Node,
        site: DispatchSite | None = None,
        **details: str,
    ) -> None:
        key = (rule.CODE, id(node))
        if key not in self.findings:
            message = rule.message(language=self.language, **details)
            self.findings[key] = Finding(rule, node, message, site)


def slot_of(value: Value) -> SlotValue:
    return value.slot if isinstance(value, Mapping) else Slot.UNKNOWN


def clobbered_overrides(state: dict[str, Value]) -> tuple[str, ...]:
    """Overrides whose variable was rebound to something other than the override."""
    names: set[str] = set()
    for key, value in state.items():
        if key.startswith(OVERRIDE_MARK) and isinstance(value, Mapping) and value.override:
            current = state.get(value.override)
            if not isinstance(current, Mapping) or current.override != value.override:
                names.add(value.override)
    return tuple(sorted(names))


def check_sessions(
    reporter: Reporter,
    payload: SlotValue,
    routing: SlotValue,
    site: DispatchSite,
    details: dict[str, str],
) -> None:
    """Check one dispatch on one path; ``details`` fill the messages (resolver,
    overrides, key)."""
    at = site.call
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
    sources = ", ".join(site.overrides + site.refs)

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
