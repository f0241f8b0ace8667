"""Positions of the nodes a report needs, without generating the whole module's code.

libcst's ``PositionProvider`` computes a position by generating the code of the whole
module, which costs more than the analysis. A report needs the positions of the few
top-level statements that hold a finding: each is generated alone, from the line CPython's
tree gives it (its first line less the blank and comment lines libcst counts as its own).
The text generated must be the source's own at that line, which makes each position the
one a whole-module pass gives; where anything does not line up (no tree, text that does
not decode, a statement CPython and libcst count differently) the whole module's positions
are computed, as before.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping

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
    """Positions of the nodes in the top-level statements asked for (``cover``), and of
    any other node looked up, computed the first time it is asked for."""

    def __init__(self, module: cst.Module, tree: ast.Module | None, text: str | None) -> None:
        self.module = module
        self._recorded = _Recorded()
        self._done: set[int] = set()  # indices of the statements generated
        self._whole = False
        self._lines = physical_lines(text) if text is not None else None
        self._starts = _start_lines(module, tree) if tree is not None else None
        if self._starts is None or self._lines is None:
            self._all()

    def cover(self, nodes: Iterable[cst.CSTNode]) -> None:
        """Compute the positions of ``nodes`` (and of everything in their statements)."""
        wanted = {node for node in nodes if node not in self._recorded._computed}
        if not wanted or self._whole:
            return
        for index, statement in enumerate(self.module.body):
            if index not in self._done and _holds(statement, wanted):
                self._generate(index)
                if self._whole:
                    return
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
        """The top-level statements generated one by one (tests count this)."""
        return len(self._done)

    def _generate(self, index: int) -> None:
        assert self._starts is not None and self._lines is not None
        statement = self.module.body[index]
        start = self._starts[index]
        state = PositionProvidingCodegenState(
            default_indent=self.module.default_indent,
            default_newline=self.module.default_newline,
            provider=self._recorded,  # type: ignore[arg-type]  # it reads `_computed` only
        )
        state.line = start
        found = dict(self._recorded._computed)
        statement._codegen(state)
        generated = "".join(state.tokens)
        if not _same_text(generated, self._lines, start, last=index == len(self.module.body) - 1):
            self._recorded._computed = found
            self._all()  # CPython and libcst disagree on where it starts: trust neither
            return
        self._done.add(index)

    def _all(self) -> None:
        if self._whole:
            return
        self._whole = True
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        self._recorded._computed = dict(wrapper.resolve(PositionProvider))


def _same_text(generated: str, lines: list[str], start: int, *, last: bool) -> bool:
    """Is ``generated`` the source's text from line ``start`` on (a last statement may
    have generated the newline the file does not end with)?"""
    count = len(physical_lines(generated))
    expected = "".join(lines[start - 1 : start - 1 + count])
    if generated == expected:
        return True
    return last and generated.rstrip("\r\n") == expected and not expected.endswith(("\n", "\r"))


def _start_lines(module: cst.Module, tree: ast.Module) -> list[int] | None:
    """The line each statement of ``module.body`` starts at (its own blank and comment
    lines first), from CPython's tree of the same text; ``None`` if the two do not pair."""
    body = tree.body
    starts: list[int] = []
    position = 0
    for statement in module.body:
        if position >= len(body):
            return None
        first = body[position]
        line = first.lineno
        if isinstance(first, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            line = min([line, *(d.lineno for d in first.decorator_list)])
        starts.append(line - len(statement.leading_lines))
        small = statement.body if isinstance(statement, cst.SimpleStatementLine) else ()
        position += max(len(small), 1)
    return starts if position == len(body) else None


def _holds(statement: cst.CSTNode, wanted: set[cst.CSTNode]) -> bool:
    stack = [statement]
    while stack:
        node = stack.pop()
        if node in wanted:
            return True
        stack.extend(children_of(node))
    return False
