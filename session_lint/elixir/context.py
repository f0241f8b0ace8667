"""What one Elixir module's evaluation shares: its context (the module, the configured
names, the reporter, call summaries, other modules of the project) and the evaluator's
base, with the key and session readings every part uses.

The evaluator's parts are subclasses in a chain, each module one job, as in the Python
front end: :mod:`calls` (calls and dispatches) under :mod:`evaluator` (blocks, bindings,
expressions and containers), which defines ``eval``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tree_sitter import Node

from session_lint.core.checks import Reporter
from session_lint.core.lattice import State
from session_lint.core.values import (
    TOP,
    Mapping,
    Origin,
    Session,
    Slot,
    SlotValue,
    Value,
    Via,
)
from session_lint.elixir.index import Clause, ModuleInfo
from session_lint.elixir.names import ElixirNames
from session_lint.elixir.project import ElixirProject
from session_lint.elixir.syntax import atom_value, flat_text, operator, string_value, text


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


class EvaluatorBase:
    """Evaluates one clause. In check mode its dispatches are checked; otherwise (a
    same-module builder called with known arguments) only its result is wanted."""

    def __init__(self, ctx: ModuleContext, *, check: bool, depth: int = 0) -> None:
        self.ctx = ctx
        self.names = ctx.names
        self.check = check
        self.depth = depth

    def eval(self, node: Node, state: State) -> list[Value]:
        raise NotImplementedError

    def block(self, body: Sequence[Node], states: list[State]) -> list[Value]:
        raise NotImplementedError

    def bind(self, pattern: Node, source: Node | None, value: Value, state: State) -> None:
        raise NotImplementedError

    def run_clause(self, clause: Clause, args: Sequence[Value] | None) -> Value:
        raise NotImplementedError

    def branching(
        self, name: str, args: list[Node], do_block: Node | None, state: State
    ) -> list[Value]:
        raise NotImplementedError

    # ----------------------------------------------------------------- keys and sessions
    def key_of(self, node: Node) -> str | None:
        """A key spelt as a string, an atom or a module attribute holding one."""
        if node.type == "unary_operator" and operator(node) == "@":
            operand = node.child_by_field_name("operand")
            held = self.ctx.module.attributes.get(text(operand)) if operand else None
            return self.key_of(held) if held is not None else None
        return string_value(node) or atom_value(node)

    def session_of(self, value: Value, node: Node | None) -> SlotValue:
        if isinstance(value, Session):
            return value
        if node is None:
            return Slot.UNKNOWN
        return Session(Origin.OPAQUE, flat_text(node), node)

    def read(self, base: Value, key: str | None, node: Node) -> Value:
        if key == self.names.runtime_key:
            return Mapping(Slot.MAYBE, override="")  # the caller's `__runtime__` options
        if not self.names.is_session_key(key):
            return TOP
        if isinstance(base, Mapping) and isinstance(base.slot, Session):
            slot = base.slot
            if slot.is_ambient:
                return Session(Origin.AMBIENT, flat_text(node), node, Via.READ_BACK)
            return slot
        return Session(Origin.OPAQUE, flat_text(node), node)


def as_mapping(value: Value) -> Mapping:
    return value if isinstance(value, Mapping) else Mapping(Slot.UNKNOWN)
