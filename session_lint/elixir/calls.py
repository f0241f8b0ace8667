"""Calls in Elixir code: the ambient getter, the resolver, routing helpers, `Map` and
`Keyword` functions, functions of this module and of other modules of the project, and
the dispatches, whose sessions are checked here."""

from __future__ import annotations

from dataclasses import replace
from itertools import product

from tree_sitter import Node

from session_lint.core.checks import (
    DispatchSite,
    check_sessions,
    clobbered_overrides,
    slot_of,
)
from session_lint.core.lattice import MAX_PATHS, State, join, merged_slot
from session_lint.core.values import (
    TOP,
    Fixed,
    Mapping,
    Origin,
    RefParameter,
    Session,
    Slot,
    SlotValue,
    Value,
    Via,
)
from session_lint.elixir.context import EvaluatorBase, as_mapping
from session_lint.elixir.index import Clause
from session_lint.elixir.syntax import (
    block_body,
    call_parts,
    children,
    flat_text,
    identifiers,
    keyword_pairs,
    operator,
    text,
)
from session_lint.shapes import LAST, Place, SinkShape

MAX_CALL_DEPTH = 8  # same-module calls followed inside one another
_MAP_MODULES = frozenset({"Map", "Keyword"})
_BRANCHING = frozenset({"case", "cond", "if", "unless", "with", "try", "receive"})
_ENV_READS = frozenset({"System.get_env", "System.fetch_env!"})


