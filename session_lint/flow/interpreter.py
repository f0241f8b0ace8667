"""Path-wise abstract evaluation of one function body.

Each path through the function is a ``State`` (local name -> abstract value). Branches fork
the list of states, joins concatenate and de-duplicate it, and a bound keeps it small: a
bug on any path is found, and correlated branches (payload and routing set together on
each branch) stay correct because each path is evaluated on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from session_lint.core.values import (
    OVERRIDE_MARK,
    TOP,
    Mapping,
    Origin,
    RefParameter,
    Session,
    Slot,
    Value,
)
from session_lint.flow.core import (
    MAX_PATHS,
    ModuleContext,
    State,
    _dedupe,
    join,
    value_of,
)
from session_lint.flow.names import string_value
from session_lint.flow.statements import StatementExecutor

__all__ = ["MAX_PATHS", "Interpreter", "ModuleContext", "State", "join", "string_value", "value_of"]


class Interpreter(StatementExecutor):
    """Evaluates one function. In check mode, dispatches are checked and nested functions
    that dispatch are evaluated with this function's states as their closure; in summary
    mode, only the returned values are collected."""

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
            value = state[param.name.value] = self._parameter_value(param)
            if isinstance(value, Mapping) and value.override:
                state[OVERRIDE_MARK + value.override] = value
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
