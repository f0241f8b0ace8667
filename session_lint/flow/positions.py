"""Positions of the nodes a report needs, without generating the whole module's code.

libcst's ``PositionProvider`` computes a position by generating the code of the whole
module, which costs more than the analysis. A report needs the positions of the few
statements that hold a finding: each is generated alone, from the line CPython's tree
gives it (its first line less the blank and comment lines libcst counts as its own) and
with the indentation of the blocks around it. A compound statement whose header holds
nothing asked for (a function, a class, an ``if``) is not generated: only the statements
of its blocks that hold something are. The text generated must be the source's own at
that line, which makes each position the one a whole-module pass gives; where anything
does not line up (no tree, text that does not decode, a statement CPython and libcst
count differently) the whole module's positions are computed, as before.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from session_lint.flow.walk import children_of
from session_lint.noqa import physical_lines


class _Recorded:
    """What a codegen state records positions into (``provider._computed``)."""

    def __init__(self) -> None:
        self._computed: dict[cst.CSTNode, CodeRange] = {}


class Positions(Mapping[cst.CSTNode, CodeRange]):
    """Positions of the nodes in the statements asked for (``cover``), and of any other
    node looked up, computed the first time it is asked for."""

    def __init__(self, module: cst.Module, tree: ast.Module | None, text: str | None) -> None:
        self.module = module
        self._recorded = _Recorded()
        self._done: set[int] = set()  # ids of the statements generated
        self._whole = False
        self._lines = physical_lines(text) if text is not None else None
        self._pairs = _pair(module.body, tree.body) if tree is not None else None
        if self._pairs is None or self._lines is None:
            self._all()

    def cover(self, nodes: Iterable[cst.CSTNode]) -> None:
        """Compute the positions of ``nodes`` (and of everything in their statements)."""
        wanted = {node for node in nodes if node not in self._recorded._computed}
        if not wanted or self._whole:
            return
        assert self._pairs is not None
        self._cover(self.module.body, self._pairs, [], wanted)
        if any(node not in self._recorded._computed for node in wanted):
            self._all()  # not found in any statement (in the header or footer, say)

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        computed = self._recorded._computed
        if node not in computed:
            self.cover([node])
        return computed[node]

    def __iter__(self) -> Iterator[cst.CSTNode]:
        self._all()
        return iter(self._recorded._computed)

    def __len__(self) -> int:
        self._all()
        return len(self._recorded._computed)

    @property
    def whole(self) -> bool:
        """Whether the whole module's positions had to be computed (tests count this)."""
        return self._whole

    @property
    def generated(self) -> int:
        """The statements generated one by one (tests count this)."""
        return len(self._done)

    def _cover(
        self,
        statements: Sequence[cst.BaseStatement],
        pairs: list[tuple[int, ast.stmt]],
        indents: list[str],
        wanted: set[cst.CSTNode],
    ) -> None:
        for statement, (start, tree) in zip(statements, pairs, strict=True):
            if self._whole:
                return
            if id(statement) in self._done or not _holds(statement, wanted):
                continue
            blocks = _blocks(statement, tree)
            inner = [(block, _pair(block.body, body)) for block, body in blocks or ()]
            if (
                not blocks
                or any(pairing is None for _, pairing in inner)
                or _holds_outside(statement, wanted, {id(block) for block, _ in inner})
            ):
                self._generate(statement, start, indents)
                continue
            for block, pairing in inner:
                assert pairing is not None
                indent = block.indent if block.indent is not None else self.module.default_indent
                self._cover(block.body, pairing, [*indents, indent], wanted)

    def _generate(self, statement: cst.BaseStatement, start: int, indents: list[str]) -> None:
        assert self._lines is not None
        state = PositionProvidingCodegenState(
            default_indent=self.module.default_indent,
            default_newline=self.module.default_newline,
            provider=self._recorded,  # type: ignore[arg-type]  # it reads `_computed` only
        )
        state.line = start
        state.indent_tokens = list(indents)
        found = dict(self._recorded._computed)
        statement._codegen(state)
        generated = "".join(state.tokens)
        if not _same_text(generated, self._lines, start):
            self._recorded._computed = found
            self._all()  # CPython and libcst disagree on where it starts: trust neither
            return
        self._done.add(id(statement))

    def _all(self) -> None:
        if self._whole:
            return
        self._whole = True
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        self._recorded._computed = dict(wrapper.resolve(PositionProvider))


