"""Abstract evaluation of Elixir function clauses into the core's values.

Elixir is immutable and a binding inside a branch does not leak out of it, so a block's
paths only fork at a match (``pattern = expression``) whose expression has several
alternative values (a ``case``, an ``if``, a ``with``...). ``eval`` returns the
alternatives of an expression; each one keeps its own path, so a payload and a routing
session set together on each branch stay correct.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import product

from tree_sitter import Node

from session_lint.core.checks import (
    DispatchSite,
    Reporter,
    check_sessions,
    clobbered_overrides,
    slot_of,
)
from session_lint.core.lattice import MAX_PATHS, State, dedupe, join, merged_slot
from session_lint.core.values import (
    OVERRIDE_MARK,
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
from session_lint.elixir.index import Clause, ModuleInfo
from session_lint.elixir.names import ElixirNames
from session_lint.elixir.project import ElixirProject
from session_lint.elixir.syntax import (
    atom_value,
    block_body,
    call_parts,
    children,
    flat_text,
    identifiers,
    keyword_pairs,
    left,
    operator,
    right,
    stab_clauses,
    stab_parts,
    string_value,
    text,
)

MAX_ALTERNATIVES = 8  # values of one expression kept apart before they are joined
MAX_CALL_DEPTH = 8  # same-module calls followed inside one another
_MAP_MODULES = frozenset({"Map", "Keyword"})
_BRANCHING = frozenset({"case", "cond", "if", "unless", "with", "try", "receive"})


@dataclass
class ModuleContext:
    module: ModuleInfo
    names: ElixirNames
    reporter: Reporter
    summaries: dict[tuple[int, tuple[Value, ...]], Value] = field(default_factory=dict)
    running: set[int] = field(default_factory=set)
    project: ElixirProject | None = None  # None: calls into other modules stay opaque
    # the other modules' contexts, shared by every context of one file's run
    others: dict[str, ModuleContext] = field(default_factory=dict)

    def other(self, name: str) -> ModuleContext | None:
        """The context of project module ``name``, to evaluate its functions in."""
        if self.project is None or name == self.module.name:
            return None
        if name not in self.others:
            module = self.project.module(name)
            if module is None:
                return None
            self.others[name] = ModuleContext(
                module, self.names, self.reporter, project=self.project, others=self.others
            )
        return self.others[name]


def _alternatives(values: Sequence[Value]) -> list[Value]:
    unique = list(dict.fromkeys(values))
    return unique if len(unique) <= MAX_ALTERNATIVES else [join(unique)]


class Evaluator:
    """Evaluates one clause. In check mode its dispatches are checked; otherwise (a
    same-module builder called with known arguments) only its result is wanted."""

    def __init__(self, ctx: ModuleContext, *, check: bool, depth: int = 0) -> None:
        self.ctx = ctx
        self.names = ctx.names
        self.check = check
        self.depth = depth

    # ----------------------------------------------------------------- clauses and blocks
    def run_clause(self, clause: Clause, args: Sequence[Value] | None) -> Value:
        """The clause's result; ``args`` are the caller's values (``None``: parameters are
        valued by their names, as for a dispatching clause checked on its own)."""
        state: State = {}
        for index, param in enumerate(clause.params):
            value = args[index] if args is not None and index < len(args) else None
            self._bind_parameter(param, value, state)
        return join(self.block(list(clause.body), [state]))

    def _bind_parameter(self, param: Node, value: Value | None, state: State) -> None:
        if param.type == "binary_operator" and operator(param) == "\\\\":
            param = left(param) or param  # `opts \\ []`
        if param.type == "binary_operator" and operator(param) == "=":
            # `%Ref{} = ref` / `ref = %Ref{}`: a struct of a ref type names a ref
            sides = [side for side in (left(param), right(param)) if side is not None]
            struct = next((s for s in sides if self._ref_struct(s)), None)
            named = next((s for s in sides if s.type == "identifier"), None)
            if struct is not None and named is not None:
                state[text(named)] = RefParameter(text(named))
                return
        if param.type == "identifier":
            name = text(param)
            self.bind_name(name, self._parameter_value(name) if value is None else value, state)
            return
        for name in identifiers(param):
            state[name] = TOP

    def _ref_struct(self, node: Node) -> bool:
        if node.type != "map":
            return False
        struct = next((c for c in children(node) if c.type == "struct"), None)
        return struct is not None and text(struct).rsplit(".", 1)[-1] in self.names.ref_types

    def _parameter_value(self, name: str) -> Value:
        if name in self.names.ref_names:
            return RefParameter(name)
        if name in self.names.override_names:
            return Mapping(Slot.MAYBE, override=name)
        return TOP

    def block(self, body: Sequence[Node], states: list[State]) -> list[Value]:
        """The values of a block's last expression over every path through it."""
        results: list[Value] = [TOP]
        for position, node in enumerate(body):
            last = position == len(body) - 1
            next_states: list[State] = []
            results = []
            for state in states:
                if node.type == "binary_operator" and operator(node) == "=":
                    pattern, source = left(node), right(node)
                    values = self.eval(source, state) if source is not None else [TOP]
                    for value in values:
                        forked = dict(state)
                        if pattern is not None and source is not None:
                            self.bind(pattern, source, value, forked)
                        next_states.append(forked)
                    results.extend(values)
                else:
                    results.extend(self.eval(node, state))
                    next_states.append(state)
            states = dedupe(next_states) or states[:1]
            if last:
                break
        return _alternatives(results)

    # ----------------------------------------------------------------- binding
    def bind_name(self, name: str, value: Value, state: State) -> None:
        if name.startswith("_"):
            return
        if isinstance(value, Mapping) and value.override == "":
            value = Mapping(value.slot, override=name)
        state[name] = value
        if isinstance(value, Mapping) and value.override:
            # remembered apart from its name: rebinding the name clobbers the caller's
            # override, which stays in scope, now dropped
            state[OVERRIDE_MARK + value.override] = value

    def bind(self, pattern: Node, source: Node | None, value: Value, state: State) -> None:
        if pattern.type == "identifier":
            self.bind_name(text(pattern), value, state)
            return
        if pattern.type == "tuple":
            elements = children(pattern)
            if isinstance(value, Fixed) and len(value.elements) == len(elements):
                for element, item in zip(elements, value.elements, strict=True):
                    self.bind(element, None, item, state)
                return
            from_call = source is not None and source.type == "call"
            for element in elements:
                if element.type == "identifier":
                    name = text(element)
                    # `{kwargs, idempotent, extra_args, runtime_opts} = split_opts(opts)`: a
                    # name reserved for overrides, unpacked from a call, holds the caller's
                    # override options
                    override = from_call and name in self.names.override_names
                    self.bind_name(name, Mapping(Slot.MAYBE, "") if override else TOP, state)
                else:
                    self.bind(element, None, TOP, state)
            return
        if pattern.type == "binary_operator" and operator(pattern) == "=":
            for side in (left(pattern), right(pattern)):
                if side is not None:
                    self.bind(side, None, value, state)
            return
        for name in identifiers(pattern):
            self.bind_name(name, TOP, state)

    # ----------------------------------------------------------------- expressions
    def eval(self, node: Node, state: State) -> list[Value]:
        kind = node.type
        if kind == "identifier":
            return [state.get(text(node), TOP)]
        if kind == "call":
            return self.eval_call(node, None, state)
        if kind == "binary_operator":
            return self._binary(node, state)
        if kind == "map":
            return [self._map(node, state)]
        if kind == "list":
            return [self._list(node, state)]
        if kind == "keywords":
            return [self._keywords(node, state)]
        if kind == "tuple":
            return [Fixed(tuple(join(self.eval(item, state)) for item in children(node)))]
        if kind == "access_call":
            return [self._access(node, state)]
        if kind == "anonymous_function":
            self._closures(node, state)
            return [TOP]
        if kind == "block":
            return self.block(children(node), [dict(state)])
        if kind == "unary_operator" and operator(node) == "@":
            return [self._attribute(node, state)]
        for child in children(node):
            self.eval(child, state)
        return [TOP]

    def _binary(self, node: Node, state: State) -> list[Value]:
        op = operator(node)
        lhs, rhs = left(node), right(node)
        if lhs is None or rhs is None:
            return [TOP]
        if op == "|>":
            if rhs.type == "call":
                return self.eval_call(rhs, lhs, state)
            self.eval(lhs, state)
            return self.eval(rhs, state)
        if op == "=":
            self.eval(lhs, state)
            return self.eval(rhs, state)
        if op in {"||", "or"}:
            return self._precedence(node, self.eval(lhs, state), self.eval(rhs, state))
        first, second = self.eval(lhs, state), self.eval(rhs, state)
        if op == "++" and all(isinstance(v, Mapping) for v in (*first, *second)):
            # keyword lists: `Keyword.get` finds the left-hand entry first
            slot = merged_slot(_as_mapping(join(second)).slot, _as_mapping(join(first)).slot)
            return [Mapping(slot)]
        return second if op in {"&&", "and"} else [TOP]

    def _precedence(self, node: Node, first: list[Value], second: list[Value]) -> list[Value]:
        """`a || b`: ending in the ambient getter is a hand-rolled precedence."""
        if any(isinstance(v, Session) and v.is_ambient and v.via is Via.READ for v in second):
            key = flat_text(node)
            return [Session(Origin.AMBIENT, key, node, Via.HAND_ROLLED)]
        return [join([*first, *second])]

    def _closures(self, node: Node, state: State) -> None:
        """A function literal is evaluated where it is written, with the enclosing
        bindings: the dispatch usually sits in `execute_with_telemetry(meta, fn -> ... end)`."""
        for clause in stab_clauses(node):
            patterns, body = stab_parts(clause)
            inner = dict(state)
            for pattern in patterns:
                self.bind(pattern, None, TOP, inner)
            self.block(body, [inner])

    def _attribute(self, node: Node, state: State) -> Value:
        operand = node.child_by_field_name("operand")
        if operand is None or operand.type != "identifier":
            return TOP
        value = self.ctx.module.attributes.get(text(operand))
        return join(self.eval(value, {})) if value is not None else TOP

    # ----------------------------------------------------------------- keys and mappings
    def key_of(self, node: Node) -> str | None:
        """A key spelt as a string, an atom or a module attribute holding one."""
        if node.type == "unary_operator" and operator(node) == "@":
            operand = node.child_by_field_name("operand")
            held = self.ctx.module.attributes.get(text(operand)) if operand else None
            return self.key_of(held) if held is not None else None
        return string_value(node) or atom_value(node)

    def _session_of(self, value: Value, node: Node | None) -> SlotValue:
        if isinstance(value, Session):
            return value
        if node is None:
            return Slot.UNKNOWN
        return Session(Origin.OPAQUE, flat_text(node), node)

    def _entries(self, pairs: list[tuple[Node, Node]], state: State) -> SlotValue:
        slot: SlotValue = Slot.ABSENT
        for key, value_node in pairs:
            value = join(self.eval(value_node, state))
            if self.key_of(key) == self.names.session_key:
                slot = self._session_of(value, value_node)
        return slot

    def _map(self, node: Node, state: State) -> Value:
        content = next((c for c in children(node) if c.type == "map_content"), None)
        if any(c.type == "struct" for c in children(node)) and content is None:
            return Mapping(Slot.ABSENT)
        if content is None:
            return Mapping(Slot.ABSENT)
        items = children(content)
        base: Mapping | None = None
        if len(items) == 1 and items[0].type == "binary_operator" and operator(items[0]) == "|":
            # `%{payload | "session_id" => sid}`
            update = items[0]
            base_node, rest = left(update), right(update)
            base = _as_mapping(join(self.eval(base_node, state)) if base_node else TOP)
            items = [rest] if rest is not None else []
            if rest is not None and rest.type in {"keywords", "binary_operator"}:
                items = children(rest) if rest.type == "keywords" else [rest]
        pairs = self._pairs(items)
        slot = self._entries(pairs, state)
        if base is None:
            return Mapping(slot)
        touched = any(self.key_of(key) == self.names.session_key for key, _ in pairs)
        return Mapping(slot if touched else base.slot, base.override)

    def _pairs(self, items: list[Node]) -> list[tuple[Node, Node]]:
        pairs: list[tuple[Node, Node]] = []
        for item in items:
            if item.type == "binary_operator" and operator(item) == "=>":
                key, value = left(item), right(item)
                if key is not None and value is not None:
                    pairs.append((key, value))
            elif item.type == "keywords":
                pairs.extend(keyword_pairs(item))
            elif item.type == "pair":
                key, value = item.child_by_field_name("key"), item.child_by_field_name("value")
                if key is not None and value is not None:
                    pairs.append((key, value))
        return pairs

    def _list(self, node: Node, state: State) -> Value:
        items = children(node)
        keywords = [item for item in items if item.type == "keywords"]
        for item in items:
            if item.type != "keywords":
                self.eval(item, state)
        if not items:
            return Mapping(Slot.ABSENT)  # `[]`: empty options
        if keywords:
            return self._keywords(keywords[0], state)
        return TOP

    def _keywords(self, node: Node, state: State) -> Value:
        pairs = keyword_pairs(node)
        runtime = next((v for k, v in pairs if self.key_of(k) == self.names.runtime_key), None)
        if runtime is not None:
            self.eval(runtime, state)
        return Mapping(self._entries(pairs, state))

    def _access(self, node: Node, state: State) -> Value:
        target = node.child_by_field_name("target")
        key = node.child_by_field_name("key")
        base = join(self.eval(target, state)) if target is not None else TOP
        return self._read(base, self.key_of(key) if key is not None else None, node)

    def _read(self, base: Value, key: str | None, node: Node) -> Value:
        if key == self.names.runtime_key:
            return Mapping(Slot.MAYBE, override="")  # the caller's `__runtime__` options
        if key != self.names.session_key:
            return TOP
        if isinstance(base, Mapping) and isinstance(base.slot, Session):
            slot = base.slot
            if slot.is_ambient:
                return Session(Origin.AMBIENT, flat_text(node), node, Via.READ_BACK)
            return slot
        return Session(Origin.OPAQUE, flat_text(node), node)

    # ----------------------------------------------------------------- calls
    def eval_call(self, node: Node, piped: Node | None, state: State) -> list[Value]:
        parts = call_parts(node)
        if parts.receiver is None and parts.name in _BRANCHING:
            return self._branching(parts.name, parts.args, parts.do_block, state)
        arg_nodes = [piped, *parts.args] if piped is not None else list(parts.args)
        if parts.receiver is not None and parts.receiver.type != "alias":
            self.eval(parts.receiver, state)
        alternatives = [self.eval(arg, state) for arg in arg_nodes]
        if parts.do_block is not None:
            own, extra = block_body(parts.do_block)
            self.block(own, [dict(state)])
            for other in extra:
                self.block(children(other), [dict(state)])
        if parts.receiver is not None and parts.name in self.names.sinks:
            if self.check:
                self._check_dispatch(node, arg_nodes, alternatives, state)
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
        qualified = names.qualify(receiver, name, self.ctx.module)
        if names.resolver.matches(qualified):
            passed = ", ".join(flat_text(arg) for arg in args)
            return Session(Origin.RESOLVED, passed, node, missing=self._missing(args, state))
        if names.ambient.matches(qualified):
            return Session(Origin.AMBIENT, f"{name}()", node)
        if names.routing_helpers.matches(qualified):
            if len(values) >= 2:
                return Mapping(self._session_of(values[1], args[1]))
            return Mapping(Slot.UNKNOWN)
        if receiver is not None and receiver.type == "alias" and text(receiver) in _MAP_MODULES:
            return self._map_function(name, node, args, values)
        local = receiver is None or text(receiver) in {"__MODULE__", self.ctx.module.name}
        clauses = self.ctx.module.clauses.get(name) if local else None
        if clauses:
            return self._same_module_call(name, node, clauses, values)
        if receiver is not None and receiver.type == "alias":
            return self._other_module_call(receiver, name, qualified, node, values)
        return TOP

    def _other_module_call(
        self, receiver: Node, name: str, qualified: str, node: Node, values: list[Value]
    ) -> Value:
        """A function of another module of the project, evaluated in its own module and
        reported at this call under the name it is written with (``Payload.base_payload``)."""
        other = self.ctx.other(qualified.rsplit(".", 1)[0])
        clauses = other.module.clauses.get(name) if other is not None else None
        if other is None or not clauses:
            return TOP
        inner = Evaluator(other, check=False, depth=self.depth)
        written = f"{flat_text(receiver)}.{name}"
        return _anchored(inner._same_module_call(written, node, clauses, values), node)

    def _map_function(self, name: str, node: Node, args: list[Node], values: list[Value]) -> Value:
        """`Map.put/3`, `Map.merge/2`, `Map.get/2,3`, `Map.fetch!/2`, `Keyword.put/3`,
        `Keyword.put_new/3`, `Keyword.get/2,3`, `Keyword.pop/3`, `Map.delete/2`."""
        key = self.key_of(args[1]) if len(args) >= 2 else None
        base = _as_mapping(values[0]) if values else Mapping(Slot.UNKNOWN)
        session_key = self.names.session_key
        if name in {"put", "put_new"} and len(values) >= 3:
            if key != session_key:
                return Mapping(base.slot, base.override)
            if name == "put_new" and isinstance(base.slot, Session):
                return Mapping(base.slot)
            return Mapping(self._session_of(values[2], args[2]))
        if name in {"get", "fetch!"} and len(values) >= 2:
            return self._read(values[0], key, node)
        if name == "pop" and len(values) >= 2 and key == self.names.runtime_key:
            return Fixed((Mapping(Slot.MAYBE, override=""), TOP))
        if name == "merge" and len(values) == 2:
            return Mapping(merged_slot(base.slot, _as_mapping(values[1]).slot))
        if name == "delete" and len(values) == 2:
            return Mapping(Slot.ABSENT) if key == session_key else Mapping(base.slot)
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
            inner = Evaluator(self.ctx, check=False, depth=self.depth + 1)
            result = join([inner.run_clause(clause, values) for clause in matching])
        finally:
            self.ctx.running.discard(id(matching[0]))
        self.ctx.summaries[key] = result
        return result

    def _branching(
        self, name: str, args: list[Node], do_block: Node | None, state: State
    ) -> list[Value]:
        """`case`, `cond`, `if`, `unless`, `with`, `try`, `receive`: the alternatives are the
        values of every branch, each evaluated from the state before it."""
        inner = dict(state)
        for arg in args:
            if arg.type == "binary_operator" and operator(arg) in {"<-", "="}:
                pattern, source = left(arg), right(arg)  # a `with` clause
                if pattern is not None and source is not None:
                    self.bind(pattern, source, join(self.eval(source, inner)), inner)
            elif arg.type == "keywords":
                return [v for _, body in keyword_pairs(arg) for v in self.eval(body, inner)]
            else:
                self.eval(arg, inner)
        if do_block is None:
            return [TOP]
        results: list[Value] = []
        own, extra = block_body(do_block)
        for body, branch_state in [(own, inner), *((children(b), state) for b in extra)]:
            clauses = [node for node in body if node.type == "stab_clause"]
            if not clauses:
                results.extend(self.block(body, [dict(branch_state)]))
                continue
            for clause in clauses:
                patterns, clause_body = stab_parts(clause)
                forked = dict(branch_state)
                for pattern in patterns:
                    self.bind(pattern, None, TOP, forked)
                results.extend(self.block(clause_body, [forked]))
        if name in {"if", "unless"} and not extra:
            results.append(TOP)
        return _alternatives(results)

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
        self, node: Node, args: list[Node], alternatives: list[list[Value]], state: State
    ) -> None:
        """The payload is the second argument, routing the last one from the third on."""
        if len(args) < 3:
            return
        payloads, routings = alternatives[1], alternatives[-1]
        overrides, refs = _sources(state)
        reporter = self.ctx.reporter
        site = DispatchSite(
            node,
            args[1],
            args[-1],
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
        for payload, routing in list(product(payloads, routings))[:MAX_PATHS]:
            check_sessions(reporter, slot_of(payload), slot_of(routing), site, details)


def _anchored(value: Value, node: Node) -> Value:
    """``value`` with the sessions another file made reported at ``node``, the call."""
    if isinstance(value, Session):
        return replace(value, node=node)
    if isinstance(value, Mapping) and isinstance(value.slot, Session):
        return replace(value, slot=replace(value.slot, node=node))
    if isinstance(value, Fixed):
        return Fixed(tuple(_anchored(element, node) for element in value.elements))
    return value


def _as_mapping(value: Value) -> Mapping:
    return value if isinstance(value, Mapping) else Mapping(Slot.UNKNOWN)


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
