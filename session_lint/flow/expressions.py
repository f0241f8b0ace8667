"""Expressions: names, literals, subscripts, attributes, boolean and conditional
expressions, walrus, merges and lambdas."""

from __future__ import annotations

import libcst as cst

from session_lint.core.values import (
    TOP,
    Callee,
    Fixed,
    Items,
    Mapping,
    Origin,
    Session,
    Slot,
    SlotValue,
    Value,
    Via,
)
from session_lint.flow.calls import CallEvaluator
from session_lint.flow.core import State, join, value_of
from session_lint.flow.walk import code_children


class ExpressionEvaluator(CallEvaluator):
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
            if isinstance(node.operator, cst.Add) and (
                _is_pairs(left) or _is_pairs(right)
            ):  # gRPC metadata: `call_md + [("session_id", sid)]`
                merged = self.merge(self.as_mapping(left), right)
                return Mapping(merged.slot, pairs=True)
            return TOP
        if isinstance(node, cst.ListComp | cst.SetComp | cst.GeneratorExp):
            return Items(self._eval_comprehension(node.for_in, node.elt, state))
        if isinstance(node, cst.DictComp):
            self._eval_comprehension(node.for_in, node.value, state)
            return Mapping(Slot.UNKNOWN)
        if isinstance(node, cst.List | cst.Tuple):
            pairs = self.pairs_of(node, state)
            if pairs is not None:
                return pairs
        if isinstance(node, cst.List | cst.Set):
            elements = [self.eval(element.value, state) for element in node.elements]
            return Items(join(elements)) if elements else Items(TOP)
        if isinstance(node, cst.Tuple):
            return Fixed(tuple(self.eval(element.value, state) for element in node.elements))
        if isinstance(node, cst.Lambda):
            inner = dict(state)
            for param in node.params.params:
                inner[param.name.value] = TOP
            self.eval(node.body, inner)
            return Callee(node)
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
                if self.names.is_session_key(self.key_of(element.key)):
                    slot = self.to_session(value, element.value)
        return Mapping(slot, override=override)

    def pairs_of(self, node: cst.List | cst.Tuple, state: State) -> Mapping | None:
        """A list or tuple of ``(key, value)`` pairs (gRPC metadata, header lists) is a
        mapping; ``None`` when ``node`` is not one (some element is not a pair keyed by a
        string literal or constant)."""
        keyed: list[tuple[str, cst.BaseExpression]] = []
        for element in node.elements:
            pair = element.value
            if not isinstance(pair, cst.Tuple) or len(pair.elements) != 2:
                return None
            key = self.key_of(pair.elements[0].value)
            if key is None or isinstance(pair.elements[1], cst.StarredElement):
                return None
            keyed.append((key, pair.elements[1].value))
        if not keyed:
            return None
        slot: SlotValue = Slot.ABSENT
        for key, value_node in keyed:
            value = self.eval(value_node, state)
            if self.names.is_session_key(key):
                slot = self.to_session(value, value_node)
        return Mapping(slot, pairs=True)

    def _eval_subscript(self, node: cst.Subscript, state: State) -> Value:
        base = self.eval(node.value, state)
        for element in node.slice:
            if isinstance(element.slice, cst.Index):
                self.eval(element.slice.value, state)
        key = self._subscript_key(node)
        if key is not None and self.is_environ(node.value) and key in self.names.ambient_env:
            return Session(Origin.AMBIENT, self.ctx.text(node), node)
        if self.names.is_session_key(key):
            return self.read_session(base, node)
        if key == self.names.runtime_key:
            return Mapping(Slot.MAYBE, override="")
        return TOP

    def _eval_attribute(self, node: cst.Attribute, state: State) -> Value:
        self.eval(node.value, state)
        if self.names.is_ambient_attribute(node):  # `self.session_id`, `flask.g.session_id`
            return Session(Origin.AMBIENT, self.ctx.text(node), node)
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

    def _eval_comprehension(
        self, clause: cst.CompFor, element: cst.BaseExpression, state: State
    ) -> Value:
        """The element of a comprehension, its targets bound to the elements of what they
        iterate over, in a scope of its own (as Python gives it)."""
        inner = dict(state)
        current: cst.CompFor | None = clause
        while current is not None:
            self.bind(current.target, self.element_of(current.iter, inner), inner)
            for condition in current.ifs:
                self.eval(condition.test, inner)
            current = current.inner_for_in
        return self.eval(element, inner)

    def element_of(self, iterable: cst.BaseExpression, state: State) -> Value:
        value = self.eval(iterable, state)
        if isinstance(value, Items):
            return value.element
        if isinstance(value, Fixed):
            return join(list(value.elements))
        return TOP


def _is_pairs(value: Value) -> bool:
    return isinstance(value, Mapping) and value.pairs
