"""Path-wise abstract evaluation of one function body.

Each path through the function is a ``State`` (local name -> abstract value). Branches fork
the list of states, joins concatenate and de-duplicate it, and a bound keeps it small: a
bug on any path is found, and correlated branches (payload and routing set together on
each branch) stay correct because each path is evaluated on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from session_lint.flow import dispatch
from session_lint.flow.index import FunctionInfo, ModuleIndex
from session_lint.flow.names import Names
from session_lint.flow.values import (
    TOP,
    Mapping,
    Origin,
    RefParameter,
    Session,
    Slot,
    SlotValue,
    Value,
    Via,
)
from session_lint.flow.walk import code_children

State = dict[str, Value]
MAX_PATHS = 64


@dataclass
class ModuleContext:
    """What every function evaluation of one module shares."""

    module: cst.Module
    names: Names
    index: ModuleIndex
    summary_of: Callable[[FunctionInfo], Value] = field(default=lambda info: TOP)
    reporter: dispatch.Reporter = field(default_factory=dispatch.Reporter)

    def text(self, node: cst.CSTNode) -> str:
        return " ".join(self.module.code_for_node(node).split())


def string_value(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal that spells it verbatim. Escapes and implicit
    concatenation are not followed, so a key we match is always in the file's bytes, which
    is what keeps the byte prefilter sound."""
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:  # an odd literal is simply not a key we know
            return None
        if isinstance(value, str) and value in node.value:
            return value
    return None


def _dedupe(states: Iterable[State]) -> list[State]:
    seen: set[frozenset[tuple[str, Value]]] = set()
    unique: list[State] = []
    for state in states:
        key = frozenset(state.items())
        if key not in seen:
            seen.add(key)
            unique.append(state)
        if len(unique) >= MAX_PATHS:
            break
    return unique


def join(values: Sequence[Value]) -> Value:
    """One value standing for several paths' values; an ambient one wins, since a bug on
    one path is a bug."""
    if not values:
        return TOP
    for value in values:
        if isinstance(value, Session) and value.is_ambient:
            return value
        if isinstance(value, Mapping) and isinstance(value.slot, Session) and value.slot.is_ambient:
            return value
    first = values[0]
    if all(value == first for value in values):
        return first
    if all(isinstance(value, Mapping) for value in values):
        slots = {value.slot for value in values if isinstance(value, Mapping)}
        return Mapping(slots.pop() if len(slots) == 1 else Slot.UNKNOWN)
    return TOP


