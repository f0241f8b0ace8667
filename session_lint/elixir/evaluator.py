"""Abstract evaluation of Elixir function clauses into the core's values.

Elixir is immutable and a binding inside a branch does not leak out of it, so a block's
paths only fork at a match (``pattern = expression``) whose expression has several
alternative values (a ``case``, an ``if``, a ``with``...). ``eval`` returns the
alternatives of an expression; each one keeps its own path, so a payload and a routing
session set together on each branch stay correct.
"""

from __future__ import annotations

from collections.abc import Sequence

from tree_sitter import Node

from session_lint.core.lattice import State, dedupe, join, merged_slot
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
from session_lint.elixir.calls import CallEvaluator
from session_lint.elixir.context import as_mapping
from session_lint.elixir.index import Clause
from session_lint.elixir.syntax import (
    block_body,
    children,
    flat_text,
    identifiers,
    keyword_pairs,
    left,
    operator,
    right,
    stab_clauses,
    stab_parts,
    text,
)

MAX_ALTERNATIVES = 8  # values of one expression kept apart before they are joined


def _alternatives(values: Sequence[Value]) -> list[Value]:
    unique = list(dict.fromkeys(values))
    return unique if len(unique) <= MAX_ALTERNATIVES else [join(unique)]


class Evaluator(CallEvaluator):
    """Blocks, bindings, expressions and containers; calls are the part below."""

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
            slot = merged_slot(as_mapping(join(second)).slot, as_mapping(join(first)).slot)
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
    def _entries(self, pairs: list[tuple[Node, Node]], state: State) -> SlotValue:
        slot: SlotValue = Slot.ABSENT
        for key, value_node in pairs:
            value = join(self.eval(value_node, state))
            if self.names.is_session_key(self.key_of(key)):
                slot = self.session_of(value, value_node)
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
            base = as_mapping(join(self.eval(base_node, state)) if base_node else TOP)
            items = [rest] if rest is not None else []
            if rest is not None and rest.type in {"keywords", "binary_operator"}:
                items = children(rest) if rest.type == "keywords" else [rest]
        pairs = self._pairs(items)
        slot = self._entries(pairs, state)
        if base is None:
            return Mapping(slot)
        touched = any(self.names.is_session_key(self.key_of(key)) for key, _ in pairs)
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
        if items and all(item.type == "tuple" and len(children(item)) == 2 for item in items):
            # `[{"x-session-id", sid}]`: headers or metadata as (key, value) pairs
            pairs = [(children(item)[0], children(item)[1]) for item in items]
            return Mapping(self._entries(pairs, state))
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
        return self.read(base, self.key_of(key) if key is not None else None, node)

    # ----------------------------------------------------------------- branching
    def branching(
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
