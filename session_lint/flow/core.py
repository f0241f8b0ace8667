"""What every part of the evaluator shares: the module context, path states, joins, and
the base class holding one evaluation's state with the mapping helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from session_lint.core.lattice import MAX_PATHS, State, join, merged_slot, value_of
from session_lint.core.lattice import dedupe as _dedupe
from session_lint.core.values import (
    OVERRIDE_MARK,
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
from session_lint.flow import dispatch
from session_lint.flow.index import FunctionInfo, ModuleIndex
from session_lint.flow.names import Names, string_value
from session_lint.flow.portable import ImportLookup
from session_lint.flow.walk import code_children

# the path and join helpers live in the neutral core; the evaluator's parts import them here
__all__ = [
    "MAX_PATHS",
    "EvaluatorBase",
    "LoopFrame",
    "ModuleContext",
    "State",
    "_dedupe",
    "join",
    "value_of",
]


@dataclass
class ModuleContext:
    """What every function evaluation of one module shares."""

    module: cst.Module
    names: Names
    index: ModuleIndex
    summary_of: Callable[[FunctionInfo], Value] = field(default=lambda info: TOP)
    reporter: dispatch.Reporter = field(default_factory=dispatch.Reporter)
    # the project's other modules, looked up only when a name is not the module's own:
    # a module that never reaches an imported name costs no project work
    imports_factory: Callable[[], ImportLookup | None] = field(default=lambda: None)
    _imports: list[ImportLookup | None] = field(default_factory=list)

    @property
    def imports(self) -> ImportLookup | None:
        if not self._imports:
            self._imports.append(self.imports_factory())
        return self._imports[0]

    def text(self, node: cst.CSTNode) -> str:
        return " ".join(self.module.code_for_node(node).split())


@dataclass
class LoopFrame:
    """States leaving the innermost loop by ``break`` and going back by ``continue``."""

    breaks: list[State] = field(default_factory=list)
    continues: list[State] = field(default_factory=list)


class EvaluatorBase:
    """One function's evaluation state. The parts (calls, expressions, statements) are
    subclasses in a chain, each module one job; ``eval`` is defined by the expression part."""

    def __init__(self, ctx: ModuleContext, info: FunctionInfo | None, *, check: bool) -> None:
        self.ctx = ctx
        self.names = ctx.names
        self.info = info
        self.check = check
        self.returns: list[Value] = []
        self.loop_frames: list[LoopFrame] = []
        # every override and ref seen so far on any path: a fix resolves with all of them,
        # even when routing reuses the override's name later (`runtime_opts = ensure(...)`)
        self.sources_seen: dict[str, Value] = {}

    def eval(self, node: cst.BaseExpression, state: State) -> Value:
        raise NotImplementedError

    def element_of(self, iterable: cst.BaseExpression, state: State) -> Value:
        """The value of one element of ``iterable`` (evaluated by the expression part)."""
        raise NotImplementedError

    def run_function(self, closure: Sequence[State]) -> None:
        raise NotImplementedError

    def key_of(self, node: cst.BaseExpression) -> str | None:
        """A mapping key spelt as a plain string literal or a module-level constant."""
        if isinstance(node, cst.Name | cst.Attribute):
            if isinstance(node, cst.Name) and node.value in self.ctx.index.constants:
                return self.ctx.index.constants[node.value]
            return self._imported_constant(node)
        return string_value(node)

    def _imported_constant(self, node: cst.Name | cst.Attribute) -> str | None:
        """``KEY`` from ``from .keys import KEY``, or ``keys.KEY``: a constant of another
        module of the project."""
        qualified = self.ctx.index.table.qualify(node)
        if qualified is None or (isinstance(node, cst.Name) and qualified == node.value):
            return None  # a local or builtin name: not imported
        imports = self.ctx.imports
        return imports.constant(qualified) if imports is not None else None

    def _subscript_key(self, node: cst.Subscript) -> str | None:
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            return self.key_of(node.slice[0].slice.value)
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
            if isinstance(value, Mapping) and value.override:
                # remembered apart from its name: rebinding the name (`runtime_opts = {}`)
                # clobbers the caller's override, which stays in scope, now dropped
                state[OVERRIDE_MARK + value.override] = value
        elif isinstance(target, cst.Subscript):
            key = self._subscript_key(target)
            holder = _holder(target.value)
            if self.names.is_session_key(key) and holder is not None:
                # `payload["session_id"] = sid`, or a field of a request object
                # (`req.metadata["session_id"] = sid`): the object carries the session
                self._set_slot(holder, self.to_session(value, None), state)
            else:
                self.eval(target.value, state)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self.bind(element.value, TOP, state)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, TOP, state)
        elif isinstance(target, cst.Attribute):
            base = target.value
            if target.attr.value == self.names.session_key and isinstance(base, cst.Name):
                # a payload object's session field (`payload.session_id = sid`)
                self._set_slot(base.value, self.to_session(value, None), state)
            else:
                self.eval(base, state)

    def _set_slot(self, name: str, slot: SlotValue, state: State) -> None:
        current = state.get(name)
        override = current.override if isinstance(current, Mapping) else None
        state[name] = Mapping(slot, override=override or None)

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
        return merged_slot(current, incoming)


def _holder(node: cst.BaseExpression) -> str | None:
    """The local a subscript write lands in: ``payload`` for ``payload[...]`` and for
    ``req.metadata[...]``; ``None`` for anything else (``self.x[...]`` is not a local)."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        return None if node.value.value in {"self", "cls"} else node.value.value
    return node.value if isinstance(node, cst.Name) else None


def _names_in(node: cst.CSTNode) -> Iterable[str]:
    if isinstance(node, cst.Name):
        yield node.value
    for child in code_children(node):
        yield from _names_in(child)