class Interpreter:
    """Evaluates one function. In check mode, dispatches are checked and nested functions
    that dispatch are evaluated with this function's states as their closure; in summary
    mode, only the returned values are collected."""

    def __init__(self, ctx: ModuleContext, info: FunctionInfo | None, *, check: bool) -> None:
        self.ctx = ctx
        self.names = ctx.names
        self.info = info
        self.check = check
        self.returns: list[Value] = []
        self.loop_exits: list[list[State]] = []
        # every override and ref seen so far on any path: a fix resolves with all of them,
        # even when routing reuses the override's name later (`runtime_opts = ensure(...)`)
        self.sources_seen: dict[str, Value] = {}

    # ----------------------------------------------------------------- entry points
    def run_function(self, closure: Sequence[State]) -> None:
        assert self.info is not None
        states = [self._bind_parameters(dict(state)) for state in closure] or [
            self._bind_parameters({})
        ]
        for state in states:
            for name, value in state.items():
                self._note_source(name, value)
        self._suite(self.info.node.body, _dedupe(states))

    def _bind_parameters(self, state: State) -> State:
        assert self.info is not None
        params = self.info.node.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                every.append(star)
        for param in every:
            state[param.name.value] = self._parameter_value(param)
        return state

    def _parameter_value(self, param: cst.Param) -> Value:
        name = param.name.value
        annotation = param.annotation.annotation if param.annotation else None
        if name in self.names.ref_names or (
            annotation is not None and self._annotation_last(annotation) in self.names.ref_types
        ):
            return RefParameter(name)
        if name in self.names.override_names:
            return Mapping(Slot.MAYBE, override=name)
        if name == self.names.session_key or not self.check:
            return Session(Origin.PARAMETER, name)
        return TOP

    @staticmethod
    def _annotation_last(node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.SimpleString):
            text = string_value(node) or ""
            return text.rsplit(".", 1)[-1].replace("|", " ").split()[0] if text else None
        if isinstance(node, cst.BinaryOperation):  # Ref | None
            return Interpreter._annotation_last(node.left)
        if isinstance(node, cst.Subscript):  # Optional[Ref]
            inner = node.slice[0].slice
            if isinstance(inner, cst.Index):
                return Interpreter._annotation_last(inner.value)
        if isinstance(node, cst.Attribute):
            return node.attr.value
        if isinstance(node, cst.Name):
            return node.value
        return None

    # ----------------------------------------------------------------- statements
    def exec_block(self, body: Sequence[cst.BaseStatement], states: list[State]) -> list[State]:
        for statement in body:
            if not states:
                break
            states = _dedupe(self.exec_statement(statement, states))
        return states

    def _suite(self, suite: cst.BaseSuite, states: list[State]) -> list[State]:
        if isinstance(suite, cst.IndentedBlock):
            return self.exec_block(suite.body, states)
        assert isinstance(suite, cst.SimpleStatementSuite)
        for small in suite.body:  # `if x: return y` on one line
            states = [s for state in states for s in self.exec_small(small, state)]
        return states

    def exec_statement(self, node: cst.BaseStatement, states: list[State]) -> list[State]:
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                states = [s for state in states for s in self.exec_small(small, state)]
            return states
        if isinstance(node, cst.If):
            return self._exec_if(node, states)
        if isinstance(node, cst.For | cst.While):
            return self._exec_loop(node, states)
        if isinstance(node, cst.Try | cst.TryStar):
            return self._exec_try(node, states)
        if isinstance(node, cst.With):
            for state in states:
                for item in node.items:
                    value = self.eval(item.item, state)
                    if item.asname is not None:
                        self.bind(item.asname.name, value, state)
            return self._suite(node.body, states)
        if isinstance(node, cst.Match):
            out: list[State] = [dict(s) for s in states]
            for state in states:
                self.eval(node.subject, state)
            for case in node.cases:
                out.extend(self._suite(case.body, [dict(s) for s in states]))
            return out
        if isinstance(node, cst.FunctionDef):
            self._exec_def(node, states)
            return states
        if isinstance(node, cst.ClassDef):
            if self.check:
                self._suite(node.body, [dict(s) for s in states])
            return states
        return states

    def _exec_def(self, node: cst.FunctionDef, states: list[State]) -> None:
        info = self.ctx.index.by_node.get(node)
        if self.check and info is not None and info.contains_dispatch:
            Interpreter(self.ctx, info, check=True).run_function([dict(s) for s in states])
        for state in states:
            state[node.name.value] = TOP

    def _exec_if(self, node: cst.If, states: list[State]) -> list[State]:
        for state in states:
            self.eval(node.test, state)
        taken = self._suite(node.body, [dict(s) for s in states])
        orelse = node.orelse
        if isinstance(orelse, cst.If):
            return taken + self._exec_if(orelse, states)
        if isinstance(orelse, cst.Else):
            return taken + self._suite(orelse.body, states)
        return taken + states

    def _exec_loop(self, node: cst.For | cst.While, states: list[State]) -> list[State]:
        for state in states:
            if isinstance(node, cst.For):
                self.eval(node.iter, state)
                self.bind(node.target, TOP, state)
            else:
                self.eval(node.test, state)
        self.loop_exits.append([])
        after_body = self._suite(node.body, [dict(s) for s in states])
        exits = self.loop_exits.pop()
        finished = states + after_body
        if node.orelse is not None:
            finished = self._suite(node.orelse.body, finished)
        return finished + exits

    def _exec_try(self, node: cst.Try | cst.TryStar, states: list[State]) -> list[State]:
        after_body = self._suite(node.body, [dict(s) for s in states])
        raised = _dedupe([*states, *after_body])
        out: list[State] = []
        for handler in node.handlers:
            handler_states = [dict(s) for s in raised]
            if handler.name is not None:
                for state in handler_states:
                    self.bind(handler.name.name, TOP, state)
            out.extend(self._suite(handler.body, handler_states))
        if node.orelse is not None:
            after_body = self._suite(node.orelse.body, after_body)
        out.extend(after_body)
        if node.finalbody is not None:
            out = self._suite(node.finalbody.body, _dedupe(out))
        return out

    def exec_small(self, node: cst.BaseSmallStatement, state: State) -> list[State]:
        """Evaluate one small statement on one path; the paths that go on after it."""
        if isinstance(node, cst.Assign):
            value = self.eval(node.value, state)
            for target in node.targets:
                self.assign(target.target, node.value, value, state)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.assign(node.target, node.value, self.eval(node.value, state), state)
        elif isinstance(node, cst.AugAssign):
            self._exec_aug_assign(node, state)
        elif isinstance(node, cst.Expr):
            self.eval(node.value, state)
        elif isinstance(node, cst.Return):
            self.returns.append(self.eval(node.value, state) if node.value else TOP)
            return []
        elif isinstance(node, cst.Raise):
            if node.exc is not None:
                self.eval(node.exc, state)
            return []
        elif isinstance(node, cst.Break | cst.Continue):
            if self.loop_exits:
                self.loop_exits[-1].append(state)
            return []
        elif isinstance(node, cst.Del):
            self._delete(node.target, state)
        elif isinstance(node, cst.Assert):
            self.eval(node.test, state)
        return [state]

    def _exec_aug_assign(self, node: cst.AugAssign, state: State) -> None:
        value = self.eval(node.value, state)
        target = node.target
        if isinstance(target, cst.Name):
            current = state.get(target.value, TOP)
            if isinstance(node.operator, cst.BitOrAssign):
                state[target.value] = self.merge(self.as_mapping(current), value)
            else:
                state[target.value] = TOP
        else:
            self.eval(target, state)

    def _delete(self, target: cst.BaseExpression, state: State) -> None:
        if isinstance(target, cst.Name):
            state.pop(target.value, None)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._delete(element.value, state)
        elif isinstance(target, cst.Subscript):
            key = self._subscript_key(target)
            if key == self.names.session_key and isinstance(target.value, cst.Name):
                self._set_slot(target.value.value, Slot.ABSENT, state)

    # ----------------------------------------------------------------- binding
    def assign(
        self, target: cst.BaseExpression, source: cst.BaseExpression, value: Value, state: State
    ) -> None:
        if isinstance(target, cst.Tuple | cst.List) and not isinstance(
            source, cst.Tuple | cst.List
        ):
            # `kwargs, idempotent, extra, runtime_opts = split_opts(opts)`: a name reserved for
            # overrides, unpacked from a call, holds the caller's override options
            for element in target.elements:
                inner = element.value
                if isinstance(inner, cst.Name) and inner.value in self.names.override_names:
                    self.bind(inner, Mapping(Slot.MAYBE, override=""), state)
                else:
                    self.bind(inner, TOP, state)
            return
        if (
            isinstance(target, cst.Tuple | cst.List)
            and isinstance(source, cst.Tuple | cst.List)
            and len(target.elements) == len(source.elements)
        ):
            for element, source_element in zip(target.elements, source.elements, strict=True):
                self.bind(element.value, self.eval(source_element.value, dict(state)), state)
            return
        if value is TOP and isinstance(target, cst.Name):
            value = self._normalised_ref(target.value, source, state) or value
        self.bind(target, value, state)

    def _normalised_ref(
        self, name: str, source: cst.BaseExpression, state: State
    ) -> RefParameter | None:
        """`ref = coerce_ref(ref)`, `wire_ref = to_wire(ref)`: a ref name bound from a call on
        a ref is still that ref, and passing either name to the resolver passes it."""
        if not isinstance(source, cst.Call):
            return None
        receiver = [source.func.value] if isinstance(source.func, cst.Attribute) else []
        for operand in (*receiver, *(arg.value for arg in source.args)):
            value = state.get(operand.value) if isinstance(operand, cst.Name) else None
            if isinstance(value, RefParameter) and (
                name == value.name or name in self.names.ref_names
            ):
                return value
        return None

    def _note_source(self, name: str, value: Value) -> None:
        if isinstance(value, RefParameter) or (isinstance(value, Mapping) and value.override):
            self.sources_seen[name] = value

    def bind(self, target: cst.BaseExpression, value: Value, state: State) -> None:
        if isinstance(target, cst.Name):
            if isinstance(value, Mapping) and value.override == "":
                value = Mapping(value.slot, override=target.value)
            self._note_source(target.value, value)
            state[target.value] = value
        elif isinstance(target, cst.Subscript):
            key = self._subscript_key(target)
            if key == self.names.session_key and isinstance(target.value, cst.Name):
                self._set_slot(target.value.value, self.to_session(value, None), state)
            else:
                self.eval(target.value, state)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self.bind(element.value, TOP, state)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, TOP, state)
        elif isinstance(target, cst.Attribute):
            self.eval(target.value, state)

    def _set_slot(self, name: str, slot: SlotValue, state: State) -> None:
        state[name] = Mapping(slot)

    # ----------------------------------------------------------------- expressions
    def eval(self, node: cst.BaseExpression, state: State) -> Value:
        if isinstance(node, cst.Name):
            return state.get(node.value, TOP)
        if isinstance(node, cst.Call):
            return self._eval_call(node, state)
        if isinstance(node, cst.Await):
            return self.eval(node.expression, state)
        if isinstance(node, cst.Dict):
            return self._eval_dict(node, state)
        if isinstance(node, cst.Subscript):
            return self._eval_subscript(node, state)
        if isinstance(node, cst.Attribute):
            return self._eval_attribute(node, state)
        if isinstance(node, cst.BooleanOperation):
            return self._eval_bool(node, state)
        if isinstance(node, cst.IfExp):
            self.eval(node.test, state)
            branches = [self.eval(node.body, state), self.eval(node.orelse, state)]
            ambient = [b for b in branches if isinstance(b, Session) and b.is_ambient]
            if len(ambient) == 1 and ambient[0].via is Via.READ:
                # `x if x else current_session_id()`: a precedence written by hand
                return Session(Origin.AMBIENT, self.ctx.text(node), node, Via.HAND_ROLLED)
            return join(branches)
        if isinstance(node, cst.NamedExpr):
            value = self.eval(node.value, state)
            self.bind(node.target, value, state)
            return value
        if isinstance(node, cst.BinaryOperation):
            left = self.eval(node.left, state)
            right = self.eval(node.right, state)
            if isinstance(node.operator, cst.BitOr) and isinstance(left, Mapping):
                return self.merge(left, right)
            return TOP
        if isinstance(node, cst.Lambda):
            inner = dict(state)
            for param in node.params.params:
                inner[param.name.value] = TOP
            self.eval(node.body, inner)
            return TOP
        self._eval_children(node, state)
        return TOP

    def _eval_children(self, node: cst.CSTNode, state: State) -> None:
        """Evaluate nested expressions for their effects (a dispatch inside a comprehension,
        a walrus); the value of an expression we do not model is unknown."""
        for child in code_children(node):
            if isinstance(child, cst.BaseExpression):
                self.eval(child, state)
            elif not isinstance(child, cst.BaseSuite | cst.BaseStatement):
                self._eval_children(child, state)

    def _eval_dict(self, node: cst.Dict, state: State) -> Value:
        slot: SlotValue = Slot.ABSENT
        override: str | None = None
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                base = self.eval(element.value, state)
                slot = self._merged_slot(slot, self.as_mapping(base).slot)
                if len(node.elements) == 1 and isinstance(base, Mapping):
                    override = base.override
            elif isinstance(element, cst.DictElement):
                self.eval(element.key, state)
                value = self.eval(element.value, state)
                if string_value(element.key) == self.names.session_key:
                    slot = self.to_session(value, element.value)
        return Mapping(slot, override=override)

    def _eval_subscript(self, node: cst.Subscript, state: State) -> Value:
        base = self.eval(node.value, state)
        for element in node.slice:
            if isinstance(element.slice, cst.Index):
                self.eval(element.slice.value, state)
        key = self._subscript_key(node)
        if key == self.names.session_key:
            return self.read_session(base, node)
        if key == self.names.runtime_key:
            return Mapping(Slot.MAYBE, override="")
        return TOP

    @staticmethod
    def _subscript_key(node: cst.Subscript) -> str | None:
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            return string_value(node.slice[0].slice.value)
        return None

    def _eval_attribute(self, node: cst.Attribute, state: State) -> Value:
        self.eval(node.value, state)
        target = self._method_target(node)
        if target is not None and target.is_property:
            return self.instantiate(target, node, None, state)
        return TOP

    def _eval_bool(self, node: cst.BooleanOperation, state: State) -> Value:
        operands: list[Value] = []
        current: cst.BaseExpression = node
        chain: list[cst.BaseExpression] = []
        while isinstance(current, cst.BooleanOperation) and type(current.operator) is type(
            node.operator
        ):
            chain.append(current.right)
            current = current.left
        chain.append(current)
        operand_nodes = list(reversed(chain))
        for operand in operand_nodes:
            operands.append(self.eval(operand, state))
        if isinstance(node.operator, cst.And):
            return operands[-1]
        for value in operands:
            if isinstance(value, Mapping) and value.override is not None:
                return value
        if any(isinstance(value, Session) and value.is_ambient for value in operands):
            return Session(Origin.AMBIENT, self.ctx.text(node), node, Via.HAND_ROLLED)
        sessions = [
            self.to_session(value, operand)
            for value, operand in zip(operands, operand_nodes, strict=True)
        ]
        if all(s == sessions[0] for s in sessions):
            return value_of(sessions[0])
        return Session(Origin.OPAQUE, self.ctx.text(node), node)

    # ----------------------------------------------------------------- calls
    def _eval_call(self, node: cst.Call, state: State) -> Value:
        func = node.func
        receiver: Value = TOP
        if isinstance(func, cst.Attribute):
            receiver = self.eval(func.value, state)
        elif not isinstance(func, cst.Name):
            self.eval(func, state)
        values = [self.eval(arg.value, state) for arg in node.args]
        names = self.names
        qualified = names.table.qualify(func)
        if names.is_sink_call(node):
            if self.check:
                dispatch.check(self, node, values, state)
            return TOP
        if names.resolver.matches(qualified):
            return Session(
                Origin.RESOLVED,
                self.ctx.text(node).partition("(")[2],
                node,
                missing=self._missing_sources(node, state),
            )
        if names.ambient.matches(qualified):
            return Session(Origin.AMBIENT, f"{self.ctx.text(func)}()", node)
        if names.routing_helpers.matches(qualified):
            if len(node.args) >= 2:
                return Mapping(self.to_session(values[1], node.args[1].value))
            return Mapping(Slot.UNKNOWN)
        if isinstance(func, cst.Attribute):
            result = self._mapping_method(func, node, receiver, values, state)
            if result is not None:
                return result
        if qualified in {"dict", "copy.copy", "copy.deepcopy"}:
            return self._eval_dict_call(node, values)
        target = self._call_target(func)
        if target is not None:
            return self.instantiate(target, node, values, state)
        return self._handed_a_session(node, values)

    def _handed_a_session(self, node: cst.Call, values: list[Value]) -> Value:
        """A call we cannot see into that is handed a session is taken to build a mapping
        carrying it: that is what `function_payload(..., session_id)` from another module or
        an unconfigured routing helper does. A `session_id=` keyword decides; otherwise the
        one known session (ambient, resolved or a session parameter) among the positional
        arguments."""
        key = self.names.session_key
        for arg, value in zip(node.args, values, strict=True):
            if arg.keyword is not None and arg.keyword.value == key:
                return Mapping(self.to_session(value, arg.value), assumed=True)
        sessions = {
            value
            for arg, value in zip(node.args, values, strict=True)
            if arg.keyword is None
            and not arg.star
            and isinstance(value, Session)
            and value.origin is not Origin.OPAQUE  # any other expression: not known a session
        }
        if len(sessions) == 1:
            return Mapping(sessions.pop(), assumed=True)
        return TOP

    def _eval_dict_call(self, node: cst.Call, values: list[Value]) -> Value:
        slot: SlotValue = Slot.ABSENT
        override: str | None = None
        for arg, value in zip(node.args, values, strict=True):
            if arg.keyword is None:
                slot = self._merged_slot(slot, self.as_mapping(value).slot)
                if len(node.args) == 1 and isinstance(value, Mapping):
                    override = value.override
            elif arg.keyword.value == self.names.session_key:
                slot = self.to_session(value, arg.value)
        return Mapping(slot, override=override)

    def _mapping_method(
        self,
        func: cst.Attribute,
        node: cst.Call,
        receiver: Value,
        values: list[Value],
        state: State,
    ) -> Value | None:
        method = func.attr.value
        names = self.names
        key = string_value(node.args[0].value) if node.args else None
        owner = func.value.value if isinstance(func.value, cst.Name) else None
        if method in {"get", "pop"} and key == names.runtime_key:
            return Mapping(Slot.MAYBE, override="")
        if method in {"get", "pop"} and key == names.session_key:
            result = self.read_session(receiver, node)
            if method == "pop" and owner is not None and isinstance(receiver, Mapping):
                self._set_slot(owner, Slot.ABSENT, state)
            return result
        if method == "setdefault" and key == names.session_key and len(values) >= 2:
            current = self.as_mapping(receiver).slot
            slot = current if isinstance(current, Session) else self.to_session(values[1], None)
            if owner is not None:
                self._set_slot(owner, slot, state)
            return value_of(slot)
        if method == "copy" and not node.args and isinstance(receiver, Mapping):
            return receiver
        if method == "update" and owner is not None:
            mapping = self.as_mapping(receiver)
            slot = mapping.slot
            for arg, value in zip(node.args, values, strict=True):
                if arg.keyword is None:
                    slot = self._merged_slot(slot, self.as_mapping(value).slot)
                elif arg.keyword.value == names.session_key:
                    slot = self.to_session(value, arg.value)
            if slot != mapping.slot or isinstance(receiver, Mapping):
                self._set_slot(owner, slot, state)
            return TOP
        return None

    def _missing_sources(self, node: cst.Call, state: State) -> tuple[str, ...]:
        """Overrides and refs in scope that the resolver call does not receive."""
        passed: set[str] = set()
        for arg in node.args:
            for name in _names_in(arg.value):
                value = state.get(name)
                if isinstance(value, Mapping) and value.override:
                    passed.add(value.override)
                elif isinstance(value, RefParameter):
                    passed.add(value.name)
        overrides, refs = self.sources_in_scope(state)
        return tuple(name for name in overrides + refs if name not in passed)

    @staticmethod
    def sources_in_scope(state: State) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Names of the overrides and of the refs in scope."""
        overrides = {v.override for v in state.values() if isinstance(v, Mapping) and v.override}
        refs = {v.name for v in state.values() if isinstance(v, RefParameter)}
        return tuple(sorted(overrides)), tuple(sorted(refs))

    def sources_seen_so_far(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Like ``sources_in_scope``, over every path and point evaluated so far."""
        return self.sources_in_scope(self.sources_seen)

    # ----------------------------------------------------------------- same-module functions
    def _call_target(self, func: cst.BaseExpression) -> FunctionInfo | None:
        if isinstance(func, cst.Name):
            scope = self.info
            while scope is not None:
                if func.value in scope.nested:
                    return scope.nested[func.value]
                scope = scope.parent
            return self.ctx.index.module_functions.get(func.value)
        if isinstance(func, cst.Attribute):
            return self._method_target(func)
        return None

    def _method_target(self, node: cst.Attribute) -> FunctionInfo | None:
        base = node.value
        if not isinstance(base, cst.Name):
            return None
        owner: cst.ClassDef | None = None
        if base.value in {"self", "cls"}:
            scope = self.info
            while scope is not None and scope.owner_class is None:
                scope = scope.parent
            owner = scope.owner_class if scope is not None else None
        else:
            owner = self.ctx.index.classes.get(base.value)
        if owner is None:
            return None
        return self.ctx.index.methods.get(owner, {}).get(node.attr.value)

    def instantiate(
        self,
        target: FunctionInfo,
        node: cst.CSTNode,
        values: list[Value] | None,
        state: State,
    ) -> Value:
        """The abstract result of calling a same-module function, from its summary."""
        result = self.ctx.summary_of(target)
        if isinstance(result, Session):
            return value_of(self._instantiate_session(result, target, node, values))
        if isinstance(result, Mapping) and isinstance(result.slot, Session):
            slot = result.slot
            if slot.is_ambient:
                return Mapping(Session(Origin.AMBIENT, target.name, node, Via.BUILDER))
            return Mapping(self._instantiate_session(slot, target, node, values))
        return result

    def _instantiate_session(
        self,
        session: Session,
        target: FunctionInfo,
        node: cst.CSTNode,
        values: list[Value] | None,
    ) -> SlotValue:
        if session.is_ambient:
            name = f"{target.name}()" if values is not None else self.ctx.text(node)
            return Session(Origin.AMBIENT, name, node)
        if session.origin is Origin.PARAMETER and isinstance(node, cst.Call) and values is not None:
            argument = _argument_for(target, node, session.key)
            if argument is None:
                return Slot.UNKNOWN
            index = node.args.index(argument)
            return self.to_session(values[index], argument.value)
        return session

    # ----------------------------------------------------------------- mapping helpers
    def read_session(self, base: Value, node: cst.CSTNode) -> Value:
        """The value read from a mapping's session key."""
        if isinstance(base, Mapping) and isinstance(base.slot, Session):
            slot = base.slot
            if slot.is_ambient:
                return Session(Origin.AMBIENT, self.ctx.text(node), node, Via.READ_BACK)
            return slot
        return Session(Origin.OPAQUE, self.ctx.text(node), node)

    def to_session(self, value: Value, node: cst.BaseExpression | None) -> SlotValue:
        """A value stored under the session key."""
        if isinstance(value, Session):
            return value
        if node is None:
            return Slot.UNKNOWN
        return Session(Origin.OPAQUE, self.ctx.text(node), node)

    @staticmethod
    def as_mapping(value: Value) -> Mapping:
        return value if isinstance(value, Mapping) else Mapping(Slot.UNKNOWN)

    def merge(self, base: Mapping, other: Value) -> Mapping:
        return Mapping(self._merged_slot(base.slot, self.as_mapping(other).slot))

    @staticmethod
    def _merged_slot(current: SlotValue, incoming: SlotValue) -> SlotValue:
        """The session key after merging a mapping whose key is ``incoming`` over one whose
        key is ``current``."""
        if incoming is Slot.ABSENT:
            return current
        if incoming is Slot.MAYBE and isinstance(current, Session):
            # the caller's override wins when set, and the resolver picks it too
            return current
        return incoming


def value_of(slot: SlotValue) -> Value:
    """A session slot used as a plain value: a session, or unknown."""
    return slot if isinstance(slot, Session) else TOP


def _names_in(node: cst.CSTNode) -> Iterable[str]:
    if isinstance(node, cst.Name):
        yield node.value
    for child in code_children(node):
        yield from _names_in(child)


def _argument_for(target: FunctionInfo, call: cst.Call, parameter: str) -> cst.Arg | None:
    params = target.node.params
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    if target.owner_class is not None and positional and isinstance(call.func, cst.Attribute):
        positional = positional[1:]  # bound method: self/cls is not in the call
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == parameter:
            return arg
    plain = [arg for arg in call.args if arg.keyword is None and not arg.star]
    if parameter in positional:
        index = positional.index(parameter)
        if index < len(plain):
            return plain[index]
    return None
