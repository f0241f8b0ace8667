"""Where nodes sit in the module a fix edits: statements, blocks, and which statement
comes first on every path to others (so one resolved local can serve them all)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import libcst as cst

from session_lint.flow.walk import code_children

Block = cst.IndentedBlock | cst.Module


@dataclass(frozen=True)
class Level:
    """One statement's position in one enclosing block; ``in_loop``: a loop lies between
    the original statement and this level."""

    block: Block
    statement: cst.BaseStatement
    in_loop: bool

    @property
    def index(self) -> int:
        return list(self.block.body).index(self.statement)


class Tree:
    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        stack: list[cst.CSTNode] = [module]
        while stack:
            parent = stack.pop()
            for child in code_children(parent):
                self.parents[child] = parent
                stack.append(child)

    def statement_of(self, node: cst.CSTNode) -> cst.SimpleStatementLine | None:
        """The statement line that holds ``node``, if it sits directly in a block."""
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(current, cst.SimpleStatementLine):
            if isinstance(current, cst.BaseCompoundStatement | cst.SimpleStatementSuite):
                return None
            current = self.parents.get(current)
        if current is None or not isinstance(self.parents.get(current), Block):
            return None
        return current

    def levels(self, statement: cst.BaseStatement, top: Block) -> list[Level] | None:
        """The statement and each compound statement holding it, up to the block ``top``;
        ``None`` when a function or class lies in between."""
        levels: list[Level] = []
        current: cst.CSTNode = statement
        in_loop = False
        while True:
            block = self.parents.get(current)
            if not isinstance(block, Block):
                return None
            assert isinstance(current, cst.BaseStatement)
            levels.append(Level(block, current, in_loop))
            if block is top:
                return levels
            up = self.parents.get(block)
            while up is not None and not isinstance(self.parents.get(up), Block):
                up = self.parents.get(up)
            if up is None or isinstance(up, cst.FunctionDef | cst.ClassDef):
                return None
            in_loop = in_loop or isinstance(up, cst.For | cst.While)
            current = up

    def first_of(self, statements: Sequence[cst.BaseStatement], top: Block) -> Level | None:
        """The level, in the innermost block enclosing them all, at which a local bound
        just before it is bound before every statement of ``statements`` on every path,
        without being hoisted out of a loop. ``None`` when there is none."""
        chains = [self.levels(statement, top) for statement in statements]
        if not chains or any(chain is None for chain in chains):
            return None
        known = [chain for chain in chains if chain is not None]
        shared = [
            level.block
            for level in known[0]
            if all(any(other.block is level.block for other in chain) for chain in known)
        ]
        if not shared:
            return None
        common = shared[0]
        entries = [next(level for level in chain if level.block is common) for chain in known]
        if any(entry.in_loop for entry in entries):
            return None
        return min(entries, key=lambda entry: entry.index)

    def precedes(self, first: cst.BaseStatement, others: Iterable[cst.BaseStatement]) -> bool:
        """Is ``first`` in a block enclosing each of ``others``, strictly before it?"""
        block = self.parents.get(first)
        if not isinstance(block, Block):
            return False
        position = list(block.body).index(first)
        for other in others:
            chain = self.levels(other, block)
            if chain is None or chain[-1].index <= position:
                return False
        return True


def walk(node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(code_children(current))


_SINGLE_TARGET = (cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For, cst.CompFor)


def bound_once(function: cst.FunctionDef | cst.Module, name: str) -> bool:
    """Is ``name`` bound exactly once in ``function`` (one assignment, no parameter)?"""
    count = 0
    for node in walk(function):
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [target.target for target in node.targets]
        elif isinstance(
            node, cst.AnnAssign | cst.AugAssign | cst.NamedExpr | cst.For | cst.CompFor
        ):
            targets = [node.target]
        elif isinstance(node, cst.AsName):
            targets = [node.name]
        elif isinstance(node, cst.Param) and node.name.value == name:
            return False
        for target in targets:
            count += sum(
                1 for inner in walk(target) if isinstance(inner, cst.Name) and inner.value == name
            )
    return count == 1
