"""The Python side of a dispatch: find its payload and routing arguments, value them and
hand them to the language-neutral checks (``session_lint.core.checks``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from session_lint.core.checks import (
    DispatchSite,
    Finding,
    Reporter,
    check_sessions,
    clobbered_overrides,
    slot_of,
)
from session_lint.core.values import Mapping, Value
from session_lint.shapes import LAST, Place, SinkShape

if TYPE_CHECKING:
    from session_lint.flow.calls import CallEvaluator
    from session_lint.flow.core import State

__all__ = ["DispatchArguments", "DispatchSite", "Finding", "Reporter", "check"]


CARRIER_FIX_LIMIT = (
    "this sink's payload or routing is not known to be a dict, so the session cannot be "
    "written into it automatically; give both the one resolved value by hand"
)


@dataclass(frozen=True)
class DispatchArguments:
    payload: cst.Arg
    routing: cst.Arg


def dispatch_arguments(node: cst.Call, shape: SinkShape) -> DispatchArguments | None:
    """The payload and routing arguments where ``shape`` puts them (today's: the 2nd
    positional or ``payload=``, and the last positional at index 2 or more, or ``opts=``);
    ``None`` when the call lacks either."""
    positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
    keywords = {arg.keyword.value: arg for arg in node.args if arg.keyword is not None}
    payload = _argument_at(shape.payload, positional, keywords)
    routing = _argument_at(shape.routing, positional, keywords)
    if payload is None or routing is None or payload is routing:
        return None
    return DispatchArguments(payload, routing)


def _argument_at(
    place: Place, positional: list[cst.Arg], keywords: dict[str, cst.Arg]
) -> cst.Arg | None:
    if place.keyword is not None and place.keyword in keywords:
        return keywords[place.keyword]
    if place.index == LAST:
        return positional[-1] if len(positional) >= 3 else None
    if place.index is not None and place.index < len(positional):
        return positional[place.index]
    return None


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
    shape = interpreter.names.sink_shape(node)
    if shape is None:
        return
    arguments = dispatch_arguments(node, shape)
    if arguments is None:
        return
    at = written or node
    by_arg = dict(zip((id(arg) for arg in node.args), values, strict=True))
    payload_value = by_arg[id(arguments.payload)]
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
        clobbered=clobbered_overrides(state),
        carrier_fix_limit=None if shape.legacy else CARRIER_FIX_LIMIT,
    )
    details = {
        "resolver": names.resolver_name,
        "overrides": ", ".join(overrides + refs),
        "key": names.session_key,
    }
    routing_value = by_arg[id(arguments.routing)]
    if shape.routing_is_session:  # `routing_key=sid`: the argument is the session
        routing_slot = interpreter.to_session(routing_value, arguments.routing.value)
    else:
        routing_slot = slot_of(routing_value)
    check_sessions(reporter, slot_of(payload_value), routing_slot, site, details)