class CallEvaluator(EvaluatorBase):
    # ----------------------------------------------------------------- calls
    def eval_call(self, node: Node, piped: Node | None, state: State) -> list[Value]:
        parts = call_parts(node)
        if parts.receiver is None and parts.name in _BRANCHING:
            return self.branching(parts.name, parts.args, parts.do_block, state)
        arg_nodes = [piped, *parts.args] if piped is not None else list(parts.args)
        if parts.receiver is not None and parts.receiver.type != "alias":
            self.eval(parts.receiver, state)
        alternatives = [self.eval(arg, state) for arg in arg_nodes]
        if parts.do_block is not None:
            own, extra = block_body(parts.do_block)
            self.block(own, [dict(state)])
            for other in extra:
                self.block(children(other), [dict(state)])
        shape = (
            self.names.sink_shape(parts.receiver, parts.name, self.ctx.module)
            if parts.name in self.names.sinks
            else None
        )
        if shape is not None:
            if self.check:
                self._check_dispatch(node, shape, arg_nodes, alternatives, state)
            return [TOP]
        values = [join(alts) for alts in alternatives]
        return [self._known_call(node, parts.receiver, parts.name, arg_nodes, values, state)]

    def _known_call(
        self,
        node: Node,
        receiver: Node | None,
        name: str | None,
        args: list[Node],
        values: list[Value],
        state: State,
    ) -> Value:
        if name is None:
            return TOP
        names = self.names
        candidates = names.qualified_names(receiver, name, self.ctx.module)
        qualified = candidates[0]
        if names.matches(names.resolver, candidates):
            passed = ", ".join(flat_text(arg) for arg in args)
            return Session(Origin.RESOLVED, passed, node, missing=self._missing(args, state))
        if names.matches(names.ambient, candidates):
            return Session(Origin.AMBIENT, f"{name}()", node)
        if self._reads_ambient_env(qualified, args):
            return Session(Origin.AMBIENT, flat_text(node), node)
        if names.matches(names.routing_helpers, candidates):
            if len(values) >= 2:
                return Mapping(self.session_of(values[1], args[1]))
            return Mapping(Slot.UNKNOWN)
        if receiver is not None and receiver.type == "alias" and text(receiver) in _MAP_MODULES:
            return self._map_function(name, node, args, values)
        local = receiver is None or text(receiver) in {"__MODULE__", self.ctx.module.name}
        clauses = self.ctx.module.clauses.get(name) if local else None
        if clauses:
            return self._same_module_call(name, node, clauses, values)
        if receiver is not None and receiver.type == "alias":
            found = self._other_module_call(
                f"{flat_text(receiver)}.{name}", qualified, node, values
            )
            return TOP if found is None else found
        for imported in candidates[1:]:  # `import Bridge.Payload` then `call_payload(...)`
            found = self._other_module_call(name, imported, node, values)
            if found is not None:
                return found
        return TOP

    def _reads_ambient_env(self, qualified: str, args: list[Node]) -> bool:
        """``System.get_env("NAME")`` (or ``fetch_env!``) of a configured ``ambient-env``."""
        return (
            bool(self.names.ambient_env)
            and qualified in _ENV_READS
            and bool(args)
            and self.key_of(args[0]) in self.names.ambient_env
        )

    def _other_module_call(
        self, written: str, qualified: str, node: Node, values: list[Value]
    ) -> Value | None:
        """A function of another module of the project, evaluated in its own module and
        reported at this call under the name it is written with (``Payload.base_payload``);
        ``None`` when the project has no such function."""
        module, _, name = qualified.rpartition(".")
        other = self.ctx.other(module)
        clauses = other.module.clauses.get(name) if other is not None else None
        if other is None or not clauses:
            return None
        inner = type(self)(other, check=False, depth=self.depth)
        return _anchored(inner._same_module_call(written, node, clauses, values), node)

    def _map_function(self, name: str, node: Node, args: list[Node], values: list[Value]) -> Value:
        """`Map.put/3`, `Map.merge/2`, `Map.get/2,3`, `Map.fetch!/2`, `Keyword.put/3`,
        `Keyword.put_new/3`, `Keyword.get/2,3`, `Keyword.pop/3`, `Map.delete/2`."""
        key = self.key_of(args[1]) if len(args) >= 2 else None
        base = as_mapping(values[0]) if values else Mapping(Slot.UNKNOWN)
        if name in {"put", "put_new"} and len(values) >= 3:
            if not self.names.is_session_key(key):
                return Mapping(base.slot, base.override)
            if name == "put_new" and isinstance(base.slot, Session):
                return Mapping(base.slot)
            return Mapping(self.session_of(values[2], args[2]))
        if name in {"get", "fetch!"} and len(values) >= 2:
            return self.read(values[0], key, node)
        if name == "pop" and len(values) >= 2 and key == self.names.runtime_key:
            return Fixed((Mapping(Slot.MAYBE, override=""), TOP))
        if name == "merge" and len(values) == 2:
            return Mapping(merged_slot(base.slot, as_mapping(values[1]).slot))
        if name == "delete" and len(values) == 2:
            return Mapping(Slot.ABSENT) if self.names.is_session_key(key) else Mapping(base.slot)
        if name == "new" and not values:
            return Mapping(Slot.ABSENT)
        return TOP

    def _same_module_call(
        self, name: str, node: Node, clauses: list[Clause], values: list[Value]
    ) -> Value:
        """A same-module function called with these values: the join of the clauses that
        may match, reported at this call when it embeds or returns the ambient session."""
        result = self._summary(clauses, tuple(values))
        handed = {v for v in values if isinstance(v, Session)}
        if isinstance(result, Mapping) and result.slot in handed:
            return Mapping(result.slot)  # a helper storing the session it was handed
        if isinstance(result, Mapping) and isinstance(result.slot, Session):
            slot = result.slot
            if slot.is_ambient and slot.via in (Via.READ, Via.BUILDER):
                return Mapping(Session(Origin.AMBIENT, name, node, Via.BUILDER))
        if isinstance(result, Session) and result.is_ambient and result.via is Via.READ:
            return Session(Origin.AMBIENT, f"{name}()", node)
        return result

    def _summary(self, clauses: list[Clause], values: tuple[Value, ...]) -> Value:
        matching = [c for c in clauses if _may_match(c, values)]
        if not matching or self.depth >= MAX_CALL_DEPTH:
            return TOP
        key = (id(matching[0]), values)
        if key in self.ctx.summaries:
            return self.ctx.summaries[key]
        if id(matching[0]) in self.ctx.running:
            return TOP  # recursion: assume nothing
        self.ctx.running.add(id(matching[0]))
        try:
            inner = type(self)(self.ctx, check=False, depth=self.depth + 1)
            result = join([inner.run_clause(clause, values) for clause in matching])
        finally:
            self.ctx.running.discard(id(matching[0]))
        self.ctx.summaries[key] = result
        return result

    # ----------------------------------------------------------------- dispatch
    def _missing(self, args: list[Node], state: State) -> tuple[str, ...]:
        passed: set[str] = set()
        for arg in args:
            for name in identifiers(arg):
                value = state.get(name)
                if isinstance(value, Mapping) and value.override:
                    passed.add(value.override)
                elif isinstance(value, RefParameter):
                    passed.add(value.name)
        overrides, refs = _sources(state)
        return tuple(name for name in overrides + refs if name not in passed)

    def _check_dispatch(
        self,
        node: Node,
        shape: SinkShape,
        args: list[Node],
        alternatives: list[list[Value]],
        state: State,
    ) -> None:
        """The payload and the routing where ``shape`` puts them (today's: the second
        argument, and the last one from the third on; a keyword place is a key of the
        trailing keyword list, `call(request, metadata: md)`)."""
        payload = self._argument_at(shape.payload, args, alternatives, state)
        routing = self._argument_at(shape.routing, args, alternatives, state)
        if payload is None or routing is None or payload[0] is routing[0]:
            return
        (payload_node, payloads), (routing_node, routings) = payload, routing
        overrides, refs = _sources(state)
        reporter = self.ctx.reporter
        site = DispatchSite(
            node,
            payload_node,
            routing_node,
            overrides,
            refs,
            None,
            resolved=reporter.resolved.setdefault(id(node), []),
            pairs=reporter.pairs.setdefault(id(node), []),
            clobbered=clobbered_overrides(state),
        )
        details = {
            "resolver": self.names.resolver_name,
            "overrides": ", ".join(overrides + refs),
            "key": self.names.session_key,
        }
        for payload_value, routing_value in list(product(payloads, routings))[:MAX_PATHS]:
            if shape.routing_is_session:  # `execute_in_session(sid, ...)`: the session itself
                routing_slot: SlotValue = self.session_of(routing_value, routing_node)
            else:
                routing_slot = slot_of(routing_value)
            check_sessions(reporter, slot_of(payload_value), routing_slot, site, details)

    def _argument_at(
        self, place: Place, args: list[Node], alternatives: list[list[Value]], state: State
    ) -> tuple[Node, list[Value]] | None:
        """The argument at ``place`` and its values, or ``None`` when the call has none."""
        if place.keyword is not None and args and args[-1].type == "keywords":
            for key, value in keyword_pairs(args[-1]):
                if self.key_of(key) == place.keyword:
                    return value, self.eval(value, state)
        if place.index == LAST:
            return (args[-1], alternatives[-1]) if len(args) >= 3 else None
        if place.index is not None and place.index < len(args):
            return args[place.index], alternatives[place.index]
        return None


def _anchored(value: Value, node: Node) -> Value:
    """``value`` with the sessions another file made reported at ``node``, the call."""
    if isinstance(value, Session):
        return replace(value, node=node)
    if isinstance(value, Mapping) and isinstance(value.slot, Session):
        return replace(value, slot=replace(value.slot, node=node))
    if isinstance(value, Fixed):
        return Fixed(tuple(_anchored(element, node) for element in value.elements))
    return value


def _sources(state: State) -> tuple[tuple[str, ...], tuple[str, ...]]:
    overrides = {v.override for v in state.values() if isinstance(v, Mapping) and v.override}
    refs = {v.name for v in state.values() if isinstance(v, RefParameter)}
    return tuple(sorted(overrides)), tuple(sorted(refs))


def _may_match(clause: Clause, values: tuple[Value, ...]) -> bool:
    """Arity, and a `nil` parameter cannot match a known session."""
    required = sum(1 for p in clause.params if not _has_default(p))
    if not required <= len(values) <= len(clause.params):
        return False
    for param, value in zip(clause.params, values, strict=False):
        if param.type == "nil" and isinstance(value, Session):
            return False
    return True


def _has_default(param: Node) -> bool:
    return param.type == "binary_operator" and operator(param) == "\\\\"
