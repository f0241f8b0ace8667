"""Calls: the ambient getter, the resolver, routing helpers, mapping methods, and the
same-module functions and methods a call reaches."""

from __future__ import annotations

import libcst as cst

from session_lint.flow import dispatch
from session_lint.flow.core import EvaluatorBase, State, _names_in, string_value, value_of
from session_lint.flow.index import FunctionInfo
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


class CallEvaluator(EvaluatorBase):
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