def _same_text(generated: str, lines: list[str], start: int) -> bool:
    """Is ``generated`` the source's text from line ``start`` on (the last statement may
    have generated the newline the file does not end with)?"""
    count = len(physical_lines(generated))
    expected = "".join(lines[start - 1 : start - 1 + count])
    if generated == expected:
        return True
    return generated.rstrip("\r\n") == expected and not expected.endswith(("\n", "\r"))


def _pair(
    statements: Sequence[cst.BaseStatement], body: list[ast.stmt]
) -> list[tuple[int, ast.stmt]] | None:
    """For each of libcst's ``statements``, the line it starts at (its own blank and
    comment lines first) and its first statement in CPython's ``body`` of the same text;
    ``None`` if the two do not pair."""
    pairs: list[tuple[int, ast.stmt]] = []
    position = 0
    for statement in statements:
        if position >= len(body):
            return None
        first = body[position]
        line = first.lineno
        if isinstance(first, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            line = min([line, *(d.lineno for d in first.decorator_list)])
        if not isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            return None
        pairs.append((line - len(statement.leading_lines), first))
        small = statement.body if isinstance(statement, cst.SimpleStatementLine) else ()
        position += max(len(small), 1)
    return pairs if position == len(body) else None


_Blocks = list[tuple[cst.IndentedBlock, list[ast.stmt]]]


def _blocks(statement: cst.BaseStatement, tree: ast.stmt) -> _Blocks | None:
    """The indented blocks of a compound statement, each with CPython's statements of
    it; ``None`` for a simple statement, a one-line suite or a shape not paired here."""
    found: list[tuple[cst.BaseSuite, list[ast.stmt]]] = []
    if isinstance(statement, cst.FunctionDef | cst.ClassDef | cst.With):
        if not isinstance(
            tree, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.With | ast.AsyncWith
        ):
            return None
        found.append((statement.body, tree.body))
    elif isinstance(statement, cst.If) and isinstance(tree, ast.If):
        found.append((statement.body, tree.body))
        orelse: cst.If | cst.Else | None = statement.orelse
        branch: ast.If = tree
        while isinstance(orelse, cst.If):  # `elif`: CPython nests it as the only statement
            nested = branch.orelse[0] if len(branch.orelse) == 1 else None
            if not isinstance(nested, ast.If):
                return None
            found.append((orelse.body, nested.body))
            orelse, branch = orelse.orelse, nested
        if orelse is not None:
            found.append((orelse.body, branch.orelse))
    elif isinstance(statement, cst.For | cst.While):
        if not isinstance(tree, ast.For | ast.AsyncFor | ast.While):
            return None
        found.append((statement.body, tree.body))
        if statement.orelse is not None:
            found.append((statement.orelse.body, tree.orelse))
    elif isinstance(statement, cst.Try | cst.TryStar):
        if not isinstance(tree, ast.Try | ast.TryStar) or len(tree.handlers) != len(
            statement.handlers
        ):
            return None
        found.append((statement.body, tree.body))
        for handler, caught in zip(statement.handlers, tree.handlers, strict=True):
            if not isinstance(handler, cst.ExceptHandler | cst.ExceptStarHandler):
                return None
            found.append((handler.body, caught.body))
        if statement.orelse is not None:
            found.append((statement.orelse.body, tree.orelse))
        if statement.finalbody is not None:
            found.append((statement.finalbody.body, tree.finalbody))
    else:
        return None
    blocks: _Blocks = []
    for suite, body in found:
        if not isinstance(suite, cst.IndentedBlock):
            return None
        blocks.append((suite, body))
    return blocks


def _holds(statement: cst.CSTNode, wanted: set[cst.CSTNode]) -> bool:
    stack = [statement]
    while stack:
        node = stack.pop()
        if node in wanted:
            return True
        stack.extend(children_of(node))
    return False


def _holds_outside(statement: cst.CSTNode, wanted: set[cst.CSTNode], blocks: set[int]) -> bool:
    """Does ``statement`` hold a wanted node outside the statements of ``blocks`` (in its
    header, a decorator, an ``except`` clause; or a block itself)?"""
    stack = [statement]
    while stack:
        node = stack.pop()
        if node in wanted:
            return True
        if id(node) not in blocks:
            stack.extend(children_of(node))
    return False
