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

if TYPE_CHECKING:
    from session_lint.flow.calls import CallEvaluator
    from session_lint.flow.core import State

__all__ = ["DispatchArguments", "DispatchSite", "Finding", "Reporter", "check"]


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
    )
    details = {
        "resolver": names.resolver_name,
        "overrides": ", ".join(overrides + refs),
        "key": names.session_key,
    }
    check_sessions(
        reporter, slot_of(payload_value), slot_of(by_arg[id(arguments.routing)]), site, details
    )
